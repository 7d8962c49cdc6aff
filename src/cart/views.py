"""Cart pages: view, add, update, remove. Thin: parse, call one service, render.

Every POST works without JavaScript (message + redirect back) and with htmx
(a partial with out-of-band header counts, plus an HX-Trigger "cartChanged" event).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cart import services
from cart.selectors import MAX_LINE_QUANTITY, cart_summary
from catalog.models import Variant
from core.errors import DomainError

# --- helpers shared with the wish list pages ---------------------------------


def back_url(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: the form's `next`, else the referring page, if on this site."""
    for candidate in (request.POST.get("next", ""), request.META.get("HTTP_REFERER", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return default


def sign_in_response(request: HttpRequest, next_url: str) -> HttpResponse:
    """Send an anonymous visitor to sign in and come back to `next_url`.

    htmx requests get an HX-Redirect header (a plain redirect would be followed
    inside the XHR and swapped into the page).
    """
    if getattr(request, "htmx", False) and request.htmx.current_url_abs_path:
        next_url = request.htmx.current_url_abs_path
    login = f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(login)
    return redirect(login)


def with_trigger(response: HttpResponse, *events: str) -> HttpResponse:
    """Fire htmx events (e.g. "cartChanged") on the page after the swap."""
    response["HX-Trigger"] = ", ".join(events)
    return response


# --- forms -------------------------------------------------------------------


class QuantityField(forms.IntegerField):
    def __init__(self, **kwargs):
        range_message = f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}."
        super().__init__(
            min_value=1,
            max_value=MAX_LINE_QUANTITY,
            error_messages={
                "required": _("Enter a quantity."),
                "invalid": _("Enter a whole number."),
                "min_value": range_message,
                "max_value": range_message,
            },
            **kwargs,
        )


class CartAddForm(forms.Form):
    variant_id = forms.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        error_messages={
            "required": gettext_lazy("Choose an option to add to the cart."),
            "invalid": gettext_lazy("Choose an option to add to the cart."),
            "min_value": gettext_lazy("This item does not exist."),
            "max_value": gettext_lazy("This item does not exist."),
        },
    )
    quantity = QuantityField(required=False)

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1

    def clean_variant_id(self) -> Variant:
        variant = Variant.objects.filter(pk=self.cleaned_data["variant_id"]).first()
        if variant is None:
            raise forms.ValidationError(_("This item does not exist."))
        return variant


class QuantityForm(forms.Form):
    quantity = QuantityField()


def _form_error(form: forms.Form) -> str:
    return " ".join(m for errors in form.errors.values() for m in errors)


# --- pages -------------------------------------------------------------------


def _cart_context(request: HttpRequest, **extra) -> dict:
    summary = cart_summary(user=request.user, locale=request.money_locale)
    return {"cart": summary, "max_quantity": MAX_LINE_QUANTITY, **extra}


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "cart/cart.html", {"cart": None})
    return render(request, "cart/cart.html", _cart_context(request))


def _cart_partial(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    context = _cart_context(request, notice=notice, error=error, oob_counts=True)
    return with_trigger(render(request, "cart/_cart.html", context), "cartChanged")


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart_url = reverse("cart:view")
    if not request.user.is_authenticated:
        return sign_in_response(request, back_url(request, cart_url))
    form = CartAddForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _form_error(form)
    else:
        try:
            services.cart_add(
                user=request.user,
                variant=form.cleaned_data["variant_id"],
                quantity=form.cleaned_data["quantity"],
            )
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        response = render(request, "cart/_add_result.html", {"error": error, "oob_counts": True})
        return with_trigger(response, "cartChanged")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Added to your cart."))
    return redirect(back_url(request, cart_url))


@require_POST
def cart_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart_url = reverse("cart:view")
    if not request.user.is_authenticated:
        return sign_in_response(request, cart_url)
    form = QuantityForm(request.POST)
    notice, error = "", ""
    if not form.is_valid():
        error = _form_error(form)
    else:
        try:
            services.cart_update_quantity(
                user=request.user, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
            notice = "Quantity updated."
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        return _cart_partial(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(cart_url)


@require_POST
def cart_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    cart_url = reverse("cart:view")
    if not request.user.is_authenticated:
        return sign_in_response(request, cart_url)
    notice, error = "", ""
    try:
        services.cart_remove(user=request.user, line_id=line_id)
        notice = "Removed from your cart."
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        return _cart_partial(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(cart_url)
