import datetime as dt
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cart.models import CartLine
from orders.services import checkout_place
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday


def sellable(store=None, *, price=2500, stock=5):
    store = store or StoreFactory()
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(
        store=store, processing_days=7, variants=[{"price_minor": price, "stock": stock}]
    )
    product.shipping_methods.add(method)
    return product.variants.get()


def place(buyer, address, *variants, key="k1", now=T0):
    for v in variants or (sellable(),):
        CartLine.objects.create(user=buyer, variant=v, quantity=1, price_seen_minor=v.price_minor)
    return checkout_place(buyer=buyer, address=address, idempotency_key=key, now=now)


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def address(buyer):
    return AddressFactory(user=buyer)


@pytest.fixture
def checkout(buyer, address):
    return place(buyer, address)


@pytest.fixture(scope="session")
def localstripe():
    """A localstripe server for the Stripe adapter's integration tests (127.0.0.1, free port)."""
    try:
        import localstripe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - requirements-dev.txt installs it
        pytest.skip(f"localstripe is not installed ({exc}); pip install -r requirements-dev.txt")
    script = Path(__file__).with_name("localstripe_server.py")
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        line = process.stdout.readline().strip()
        if not line.isdigit():
            pytest.skip(f"localstripe did not start (said {line!r})")
        deadline = time.monotonic() + 15
        while True:  # bound at once, listening a moment later
            try:
                socket.create_connection(("127.0.0.1", int(line)), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("localstripe did not start listening within 15 s")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{line}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
