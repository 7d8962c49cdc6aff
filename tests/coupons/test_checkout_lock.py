"""CPN-8 on PostgreSQL: the checkout counts the buyer's uses only once it holds the buyer's row.

RULE CPN-8. The checkout reads its offers and takes the buyer's row lock in one statement
(coupons.selectors.offers_for_checkout with lock_buyer), then counts the uses (buyer_facts) in
the next one. Here another transaction holds the buyer's row; the checkout must wait on it in
that very statement, and once the other transaction commits a use of the coupon, the checkout
must see it (a count read in the locking statement would see the snapshot from before the
wait, and let a limit-1 coupon be used twice).
"""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import User
from core.errors import DomainError
from coupons.models import Kind, Promotion, Redemption
from orders.models import Order
from orders.services import checkout_place
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60  # seconds


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def _waiting_statement() -> str:
    """The statement of a backend of this database waiting on a lock, or ""."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def test_cpn8_checkout_waits_for_the_buyers_row_and_then_counts_the_use_just_committed():
    store = store_make()
    variant = sellable(store, price=3_000)
    buyer, address = buyer_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=500, collect_for=buyer)
    earlier = Order.objects.create(
        number="EARLIER1", buyer=buyer, store=store, currency="USD", ship_first_name="Mai",
        ship_last_name="Vang", ship_line1="x", ship_city="y", ship_country="US", ship_phone="1",
        processing_days=3, placed_at=T0,
    )
    cart_add(buyer, variant)
    locked, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def holder():  # another checkout of the same buyer: holds the row, then commits a use
        try:
            with transaction.atomic():
                User.objects.select_for_update().filter(pk=buyer.pk).values_list("pk").first()
                locked.set()
                release.wait(TIMEOUT)
                Redemption.objects.create(
                    promotion=coupon, user=buyer, order=earlier, amount_minor=500, created_at=T0
                )
                Promotion.objects.filter(pk=coupon.pk).update(redeemed_count=1)
        finally:
            connection.close()

    def checkout():
        try:
            locked.wait(TIMEOUT)
            checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0,
                           promotion_ids=[coupon.pk])
            outcome["result"] = "placed"
        except DomainError as exc:
            outcome["result"] = exc.code
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["result"] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=holder, daemon=True), threading.Thread(target=checkout, daemon=True)]
    for t in threads:
        t.start()
    waiting, deadline = "", time.monotonic() + TIMEOUT
    try:
        while not waiting and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = _waiting_statement()
    finally:
        release.set()
        for t in threads:
            t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    # It waited in the statement reading the offers (which takes the buyer's row lock) ...
    assert "coupons_promotion" in waiting and "accounts_user" in waiting, waiting
    # ... and counted the use committed meanwhile: a limit-1 coupon is not used twice.
    assert outcome["result"] == "already_used"
    assert Redemption.objects.filter(promotion=coupon, user=buyer).count() == 1
    assert not Order.objects.exclude(pk=earlier.pk).exists()
