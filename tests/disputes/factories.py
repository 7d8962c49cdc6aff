"""Orders made by the real services for the dispute tests (nothing is mocked)."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from PIL import Image

from cart.models import CartLine
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
_keys = itertools.count(1)


def sellable(store, *, price=2500, max_days=20, warranty=False, stock=50):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=max_days)
    product = ProductFactory(
        store=store, processing_days=3, warranty=warranty, variants=[{"price_minor": price, "stock": stock}]
    )
    product.shipping_methods.add(method)
    return product.variants.get()


def paid_order(
    *, store=None, buyer=None, now=T0, price=2500, qty=1, max_days=20, warranty=False, method="card"
) -> Order:
    store = store or StoreFactory()
    buyer = buyer or UserFactory()
    address = AddressFactory(user=buyer)
    variant = sellable(store, price=price, max_days=max_days, warranty=warranty)
    CartLine.objects.create(user=buyer, variant=variant, quantity=qty, price_seen_minor=variant.price_minor)
    key = next(_keys)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key=f"c{key}", now=now)
    kwargs = {"token": SUCCESS_TOKEN} if method == "card" else {"token": "", "method": method}
    checkout_pay(checkout=checkout, idempotency_key=f"p{key}", now=now, **kwargs)
    return Order.objects.get(checkout=checkout)


def shipped_order(*, now=T0, **kw) -> Order:
    order = paid_order(now=now, **kw)
    return order_mark_shipped(
        order=order,
        seller=order.store.owner,
        carrier="Thailand Post",
        tracking_number="EX123456789TH",
        now=now,
    )


def received_order(*, now=T0, received_after=dt.timedelta(days=8), **kw) -> Order:
    order = shipped_order(now=now, **kw)
    return order_confirm_receipt(order=order, buyer=order.buyer, now=now + received_after)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


class Upload(io.BytesIO):
    """An uploaded file as the services receive it (name, size, read/seek)."""

    def __init__(self, data: bytes, name: str = "file.bin"):
        super().__init__(data)
        self.name = name
        self.size = len(data)


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )


def mp4_bytes() -> bytes:
    ftyp = (24).to_bytes(4, "big") + b"ftypisom" + (0).to_bytes(4, "big") + b"isomiso2"
    moov = (16).to_bytes(4, "big") + b"moov" + b"\x00" * 8
    mdat = (16).to_bytes(4, "big") + b"mdat" + b"\x01" * 8
    return ftyp + moov + mdat


def webm_bytes() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 32
