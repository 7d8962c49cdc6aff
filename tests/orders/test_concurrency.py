"""Concurrency proofs on PostgreSQL: real threads, each with its own database connection,
released together by a barrier (row locks cannot be proven on SQLite).

- ORD-1: two buyers racing for the last unit → exactly one order, stock never below zero;
  a checkout submitted twice at once (same idempotency key) → one set of orders.
- ORD-4 / ORD-6: the deadline worker closing an order while its seller ships it → exactly
  one of them wins, the other is refused cleanly, no double event, no deadlock; and the
  worker never waits for an order another transaction holds.
"""

import datetime as dt
import threading

import psycopg
import pytest
from django.db import OperationalError, connection

from cart.models import CartLine
from catalog.models import Variant
from core.errors import Conflict, NotAllowed
from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from orders.models import Checkout, Order, OrderEvent
from orders.services import checkout_place, order_mark_shipped
from orders.states import State
from payments.models import Refund
from tests.deadlines.conftest import T0, Shop
from tests.factories import AddressFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def race(*calls, timeout: float = 60) -> list[tuple[str, object]]:
    """Run the calls in threads started together; returns ("ok", result) or ("error", exc) each."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = ("error", exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a racing transaction hung (a deadlock would show here)"
    return results


def buyer_with_cart(variant, quantity: int = 1):
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    CartLine.objects.create(
        user=buyer, variant=variant, quantity=quantity, price_seen_minor=variant.price_minor
    )
    return buyer, address


@pytest.mark.parametrize("round_", range(3))
def test_ORD_1_two_buyers_racing_for_the_last_unit_make_exactly_one_order(round_):
    shop = Shop(stock=1)
    first, second = buyer_with_cart(shop.variant), buyer_with_cart(shop.variant)

    results = race(
        *(
            lambda b=buyer, a=address: checkout_place(buyer=b, address=a, idempotency_key="last", now=T0)
            for buyer, address in (first, second)
        )
    )

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict) and error.code == "cart_problems"
    assert "out of stock" in str(error.fields)
    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=shop.variant.pk).stock == 0  # never below zero
    assert Checkout.objects.count() == 1  # the loser's checkout rolled back with it
    loser = first[0] if Order.objects.get().buyer_id == second[0].pk else second[0]
    assert CartLine.objects.filter(user=loser).count() == 1  # its cart is untouched


def test_ORD_1_a_checkout_submitted_twice_at_once_creates_one_set_of_orders():
    shops = [Shop(stock=5), Shop(stock=5)]
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    for shop in shops:
        CartLine.objects.create(user=buyer, variant=shop.variant, quantity=2, price_seen_minor=2500)

    results = race(
        *(
            lambda: checkout_place(buyer=buyer, address=address, idempotency_key="double-click", now=T0)
            for _ in range(2)
        )
    )

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert results[0][1].pk == results[1][1].pk  # both submissions answer with the same checkout
    assert Checkout.objects.count() == 1
    assert Order.objects.count() == 2  # one per store (ORD-1), once
    for shop in shops:
        assert Variant.objects.get(pk=shop.variant.pk).stock == 3  # reserved once


@pytest.mark.parametrize("round_", range(4))
def test_ORD_4_ORD_6_worker_closing_and_seller_shipping_at_once_exactly_one_wins(round_):
    """The seller ships one second before the ship-by deadline (allowed) while the worker,
    whose clock reads one second after it, closes the order (ORD-4)."""
    shop = Shop(stock=10, processing_days=3)
    orders = [shop.order(paid=True) for _ in range(3)]
    target = orders[round_ % 3]  # the order the seller ships, somewhere in the worker's batch
    ship_by = Order.objects.get(pk=target.pk).ship_by
    second = dt.timedelta(seconds=1)

    worker, seller = race(
        lambda: deadlines_fire_due(now=ship_by + second),
        lambda: order_mark_shipped(order=target, seller=shop.store.owner, carrier="Thailand Post",
                                   tracking_number="RB123456789TH", now=ship_by - second),
    )
    deadlines_fire_due(now=ship_by + second)  # fires whatever the first call left for later

    assert worker[0] == "ok", worker  # the worker never fails on it: no deadlock, no error
    final = Order.objects.get(pk=target.pk)
    events = list(
        OrderEvent.objects.filter(order=target).exclude(from_state="").values_list("to_state", flat=True)
    )
    if seller[0] == "ok":  # the seller won: shipped, and the ship-by deadline never fired
        assert final.state == State.SHIPPED
        assert events.count(State.SHIPPED) == 1 and State.CLOSED not in events
        assert not Refund.objects.filter(order=target).exists()
        ship_by_row = Deadline.objects.get(subject_id=target.pk, kind="ship_by")
        assert ship_by_row.status in (Status.DISARMED, Status.SKIPPED)
    else:  # the worker won: closed and refunded once; the seller was told why, cleanly
        assert isinstance(seller[1], NotAllowed) and not isinstance(seller[1], OperationalError)
        assert seller[1].code == "order_finished", seller
        assert final.state == State.CLOSED and final.tracking_number == ""
        assert events.count(State.CLOSED) == 1 and State.SHIPPED not in events
        assert Refund.objects.filter(order=target).count() == 1
    for other in orders:  # the rest of the worker's batch closed exactly once
        if other.pk != target.pk:
            assert Order.objects.get(pk=other.pk).state == State.CLOSED
            assert OrderEvent.objects.filter(order=other, to_state=State.CLOSED).count() == 1


def _raw_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def test_ORD_4_the_worker_leaves_an_order_another_transaction_holds_and_never_waits():
    """A seller's transaction holds the order (and will disarm its deadline): the worker must
    neither wait for it (holding the deadline row, that would deadlock) nor count it as a
    failure. It closes the other orders and leaves this one's deadline untouched."""
    shop = Shop(stock=10, processing_days=3)
    held, free = shop.order(paid=True), shop.order(paid=True)
    after = Order.objects.get(pk=held.pk).ship_by + dt.timedelta(days=1)
    with _raw_connection() as seller:
        seller.execute("SELECT id FROM orders_order WHERE id = %s FOR UPDATE", [held.pk])
        outcome = race(lambda: deadlines_fire_due(now=after), timeout=30)[0]
        assert outcome == ("ok", 2)  # the free order's ship-by and its reminder
        # The seller can now disarm the held order's deadlines without waiting for the worker.
        seller.execute("SET LOCAL lock_timeout = '2s'")
        seller.execute(
            "UPDATE deadlines_deadline SET status = 'disarmed' WHERE subject_type = 'order' "
            "AND subject_id = %s AND status = 'pending'", [held.pk]
        )
        seller.commit()
    assert Order.objects.get(pk=free.pk).state == State.CLOSED
    assert Order.objects.get(pk=held.pk).state == State.AWAITING_SHIPMENT
    untouched = Deadline.objects.get(subject_id=held.pk, kind="ship_by")
    assert (untouched.status, untouched.attempts, untouched.last_error) == (Status.DISARMED, 0, "")
    assert deadlines_fire_due(now=after) == 0
    assert Order.objects.get(pk=held.pk).state == State.AWAITING_SHIPMENT
