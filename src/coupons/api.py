"""Buyer coupons API, mounted at /api/v1/coupons/. Authenticated (session or bearer token).

    GET  /coupons/mine                       "My Coupons": valid / not_yet_active / expired / used (CPN-4)
    POST /coupons/{promotion_id}/collect     "Get coupon" (201; 200 when already held)
    GET  /coupons/store/{store_id}           the store's coupons you can get now
    GET  /coupons/sales                      the sale pages on now, with their coupons (CPN-4)
    POST /coupons/check-code {"code"}        does this promo code apply to your cart? (CPN-6)
    POST /coupons/checkout-preview           the preselected best combination, the alternatives
                                             and why each other offer does not apply (CPN-5)

Refusals use the error shape with a CPN-6 code: min_spend_not_met (with how much more in
the message), not_yet_active, expired, not_for_these_products, not_for_this_user,
out_of_stock, already_used / per_user_limit_reached, paused, not_collected, unknown_code,
invalid_code. Place the order with the chosen `promotion_ids` and `codes`:
POST /api/v1/checkout (orders.api).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from core import clock
from core.errors import DomainError, NotFound
from core.schemas import ErrorOut
from coupons import selectors, services
from coupons.models import CollectedCoupon, Promotion

router = Router(tags=["coupons"])

PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CouponOut(Schema):
    promotion_id: int
    kind: str
    title: str
    store_id: int | None
    store_name: str
    percent_bp: int | None = Field(description="Percentage off in basis points (1000 = 10 %), or null.")
    amount_minor: int | None = Field(description="Fixed amount off in minor units of `currency`, or null.")
    currency: str
    max_discount_minor: int | None
    min_spend_minor: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    collected_at: dt.datetime | None
    status_code: str = Field(description='"valid" or the CPN-6 reason it does not apply now.')
    status_message: str


class RefundCouponOut(Schema):
    code: str
    currency: str
    left_minor: int = Field(description="What is left to spend, in minor units of `currency`.")


class MyCouponsOut(Schema):
    valid: list[CouponOut]
    not_yet_active: list[CouponOut]
    expired: list[CouponOut]
    used: list[CouponOut]
    refund_coupons: list[RefundCouponOut] = Field(
        [], description="PAY-4: COD refund coupons; spend them with use_refund_coupons at checkout."
    )


class CodeIn(Schema):
    code: str = Field(max_length=60)


class CodeOut(Schema):
    code: str
    applies: bool
    coupon: CouponOut


class PreviewIn(Schema):
    codes: list[Annotated[str, Field(max_length=40)]] = Field([], max_length=5)
    promotion_ids: list[Id] | None = Field(None, max_length=20, description="Evaluate this pick too.")
    use_refund_coupons: bool = False


class SavingOut(Schema):
    kind: str
    promotion_id: int | None
    title: str
    funder: str
    currency: str
    amount_minor: int


class OrderDiscountOut(Schema):
    kind: str
    title: str
    funder: str
    amount_minor: int


class PreviewOrderOut(Schema):
    store_id: int
    currency: str
    items_minor: int
    shipping_minor: int
    discount_minor: int
    total_minor: int
    discounts: list[OrderDiscountOut]


class RefusalOut(Schema):
    promotion_id: int
    code: str
    message: str


class SelectionOut(Schema):
    promotion_ids: list[int]
    saving: list[SavingOut]
    orders: list[PreviewOrderOut]
    refusal: RefusalOut | None = None


class NotApplicableOut(Schema):
    promotion_id: int
    title: str
    code: str
    message: str
    data: dict


class CodeProblemOut(Schema):
    code: str
    error: str
    message: str


class PreviewOut(Schema):
    best: SelectionOut
    reason: str = Field(description="Which combination was preselected and why.")
    alternatives: list[SelectionOut]
    picked: SelectionOut | None
    not_applicable: list[NotApplicableOut]
    codes: list[CodeProblemOut]


@router.get("/mine", response={200: MyCouponsOut, 401: ErrorOut})
def coupons_mine(request):
    """CPN-4: your coupons grouped as valid / not yet active / expired / used."""
    credits = selectors.credits_for(buyer=request.auth)
    return {
        **selectors.my_coupons(user=request.auth, now=clock.now()),
        "refund_coupons": [
            {"code": c.code, "currency": c.currency, "left_minor": c.left_minor} for c in credits
        ],
    }


@router.post("/{promotion_id}/collect", response={200: CouponOut, 201: CouponOut, **ERRORS})
def coupon_collect(request, promotion_id: PathId):
    """CPN-4 "Get coupon": adds a store or platform coupon to your wallet (once)."""
    now = clock.now()
    before = CollectedCoupon.objects.filter(user=request.auth, promotion_id=promotion_id).exists()
    held = services.coupon_collect(user=request.auth, promotion_id=promotion_id, now=now)
    promotion = Promotion.objects.select_related("store").get(pk=held.promotion_id)
    return Status(200 if before else 201, selectors.coupon_row(promotion, collected_at=held.collected_at))


class SaleOut(Schema):
    name: str
    slug: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    coupons: list[CouponOut]


@router.get("/sales", response={200: list[SaleOut], 401: ErrorOut})
def sales_running(request):
    """CPN-4: the sale pages on now, each with the platform coupons you can get there."""
    from coupons.views import platform_offers_for, running_sale_pages

    now = clock.now()
    return [
        {
            "name": page.name, "slug": page.slug, "description": page.description,
            "starts_at": page.starts_at, "ends_at": page.ends_at,
            "coupons": [selectors.coupon_row(p) for p in platform_offers_for(now=now, sale_page=page)],
        }
        for page in running_sale_pages(now=now)
    ]


@router.get("/store/{store_id}", response={200: list[CouponOut], **ERRORS})
def coupons_of_store(request, store_id: PathId):
    """The store's coupons you can get now."""
    return [
        selectors.coupon_row(p) for p in selectors.collectable_coupons(store_id=store_id, now=clock.now())
    ]


def _refusal_error(refusal, status: int) -> DomainError:
    return DomainError(refusal.message, code=refusal.code, fields={"code": [refusal.message]}, status=status)


@router.post("/check-code", response={200: CodeOut, **ERRORS})
def code_check(request, payload: CodeIn):
    """CPN-6: whether the promo code applies to your cart, or exactly why not (error code)."""
    offer, refusal = selectors.promo_code_check(user=request.auth, code=payload.code, now=clock.now())
    if offer is None:
        status = 404 if refusal.code == "unknown_code" else 422
        raise _refusal_error(refusal, status)
    if refusal is not None:
        status = 409 if refusal.code in {"out_of_stock", "already_used", "per_user_limit_reached"} else 422
        raise _refusal_error(refusal, status)
    promotion = Promotion.objects.select_related("store").filter(pk=offer.id).first()
    if promotion is None:
        raise NotFound(_("There is no such promo code."), code="unknown_code")
    return {"code": offer.code, "applies": True, "coupon": selectors.coupon_row(promotion)}


@router.post("/checkout-preview", response={200: PreviewOut, **ERRORS})
def checkout_preview(request, payload: PreviewIn):
    """CPN-5: the best allowed combination for your cart (preselected), the alternatives to
    switch to, the saving per source, and why each other offer does not apply (CPN-6)."""
    return selectors.checkout_preview(
        user=request.auth,
        now=clock.now(),
        codes=payload.codes,
        promotion_ids=payload.promotion_ids,
        use_refund_coupons=payload.use_refund_coupons,
    )
