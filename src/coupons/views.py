"""Buyer pages of coupons (CPN-4): "Get coupon" on product and store pages, in the cart and on
sale pages; "My Coupons" grouped valid / not yet active / expired / used.

The catalog's product and store pages are cached for every visitor alike (catalog.views), so
they hold no coupon and nothing personal: only an empty box that htmx fills on load from
`store_offers` here, which is rendered per request for the person asking (and never kept by
a shared cache). Without JavaScript the box is a link to the same list as a full page.

Collecting is one POST (`collect`); with htmx it swaps the one coupon card, without it the
browser comes back to the page it was on with a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cart.models import CartLine
from cart.views import back_url, sign_in_response
from catalog.models import Product, Store
from core import clock
from core.errors import DomainError
from core.money import Money
from coupons import selectors, services
from coupons.models import COLLECTED_KINDS, CollectedCoupon, Kind, Promotion, SalePage, StoreFollow

# --- what a buyer can see and get ------------------------------------------------------------


KIND_ORDER = [Kind.STORE_INSTANT, Kind.STORE_COUPON, Kind.STORE_CODE, Kind.PLATFORM_COUPON,
              Kind.PLATFORM_CODE]


def _running(now: dt.datetime) -> Q:
    return Q(archived=False, paused=False, starts_at__lte=now, ends_at__gt=now)


def _covers(promotion: Promotion, product: Product) -> bool:
    """The promotion's products/categories include `product` (none named: every product)."""
    product_ids = {p.pk for p in promotion.products.all()}
    category_ids = {c.pk for c in promotion.categories.all()}
    if not product_ids and not category_ids:
        return True
    own, category = set(), product.category
    while category is not None and category.pk not in own:  # the category and its ancestors
        own.add(category.pk)
        category = category.parent
    return product.pk in product_ids or bool(own & category_ids)


def store_offers_for(*, store: Store, now: dt.datetime, product: Product | None = None) -> list[Promotion]:
    """The store's running promotions a buyer can see (instant discounts, coupons, promo codes),
    those covering `product` only when given; the largest benefit first within each kind."""
    promotions = (Promotion.objects.filter(_running(now), store=store).select_related("store")
                  .prefetch_related("products", "categories")
                  .order_by("-percent_bp", "-amount_minor", "pk"))
    shown = [p for p in promotions if product is None or _covers(p, product)]
    return sorted(shown, key=lambda p: KIND_ORDER.index(p.kind))  # stable: the biggest first per kind


def platform_offers_for(*, now: dt.datetime, sale_page: SalePage | None = None) -> list[Promotion]:
    """Running platform coupons buyers can collect: those of `sale_page`, or (sale_page None)
    every one whose sale page, if any, is on now."""
    promotions = (Promotion.objects.filter(_running(now), kind=Kind.PLATFORM_COUPON)
                  .select_related("sale_page"))
    if sale_page is not None:
        promotions = promotions.filter(sale_page=sale_page)
    else:
        promotions = promotions.filter(Q(sale_page__isnull=True)
                                       | Q(sale_page__starts_at__lte=now, sale_page__ends_at__gt=now))
    return list(promotions.order_by("-percent_bp", "-amount_minor", "pk"))


def _collected_ids(user, promotions) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(CollectedCoupon.objects.filter(user=user, promotion__in=[p.pk for p in promotions])
               .values_list("promotion_id", flat=True))


def _cards(request: HttpRequest, promotions) -> list[dict]:
    held = _collected_ids(request.user, promotions)
    return [{"promotion": p, "collectable": p.kind in COLLECTED_KINDS, "collected": p.pk in held}
            for p in promotions]


def _personal(response: HttpResponse) -> HttpResponse:
    """A per-person part: no shared cache may keep it."""
    patch_vary_headers(response, ["Cookie", "HX-Request"])
    patch_cache_control(response, private=True, no_cache=True)
    return response


# --- product and store pages, cart ----------------------------------------------------------------


@require_GET
def store_offers(request: HttpRequest, slug: str) -> HttpResponse:
    """The store's promotions; `?product=<id>` keeps those covering that product. With htmx the
    list alone (the product/store page's box), else a page of its own."""
    store = Store.objects.filter(slug=slug, is_active=True).first()
    if store is None:
        raise Http404("No such store")
    product = None
    product_id = request.GET.get("product", "")
    if product_id.isdigit():
        product = Product.objects.select_related("category").filter(pk=int(product_id), store=store).first()
    now = clock.now()
    here = (request.htmx.current_url_abs_path if request.htmx else None) or request.get_full_path()
    return _store_offers_response(request, store=store, product=product, now=now, next_url=here)


def _store_offers_response(request: HttpRequest, *, store: Store, product, now,
                           next_url: str) -> HttpResponse:
    following = request.user.is_authenticated and StoreFollow.objects.filter(
        user=request.user, store=store).exists()
    context = {"store": store, "product": product,
               "cards": _cards(request, store_offers_for(store=store, now=now, product=product)),
               "next": next_url, "following": following}
    template = "coupons/_store_offers.html" if request.htmx else "coupons/store_offers.html"
    return _personal(render(request, template, context))


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow or unfollow a store (`action`), so its followers-only offers apply (CPN-2)."""
    store = Store.objects.filter(slug=slug, is_active=True).first()
    if store is None:
        raise Http404("No such store")
    next_url = back_url(request, reverse("coupons:store_offers", args=[store.slug]))
    if not request.user.is_authenticated:
        return sign_in_response(request, next_url)
    if request.POST.get("action") == "unfollow":
        services.store_unfollow(user=request.user, store=store)
        done = _("You no longer follow %(store)s.") % {"store": store.name}
    else:
        services.store_follow(user=request.user, store=store, now=clock.now())
        done = _("You follow %(store)s: its offers for followers are yours to use.") % {"store": store.name}
    if request.htmx:  # the store's offers box again, now with the new state
        product = None
        product_id = request.POST.get("product", "")
        if product_id.isdigit():
            product = (Product.objects.select_related("category")
                       .filter(pk=int(product_id), store=store).first())
        return _store_offers_response(request, store=store, product=product, now=clock.now(),
                                      next_url=next_url)
    messages.success(request, done)
    return redirect(next_url)


@require_GET
def cart_offers(request: HttpRequest) -> HttpResponse:
    """CPN-4 in the cart: the coupons of the stores in the cart and the platform coupons (with
    htmx the cart page's box, else a page of its own)."""
    if not request.user.is_authenticated:
        if request.htmx:
            return _personal(HttpResponse(""))
        return sign_in_response(request, request.get_full_path())
    now = clock.now()
    store_ids = set(CartLine.objects.filter(user=request.user)
                    .values_list("variant__product__store_id", flat=True))
    promotions = list(Promotion.objects.filter(_running(now), store_id__in=store_ids, kind=Kind.STORE_COUPON)
                      .select_related("store").order_by("store__name", "-percent_bp", "-amount_minor", "pk"))
    promotions += platform_offers_for(now=now)
    context = {"cards": _cards(request, promotions), "next": reverse("cart:view")}
    template = "coupons/_cart_offers.html" if request.htmx else "coupons/cart_offers.html"
    return _personal(render(request, template, context))


@require_POST
def collect(request: HttpRequest, pk: int) -> HttpResponse:
    """"Get coupon" (CPN-4). htmx: the card again (collected, or the reason it cannot be)."""
    next_url = back_url(request, reverse("coupons:mine"))
    if not request.user.is_authenticated:
        return sign_in_response(request, next_url)
    promotion = Promotion.objects.filter(pk=pk, archived=False).select_related("store", "sale_page").first()
    if promotion is None:
        raise Http404("No such coupon")
    error = ""
    try:
        services.coupon_collect(user=request.user, promotion_id=promotion.pk, now=clock.now())
    except DomainError as exc:
        error = exc.message
    if request.htmx:  # 200 either way: htmx swaps only a successful answer, and the card says why
        card = {"promotion": promotion, "collectable": True, "collected": not error, "error": error}
        context = {"card": card, "next": next_url}
        return _personal(render(request, "coupons/_offer.html", context))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(title)s” is in My Coupons.") % {"title": promotion.title})
    return redirect(next_url)


# --- sale pages -------------------------------------------------------------------------------------


def running_sale_pages(*, now: dt.datetime) -> list[SalePage]:
    """The sale pages on now (CPN-4), ending first on top, with how many coupons each offers."""
    coupons = Count("promotions", filter=Q(promotions__kind=Kind.PLATFORM_COUPON, promotions__archived=False,
                                           promotions__paused=False, promotions__starts_at__lte=now,
                                           promotions__ends_at__gt=now))
    return list(SalePage.objects.filter(starts_at__lte=now, ends_at__gt=now)
                .annotate(coupon_count=coupons).order_by("ends_at", "pk"))


@require_GET
def sales(request: HttpRequest) -> HttpResponse:
    """The running sale pages, for every visitor alike (nothing personal: collecting is on each page)."""
    return render(request, "coupons/sales.html", {"pages": running_sale_pages(now=clock.now())})



@require_GET
def sale_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = SalePage.objects.filter(slug=slug).first()
    if page is None:
        raise Http404("No such sale")
    now = clock.now()
    running = page.starts_at <= now < page.ends_at
    cards = _cards(request, platform_offers_for(now=now, sale_page=page)) if running else []
    return _personal(render(request, "coupons/sale_page.html", {
        "page": page, "cards": cards, "running": running, "upcoming": now < page.starts_at,
        "next": request.get_full_path(),
    }))


# --- My Coupons (CPN-4) -----------------------------------------------------------------------------


@login_required
@require_GET
def my_coupons(request: HttpRequest) -> HttpResponse:
    groups = selectors.my_coupons(user=request.user, now=clock.now())  # the engine's grouping, as in the API
    sections = [
        ("valid", _("Valid"), _("Ready to use at checkout.")),
        ("not_yet_active", _("Not yet active"), _("You can use these from their start date.")),
        ("expired", _("Expired"), _("Their period is over, or they can no longer be used.")),
        ("used", _("Used"), _("Already used as many times as allowed.")),
    ]
    refund_coupons = [  # PAY-4: COD refund coupons with value left, spent at checkout
        {"code": c.code, "left": Money(c.left_minor, c.currency)}
        for c in selectors.credits_for(buyer=request.user)
    ]
    return _personal(render(request, "coupons/my_coupons.html", {
        "sections": [(key, title, hint, groups[key]) for key, title, hint in sections],
        "total": sum(len(v) for v in groups.values()) + len(refund_coupons),
        "refund_coupons": refund_coupons,
    }))
