"""Shops, paid / shipped / received orders with Free Return items, built through the real services."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json

from cart.models import CartLine
from catalog.services import product_refresh_summary  # noqa: F401  (ProductFactory uses it)
from orders.models import Order
from orders.services import checkout_pay, checkout_place, order_confirm_receipt, order_mark_shipped
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
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
SHIPPED_AT = T0 + 2 * DAY
RECEIVED_AT = T0 + 6 * DAY
_keys = itertools.count(1)


def sellable(store, *, price=2500, free_return=True, stock=100):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, price_minor=500, currency=store.currency)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(
        store=store,
        currency=store.currency,
        processing_days=7,
        free_return=free_return,
        variants=[{"price_minor": price, "stock": stock}],
    )
    product.shipping_methods.add(method)
    return product.variants.get()


class ReturnShop:
    """A buyer (shipping to `country`), a USD store with a Free Return item (25.00) and a
    plain item (40.00), shipping 5.00 per order."""

    def __init__(self, country: str = "US"):
        self.buyer = UserFactory()
        self.address = AddressFactory(user=self.buyer, country=country)
        self.store = StoreFactory()
        self.seller = self.store.owner
        self.free = sellable(self.store, price=2500, free_return=True)
        self.plain = sellable(self.store, price=4000, free_return=False)

    def order(
        self, *lines, ship: bool = True, receive: bool = True, now: dt.datetime = T0, method: str = "card"
    ) -> Order:
        """Checkout and pay `lines` [(variant, quantity)] (default: 3 Free Return units) by card, or
        by a `method` whose money arrives later (PAY-4: bank transfer…), marked received at once."""
        lines = lines or ((self.free, 3),)
        key = f"rk{next(_keys)}"
        for variant, quantity in lines:
            CartLine.objects.create(
                user=self.buyer, variant=variant, quantity=quantity, price_seen_minor=variant.price_minor
            )
        checkout = checkout_place(buyer=self.buyer, address=self.address, idempotency_key=key, now=now)
        if method == "card":
            checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"pay-{key}", now=now)
        else:
            from payments.services import payment_mark_received

            payments = checkout_pay(
                checkout=checkout, token="", idempotency_key=f"pay-{key}", now=now, method=method
            )
            for payment in payments:
                payment_mark_received(payment=payment, now=now)
        order = Order.objects.get(checkout=checkout)
        if ship:
            order = order_mark_shipped(
                order=order,
                seller=self.seller,
                carrier="Thailand Post",
                tracking_number="EX1TH",
                now=now + (SHIPPED_AT - T0),
            )
        if ship and receive:
            order = order_confirm_receipt(order=order, buyer=self.buyer, now=now + (RECEIVED_AT - T0))
        return Order.objects.get(pk=order.pk)

    def line(self, order: Order, variant=None):
        return order.lines.get(variant=variant or self.free)


def signed(body: dict | bytes, *, secret: str, at: dt.datetime) -> tuple[bytes, str]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, f"t={ts},v1={mac}"
