"""Orders made through the real checkout, for the deadline engine's tests."""

import datetime as dt

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


class Shop:
    """One store with one product (stock `stock`) and buyers who check out one unit each."""

    def __init__(self, *, stock: int = 1000, price: int = 2500, processing_days: int = 7):
        self.store = StoreFactory()
        method = ShippingMethodFactory(store=self.store)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
        product = ProductFactory(store=self.store, processing_days=processing_days,
                                 variants=[{"price_minor": price, "stock": stock}])
        product.shipping_methods.add(method)
        self.product = product
        self.variant = product.variants.get()
        self.count = 0

    def order(self, *, now: dt.datetime = T0, paid: bool = False, buyer=None) -> Order:
        self.count += 1
        buyer = buyer or UserFactory()
        address = AddressFactory(user=buyer)
        CartLine.objects.create(user=buyer, variant=self.variant, quantity=1,
                                price_seen_minor=self.variant.price_minor)
        checkout = checkout_place(buyer=buyer, address=address, idempotency_key=f"k{self.count}", now=now)
        if paid:
            checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"p{self.count}", now=now)
        return checkout.orders.get()


@pytest.fixture
def shop(db):
    return Shop()
