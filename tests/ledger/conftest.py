"""Shops, checkouts and paid orders built through the real services (orders, payments)."""

import datetime as dt
import itertools

import pytest

from cart.models import CartLine
from orders.models import Order
from orders.services import checkout_pay, checkout_place
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
_keys = itertools.count(1)


def sellable(store, *, price=2500, stock=1_000_000, shipping=500):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, price_minor=shipping, currency=store.currency)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(
        store=store, currency=store.currency, processing_days=7,
        variants=[{"price_minor": price, "stock": stock}],
    )
    product.shipping_methods.add(method)
    return product.variants.get()


def place_and_pay(buyer, address, *variants, now=T0, pay=True) -> list[Order]:
    """Checkout (one order per store, ORD-1) and pay it with the simulated card."""
    key = f"ck{next(_keys)}"
    for variant in variants:
        CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key=key, now=now)
    if pay:
        checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"pay-{key}", now=now)
    return list(Order.objects.filter(checkout=checkout).order_by("pk"))


class Shop:
    def __init__(self):
        self.buyer = UserFactory()
        self.address = AddressFactory(user=self.buyer)
        self.store = StoreFactory()  # USD
        self.other_store = StoreFactory(currency="EUR")
        self.variant = sellable(self.store, price=2500)  # an order of 25.00 + 5.00 shipping
        self.other_variant = sellable(self.other_store, price=1999, shipping=333)

    def paid_order(self, *, now=T0) -> Order:
        return place_and_pay(self.buyer, self.address, self.variant, now=now)[0]


@pytest.fixture
def shop(db):
    return Shop()
