"""Ledger postings inside a deadline batch wait for the batch's end and go in together
(ledger.services.ledger_post_many): the statements the ledger sends do not grow with the
number of firings, and every invariant holds as when posting one at a time.
RULE RFD-1 (refunds drawn from escrow, never above what it holds), RULE BP-2 (release at
most once, minus commission), RULE PAY-5 (one posting per key)."""

import datetime as dt

import pytest

from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from ledger.models import Account, Transaction
from ledger.selectors import ledger_problems, order_ledger
from ledger.services import Posting, account_get, escrow_of, ledger_post, ledger_post_many
from orders.models import Order
from orders.services import order_mark_shipped
from orders.states import State
from tests.ledger.conftest import T0
from tests.sql import statements

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)
LATER = dt.timedelta(days=20)  # a second group of orders, due well after the first


def ledger_statements():
    """The SQL statements that touch the ledger's tables (the lean helpers' too)."""
    return statements(lambda sql: "ledger_" in sql)


def close_by_ship_timeout(orders) -> int:
    """Fire the ship-by deadlines of `orders` (ORD-4: closed and refunded) in one batch; returns
    the number of SQL statements that touched the ledger."""
    due = max(o.ship_by for o in orders) + SECOND
    with ledger_statements() as seen:
        assert deadlines_fire_due(now=due) >= len(orders)
    return len(seen)


def test_RFD_1_closing_refunds_of_a_batch_post_in_a_fixed_number_of_statements(shop, is_postgres):
    few = [shop.paid_order() for _ in range(2)]
    many = [shop.paid_order(now=T0 + LATER) for _ in range(6)]
    few_statements = close_by_ship_timeout(few)
    many_statements = close_by_ship_timeout(many)
    # Three times the refunds, the same statements (SQLite moves cached balances one row at a
    # time: one more UPDATE per escrow account).
    assert many_statements - few_statements == (0 if is_postgres else len(many) - len(few))
    assert few_statements <= 7 + (0 if is_postgres else 3)
    for order in [*few, *many]:
        order.refresh_from_db()
        assert order.state == State.CLOSED
        assert order_ledger(order) == {"captured": 3000, "refunded": 3000, "released": 0, "held": 0}
        assert Transaction.objects.filter(order=order, kind="refund").count() == 1
    assert ledger_problems() == []


def test_RFD_1_a_refund_above_the_escrow_fails_its_firing_alone(shop):
    short, fine = shop.paid_order(), shop.paid_order()
    # The escrow of `short` holds less than what its closing refunds (a correction took 10.00).
    revenue = account_get(kind=Account.Kind.PLATFORM_REVENUE, currency="USD", now=T0)
    ledger_post(key="correction", kind="adjustment", lines=[(escrow_of(short), -1000), (revenue, 1000)],
                now=T0)
    close_by_ship_timeout([short, fine])
    short.refresh_from_db()
    fine.refresh_from_db()
    assert fine.state == State.CLOSED and order_ledger(fine)["refunded"] == 3000
    assert short.state == State.AWAITING_SHIPMENT and order_ledger(short)["refunded"] == 0
    failed = Deadline.objects.get(subject_id=short.pk, kind="ship_by")
    assert failed.status == Status.PENDING and failed.attempts == 1
    assert "refund_exceeds_escrow" in failed.last_error or "cannot exceed" in failed.last_error
    assert not short.refunds.exists()
    assert ledger_problems() == []


def test_BP_2_releases_of_a_batch_post_together_once_each(shop, settings, is_postgres):
    settings.HMONG_POLICY = {"commission_rate_bp": 1000}
    account_get(kind=Account.Kind.SELLER_AVAILABLE, currency="USD", store=shop.store, now=T0)
    account_get(kind=Account.Kind.PLATFORM_REVENUE, currency="USD", now=T0)

    def completed(count, start):
        orders = [shop.paid_order(now=start) for _ in range(count)]
        due = None
        for order in orders:
            shipped = order_mark_shipped(order=order, seller=order.store.owner, carrier="Thailand Post",
                                         tracking_number="TH1", now=start + SECOND)
            due = shipped.protection_ends_at + SECOND
        with ledger_statements() as seen:
            deadlines_fire_due(now=due)
        return orders, len(seen)

    few, few_statements = completed(2, T0)
    many, many_statements = completed(6, T0 + dt.timedelta(days=90))
    # Each firing reads its escrow once (no lock); the posting itself is one set of statements
    # (SQLite: one more UPDATE per escrow account).
    assert many_statements - few_statements == (len(many) - len(few)) * (1 if is_postgres else 2)
    for order in [*few, *many]:
        order.refresh_from_db()
        assert order.state == State.COMPLETED
        assert order_ledger(order) == {"captured": 3000, "refunded": 0, "released": 3000, "held": 0}
        deadline = Deadline.objects.get(subject_id=order.pk, kind="protection_end")
        assert deadline.outcome == "completed: released"
    seller = Account.objects.get(kind="seller_available", store=shop.store)
    revenue = Account.objects.get(kind="platform_revenue", currency="USD")
    assert (seller.balance_minor, revenue.balance_minor) == (8 * 2700, 8 * 300)
    assert Transaction.objects.filter(kind="release").count() == 8
    assert ledger_problems() == []


def test_PAY_5_post_many_posts_each_key_once_and_refuses_as_a_whole(shop):
    order = shop.paid_order()
    escrow = escrow_of(order)
    revenue = account_get(kind=Account.Kind.PLATFORM_REVENUE, currency="USD", now=T0)

    def move(key, amount):
        def build(balances):
            return [(escrow, -amount), (revenue, amount)] if balances[escrow.pk] >= amount else None

        return Posting(key=key, kind="adjustment", accounts=[escrow, revenue], build=build, now=T0)

    # The second sees the first's move: 2000 left after it, so 2500 posts nothing.
    first, nothing, again = ledger_post_many([move("a", 1000), move("b", 2500), move("a", 1000)])
    assert first.created and nothing is None and again is first
    assert Account.objects.get(pk=escrow.pk).balance_minor == 2000
    [repeat] = ledger_post_many([move("a", 1000)])
    assert repeat.pk == first.pk and repeat.created is False
    assert Transaction.objects.filter(idempotency_key="a").count() == 1

    def unbalanced(balances):
        return [(escrow, -5), (revenue, 4)]

    from core.errors import DomainError

    with pytest.raises(DomainError) as error:
        ledger_post_many([move("c", 100), Posting(key="d", kind="adjustment", accounts=[escrow, revenue],
                                                   build=unbalanced, now=T0)])
    assert error.value.code == "unbalanced"
    assert not Transaction.objects.filter(idempotency_key__in=["c", "d"]).exists()  # nothing written
    assert Account.objects.get(pk=escrow.pk).balance_minor == 2000
    assert ledger_problems() == []
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_SHIPMENT


def test_PAY_5_post_many_refuses_a_key_reused_for_another_kind_of_movement(shop):
    """RULE PAY-5: like ledger_post, the batched path never answers a reused key with a movement
    of a different kind (a programming error caught, not a silent "already posted")."""
    from core.errors import Conflict

    order = shop.paid_order()
    escrow = escrow_of(order)
    revenue = account_get(kind=Account.Kind.PLATFORM_REVENUE, currency="USD", now=T0)

    def posting(kind):
        return Posting(key="k-1", kind=kind, accounts=[escrow, revenue],
                       build=lambda balances: [(escrow, -100), (revenue, 100)], now=T0)

    [first] = ledger_post_many([posting("adjustment")])
    with pytest.raises(Conflict) as error:
        ledger_post_many([posting("reversal")])
    assert error.value.code == "idempotency_key_reused"
    assert Transaction.objects.filter(idempotency_key="k-1").count() == 1
    assert ledger_problems() == []
