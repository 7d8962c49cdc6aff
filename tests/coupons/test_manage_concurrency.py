"""RULE CPN-8 with editing: a seller changing the stock while buyers redeem never leaves more
redemptions than stock, and every loser gets a clean refusal (PostgreSQL only: row locks).

How the race is made: 16 checkouts through the real `orders.services.checkout_place` (each its own
buyer, thread and connection) run against a stock of 1, while another thread keeps setting the
stock to "what is redeemed now, plus one" through `coupons.manage.promotion_update`. Either the edit
locks the row first (then redemptions wait and see the new stock) or a redemption does (then
the edit sees the higher count). The editor sets "one unit left" from a count it read without
the lock, so an edit whose count moved on is refused cleanly ("validation_error"), and buyers
racing for the last unit get "out_of_stock".
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import User
from core.errors import DomainError
from coupons import manage
from coupons.models import Kind, Promotion, Redemption
from tests.coupons.test_manage import T0, make_promotion, place_with, sellable
from tests.factories import AddressFactory, StoreFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def test_cpn8_lowering_stock_while_buyers_redeem_never_oversells():
    store = StoreFactory(currency="USD")
    variant = sellable(store, price=10_000, stock=1_000)
    promotion = make_promotion(store, kind=Kind.STORE_INSTANT, percent_bp=1000, total_stock=1)
    User.objects.bulk_create(User(email=f"racer{i}@example.com", password="!") for i in range(16))
    buyers = list(User.objects.filter(email__startswith="racer").order_by("pk"))
    for buyer in buyers:
        AddressFactory(user=buyer)
    owner = store.owner
    done = threading.Event()
    edits = {"ok": 0, "refused": 0}

    def buy(buyer):
        try:
            place_with(buyer, variant, key=f"race-{buyer.pk}", promotion_ids=[promotion.pk])
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    def edit():
        try:
            while not done.is_set():
                redeemed = Promotion.objects.values_list("redeemed_count", flat=True).get(pk=promotion.pk)
                try:
                    manage.promotion_update(actor=owner, promotion=promotion, now=T0,
                                            total_stock=redeemed + 1)  # one unit left, read unlocked
                    edits["ok"] += 1
                except DomainError as exc:
                    assert exc.code == "validation_error" and "total_stock" in exc.fields
                    edits["refused"] += 1
                time.sleep(0.01)
        finally:
            connection.close()

    editor = threading.Thread(target=edit)
    editor.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(buy, buyers))
    done.set()
    editor.join()

    promotion.refresh_from_db()
    used = Redemption.objects.filter(promotion=promotion, status=Redemption.Status.ACTIVE).count()
    assert used == promotion.redeemed_count == results.count("ok")
    assert promotion.redeemed_count <= promotion.total_stock
    assert set(results) <= {"ok", "out_of_stock"}
    assert edits["ok"] >= 1
    print(f"checkouts {results.count('ok')} ok of {len(results)}; stock {promotion.total_stock}; {edits}")
