"""Coupon test data (CPN): promotions of each kind, a shop with products, a buyer with a cart."""

from __future__ import annotations

import datetime as dt
import itertools

from cart.models import CartLine
from coupons.models import CODE_KINDS, PLATFORM_KINDS, CollectedCoupon, Promotion
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
SECOND = dt.timedelta(seconds=1)
_codes = itertools.count(1)


def promotion_make(
    kind: str, *, store=None, collect_for=None, products=(), categories=(), **fields
) -> Promotion:
    """A running promotion of `kind` (10 % off unless told), valid a week around T0."""
    values = {
        "title": f"{kind} offer",
        "starts_at": T0 - dt.timedelta(days=1),
        "ends_at": T0 + dt.timedelta(days=7),
        "currency": store.currency if store is not None else "USD",
        "created_at": T0 - dt.timedelta(days=2),
        "updated_at": T0 - dt.timedelta(days=2),
    }
    if "amount_minor" not in fields and "percent_bp" not in fields:
        values["percent_bp"] = 1000
    if kind in CODE_KINDS:
        values["code"] = f"CODE{next(_codes)}"
    values.update(fields)
    promotion = Promotion.objects.create(kind=kind, store=None if kind in PLATFORM_KINDS else store, **values)
    if products:
        promotion.products.set(products)
    if categories:
        promotion.categories.set(categories)
    if collect_for is not None:
        CollectedCoupon.objects.create(
            user=collect_for, promotion=promotion, collected_at=T0 - dt.timedelta(hours=1)
        )
    return promotion


def sellable(store, *, price=2500, stock=50, category=None):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, price_minor=500)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    extra = {"category": category} if category is not None else {}
    product = ProductFactory(store=store, variants=[{"price_minor": price, "stock": stock}], **extra)
    product.shipping_methods.add(method)
    return product.variants.get()


def buyer_make():
    buyer = UserFactory()
    return buyer, AddressFactory(user=buyer)


def cart_add(buyer, *variants, qty=1):
    for v in variants:
        CartLine.objects.create(user=buyer, variant=v, quantity=qty, price_seen_minor=v.price_minor)


def store_make(**kwargs):
    return StoreFactory(**kwargs)
