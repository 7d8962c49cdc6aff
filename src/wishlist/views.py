"""Wish list pages (WSH-1). Thin: parse, call one service, render.

Each POST works without JavaScript (message + redirect back) and with htmx (a
partial with out-of-band header counts, plus an HX-Trigger "wishlistChanged" event).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cart.views import back_url, sign_in_response, with_trigger
from catalog.models import Product, Variant
from core.errors import DomainError
from wishlist import services
from wishlist.selectors import wishlist_lines

PAGE_SIZE = 24


def _product_or_404(product_id: int) -> Product:
    product = Product.objects.select_related("store").filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return product


def _list_context(request: HttpRequest, page_number) -> dict:
    paginator = Paginator(wishlist_lines(user=request.user, locale=request.money_locale), PAGE_SIZE)
    page = paginator.get_page(page_number)
    return {"page": page, "lines": page.object_list, "paginator": paginator}


@require_GET
@login_required
def wishlist_list(request: HttpRequest) -> HttpResponse:
    return render(request, "wishlist/list.html", _list_context(request, request.GET.get("page")))


def _list_partial(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    context = _list_context(request, request.POST.get("page"))
    context.update(notice=notice, error=error, oob_counts=True)
    return with_trigger(
        render(request, "wishlist/_list.html", context), "wishlistChanged", "cartChanged"
    )


@require_POST
def wishlist_toggle(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    if not request.user.is_authenticated:
        return sign_in_response(request, back_url(request, product.get_absolute_url()))
    error = ""
    try:
        wished = services.wishlist_toggle(user=request.user, product=product)
    except DomainError as exc:
        wished, error = False, exc.message
    if request.htmx:
        response = render(
            request,
            "wishlist/_toggle.html",
            {
                "product": product,
                "wished": wished,
                "wish_error": error,
                "wish_next": request.htmx.current_url_abs_path or "",
                "oob_counts": True,
            },
        )
        return with_trigger(response, "wishlistChanged")
    if error:
        messages.error(request, error)
    elif wished:
        messages.success(request, _("“%(title)s” is on your wish list.") % {"title": product.title})
    else:
        messages.success(request, _(
            "“%(title)s” was removed from your wish list.") % {"title": product.title})
    return redirect(back_url(request, product.get_absolute_url()))


@require_POST
def wishlist_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    list_url = reverse("wishlist:list")
    if not request.user.is_authenticated:
        return sign_in_response(request, list_url)
    product = _product_or_404(product_id)
    notice, error = "", ""
    try:
        services.wishlist_remove(user=request.user, product=product)
        notice = f"“{product.title}” was removed from your wish list."
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        return _list_partial(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(back_url(request, list_url))


def _chosen_variant(raw: str) -> Variant | None:
    """The variant named by the form, None when none was chosen; DomainError when unusable."""
    raw = raw.strip()
    if not raw:
        return None
    message = _("Choose one of the listed options.")
    if not raw.isdigit() or len(raw) > 18:
        raise DomainError(message, code="invalid_variant", fields={"variant_id": [message]})
    variant = Variant.objects.filter(pk=int(raw)).first()
    if variant is None:
        raise DomainError(message, code="invalid_variant", fields={"variant_id": [message]})
    return variant


@require_POST
def wishlist_move_to_cart(request: HttpRequest, product_id: int) -> HttpResponse:
    list_url = reverse("wishlist:list")
    if not request.user.is_authenticated:
        return sign_in_response(request, list_url)
    product = _product_or_404(product_id)
    notice, error = "", ""
    try:
        variant = _chosen_variant(request.POST.get("variant_id", ""))
        services.wishlist_move_to_cart(user=request.user, product=product, variant=variant)
        notice = f"“{product.title}” was moved to your cart."
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        return _list_partial(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(list_url)
