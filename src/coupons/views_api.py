"""Management API of promotions (CPN-1, CPN-2), thin over coupons.manage:

    /api/v1/seller/coupons             GET (list), POST (create)      the seller's own store kinds
    /api/v1/seller/coupons/{id}        GET, PATCH
    /api/v1/seller/coupons/{id}/pause  POST      …/resume POST        …/stats GET
    /api/v1/backoffice/coupons…        the same for platform coupons and promo codes (active staff)
    /api/v1/backoffice/sale-pages      GET, POST; /{id} PATCH         sale pages (active staff)

Amounts are integer minor units (the store's currency for store kinds, `currency` for platform
kinds); a percentage is `percent_bp` in basis points (1000 = 10 %); instants are ISO 8601 with
a time zone. Validation is the services': every bad field comes back in the one error shape
(422 "validation_error" with `fields`). Another store's promotion is 404; a person without a
store gets 409 "no_store"; a signed-in non-staff person gets 403 on the back-office paths.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import StrictInt

from core import clock
from core.errors import Conflict, NotAllowed, NotFound
from core.schemas import ErrorOut, MoneyOut
from coupons import manage
from coupons.models import Promotion, SalePage
from sellercenter.selectors import store_of

seller_router = Router(tags=["seller coupons"])
staff_router = Router(tags=["back office coupons"])
sale_pages_router = Router(tags=["back office coupons"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- schemas ---------------------------------------------------------------------------------------


class PromotionIn(Schema):
    kind: str
    title: str = ""
    description: str = ""
    code: str = ""
    percent_bp: StrictInt | None = None
    amount_minor: StrictInt | None = None
    currency: str = ""
    max_discount_minor: StrictInt | None = None
    min_spend_minor: StrictInt = 0
    starts_at: dt.datetime
    ends_at: dt.datetime
    eligible_users: str = "everyone"
    product_ids: list[StrictInt] = []
    category_ids: list[StrictInt] = []
    per_user_limit: StrictInt = 1
    total_stock: StrictInt | None = None
    sale_page_id: StrictInt | None = None


class PromotionPatch(Schema):
    title: str | None = None
    description: str | None = None
    code: str | None = None
    percent_bp: StrictInt | None = None
    amount_minor: StrictInt | None = None
    currency: str | None = None
    max_discount_minor: StrictInt | None = None
    min_spend_minor: StrictInt | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    eligible_users: str | None = None
    product_ids: list[StrictInt] | None = None
    category_ids: list[StrictInt] | None = None
    per_user_limit: StrictInt | None = None
    total_stock: StrictInt | None = None
    sale_page_id: StrictInt | None = None


class PromotionOut(Schema):
    id: int
    kind: str
    store_id: int | None
    title: str
    description: str
    code: str
    percent_bp: int | None
    amount_minor: int | None
    currency: str
    max_discount_minor: int | None
    min_spend_minor: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    eligible_users: str
    product_ids: list[int]
    category_ids: list[int]
    per_user_limit: int
    total_stock: int | None
    redeemed_count: int
    collected_count: int
    paused: bool
    status: str
    sale_page_id: int | None

    @staticmethod
    def resolve_product_ids(obj: Promotion) -> list[int]:
        return sorted(p.pk for p in obj.products.all())

    @staticmethod
    def resolve_category_ids(obj: Promotion) -> list[int]:
        return sorted(c.pk for c in obj.categories.all())

    @staticmethod
    def resolve_status(obj: Promotion) -> str:
        return manage.promotion_status(obj, now=clock.now())


class DayOut(Schema):
    day: dt.date
    redeemed: int
    discount: list[MoneyOut]


class StatsOut(Schema):
    collected: int
    redeemed: int
    orders: int
    discount: list[MoneyOut]
    per_day: list[DayOut]


class SalePageIn(Schema):
    name: str = ""
    slug: str = ""
    description: str = ""
    starts_at: dt.datetime
    ends_at: dt.datetime


class SalePagePatch(Schema):
    name: str | None = None
    slug: str | None = None
    description: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


class SalePageOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime


# --- shared ---------------------------------------------------------------------------------------


def _seller_store(request):
    store = store_of(user=request.auth)
    if store is None:
        raise Conflict(_("Open your store first (POST /api/v1/seller/store)."), code="no_store")
    return store


def _staff(request):
    user = request.auth
    if not (user.is_active and user.is_staff):
        raise NotAllowed(_("Only staff use the back office."))
    return user


def _money(amounts) -> list[dict]:
    return [{"amount": m.amount, "currency": m.currency} for m in amounts]


def _stats(promotion: Promotion) -> dict:
    stats = manage.promotion_stats(promotion=promotion)
    return {
        "collected": stats.collected, "redeemed": stats.redeemed, "orders": stats.orders,
        "discount": _money(stats.discount),
        "per_day": [{"day": day, "redeemed": n, "discount": _money(amounts)}
                    for day, n, amounts in stats.per_day],
    }


def _changes(payload: Schema) -> dict:
    """The fields the client sent (a field sent as null means "clear it", e.g. total_stock)."""
    return payload.model_dump(exclude_unset=True)


def _listed(queryset):
    return list(queryset.prefetch_related("products", "categories"))


# --- seller --------------------------------------------------------------------------------------------


@seller_router.get("", response={200: list[PromotionOut], **ERRORS}, summary=_("My store's promotions"))
def seller_list(request):
    return _listed(manage.promotions_of_store(store=_seller_store(request)))


@seller_router.post("", response={201: PromotionOut, **ERRORS}, summary=_("Create a store promotion"))
def seller_create(request, payload: PromotionIn):
    store = _seller_store(request)
    data = payload.model_dump()
    data.pop("sale_page_id", None)
    if not data["currency"]:
        data.pop("currency")
    promotion = manage.promotion_create(actor=request.auth, store=store, now=clock.now(), **data)
    return Status(201, promotion)


def _seller_promotion(request, promotion_id: int) -> Promotion:
    _seller_store(request)
    return manage.promotion_for_manager(actor=request.auth, promotion_id=promotion_id)


@seller_router.get("/{promotion_id}", response={200: PromotionOut, **ERRORS})
def seller_get(request, promotion_id: int):
    return _seller_promotion(request, promotion_id)


@seller_router.patch("/{promotion_id}", response={200: PromotionOut, **ERRORS})
def seller_patch(request, promotion_id: int, payload: PromotionPatch):
    promotion = _seller_promotion(request, promotion_id)
    changes = _changes(payload)
    changes.pop("sale_page_id", None)
    return manage.promotion_update(actor=request.auth, promotion=promotion, now=clock.now(), **changes)


@seller_router.post("/{promotion_id}/pause", response={200: PromotionOut, **ERRORS})
def seller_pause(request, promotion_id: int):
    promotion = _seller_promotion(request, promotion_id)
    return manage.promotion_pause(actor=request.auth, promotion=promotion, now=clock.now())


@seller_router.post("/{promotion_id}/resume", response={200: PromotionOut, **ERRORS})
def seller_resume(request, promotion_id: int):
    promotion = _seller_promotion(request, promotion_id)
    return manage.promotion_resume(actor=request.auth, promotion=promotion, now=clock.now())


@seller_router.get("/{promotion_id}/stats", response={200: StatsOut, **ERRORS})
def seller_stats(request, promotion_id: int):
    return _stats(_seller_promotion(request, promotion_id))


# --- back office ---------------------------------------------------------------------------------------


def _staff_promotion(request, promotion_id: int) -> Promotion:
    return manage.promotion_for_manager(actor=_staff(request), promotion_id=promotion_id)


@staff_router.get("", response={200: list[PromotionOut], **ERRORS}, summary=_("Platform promotions"))
def staff_list(request):
    _staff(request)
    return _listed(manage.promotions_of_platform())


@staff_router.post("", response={201: PromotionOut, **ERRORS}, summary=_("Create a platform promotion"))
def staff_create(request, payload: PromotionIn):
    actor = _staff(request)
    promotion = manage.promotion_create(actor=actor, store=None, now=clock.now(), **payload.model_dump())
    return Status(201, promotion)


@staff_router.get("/{promotion_id}", response={200: PromotionOut, **ERRORS})
def staff_get(request, promotion_id: int):
    return _staff_promotion(request, promotion_id)


@staff_router.patch("/{promotion_id}", response={200: PromotionOut, **ERRORS})
def staff_patch(request, promotion_id: int, payload: PromotionPatch):
    promotion = _staff_promotion(request, promotion_id)
    changes = _changes(payload)
    return manage.promotion_update(actor=request.auth, promotion=promotion, now=clock.now(), **changes)


@staff_router.post("/{promotion_id}/pause", response={200: PromotionOut, **ERRORS})
def staff_pause(request, promotion_id: int):
    promotion = _staff_promotion(request, promotion_id)
    return manage.promotion_pause(actor=request.auth, promotion=promotion, now=clock.now())


@staff_router.post("/{promotion_id}/resume", response={200: PromotionOut, **ERRORS})
def staff_resume(request, promotion_id: int):
    promotion = _staff_promotion(request, promotion_id)
    return manage.promotion_resume(actor=request.auth, promotion=promotion, now=clock.now())


@staff_router.get("/{promotion_id}/stats", response={200: StatsOut, **ERRORS})
def staff_stats(request, promotion_id: int):
    return _stats(_staff_promotion(request, promotion_id))


@sale_pages_router.get("", response={200: list[SalePageOut], **ERRORS}, summary=_("Sale pages"))
def sale_pages_list(request):
    _staff(request)
    return list(manage.sale_pages())


@sale_pages_router.post("", response={201: SalePageOut, **ERRORS}, summary=_("Create a sale page"))
def sale_pages_create(request, payload: SalePageIn):
    page = manage.sale_page_create(actor=_staff(request), now=clock.now(), **payload.model_dump())
    return Status(201, page)


@sale_pages_router.patch("/{sale_page_id}", response={200: SalePageOut, **ERRORS})
def sale_pages_patch(request, sale_page_id: int, payload: SalePagePatch):
    actor = _staff(request)
    page = SalePage.objects.filter(pk=sale_page_id).first()
    if page is None:
        raise NotFound(_("No such sale page."))
    return manage.sale_page_update(actor=actor, sale_page=page, now=clock.now(), **_changes(payload))
