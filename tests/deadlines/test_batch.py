"""The deadline batch: many firings in one transaction, each still on its own (ORD-3, ORD-4, NTF-1).

The worker hands the rows a firing writes (order updates, timeline events,
notices, outbox tasks, disarmed deadlines, stock) to the end of the batch and
writes them in bulk; these tests prove that the result is the same as firing
one by one: every order closes once with all its work, a failing firing leaves
nothing behind, a batch whose bulk writes fail is fired again write by write,
and the number of statements per firing stays flat.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from catalog.models import Product, Variant
from catalog.services import CATALOG_VERSION
from core.counters import counter_bump, counter_value
from deadlines.batch import at_batch_end, current
from deadlines.models import Deadline, Status
from deadlines.registry import register
from deadlines.services import deadline_arm, deadline_pending
from deadlines.worker import deadlines_fire_due
from notifications.models import Notice
from orders.deadline_handlers import on_payment_window, prepare_orders
from orders.models import Order, OrderEvent
from orders.states import CloseReason, State
from payments.models import Refund
from tests.deadlines.conftest import T0

pytestmark = pytest.mark.django_db
LATER = T0 + dt.timedelta(days=30)  # past every payment window and ship-by deadline


def tasks(path: str) -> list[int]:
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path=path)]


def test_ORD_3_ORD_4_NTF_1_a_batch_closes_each_order_once_with_all_its_work(shop):
    unpaid = [shop.order() for _ in range(4)]
    paid = [shop.order(paid=True) for _ in range(4)]
    stock_before = Variant.objects.get(pk=shop.variant.pk).stock
    version = counter_value(CATALOG_VERSION)
    notices_before = set(Notice.objects.values_list("pk", flat=True))

    assert deadlines_fire_due(now=LATER, batch_size=100) == 12  # 8 deadlines + 4 ship-by reminders

    for order in unpaid + paid:
        order.refresh_from_db()
        assert order.state == State.CLOSED
        assert order.closed_at == LATER
        assert order.events.filter(to_state=State.CLOSED).count() == 1
        closed = Notice.objects.filter(event_key=f"order:{order.pk}:closed")
        assert sorted(closed.values_list("user_id", flat=True)) == sorted(
            [order.buyer_id, order.store.owner_id]
        )
    assert {o.close_reason for o in unpaid} == {CloseReason.PAYMENT_TIMEOUT}
    assert {o.close_reason for o in paid} == {CloseReason.SELLER_SHIP_TIMEOUT}
    # ORD-4: a full refund for each paid order, one refund task each; nothing for the unpaid.
    refunds = Refund.objects.filter(order__in=paid)
    expected = sorted((o.pk, o.total_minor) for o in paid)
    assert sorted((r.order_id, r.amount_minor) for r in refunds) == expected
    assert refunds.filter(payment__isnull=False).count() == 4
    assert not Refund.objects.filter(order__in=unpaid).exists()
    assert sorted(tasks("payments.tasks.refund_execute")) == sorted(r.pk for r in refunds)
    # NTF-1: the 24 h reminder of each ship-by deadline, and one email task per new notice.
    new = Notice.objects.exclude(pk__in=notices_before)
    assert new.filter(kind="reminder").count() == 4
    assert new.count() == 8 * 2 + 4
    assert sorted(tasks("notifications.tasks.notice_email")) == sorted(
        Notice.objects.values_list("pk", flat=True)
    )
    # Stock given back, the product summary exact, the catalog version moved on.
    assert Variant.objects.get(pk=shop.variant.pk).stock == stock_before + 8
    assert Product.objects.get(pk=shop.product.pk).total_stock == stock_before + 8
    assert counter_value(CATALOG_VERSION) > version
    # Every deadline recorded; none left pending; firing again does nothing (exactly once).
    assert not Deadline.objects.filter(status=Status.PENDING).exists()
    assert deadlines_fire_due(now=LATER + dt.timedelta(days=1)) == 0
    assert Notice.objects.count() == len(notices_before) + 20
    assert OrderEvent.objects.filter(to_state=State.CLOSED).count() == 8


def test_ORD_4_a_ship_by_deadline_and_its_reminder_in_one_batch(shop):
    order = shop.order(paid=True)
    assert set(deadline_pending(subject_type="order", subject_id=order.pk)) == {"ship_by", "remind_ship_by"}
    deadlines_fire_due(now=LATER)
    outcomes = dict(Deadline.objects.filter(subject_id=order.pk).values_list("kind", "outcome"))
    assert outcomes["remind_ship_by"] == "reminded"  # due first, so it reminds, then the order closes
    assert outcomes["ship_by"] == "closed: seller ship timeout"
    assert Order.objects.get(pk=order.pk).state == State.CLOSED


def _close_then_fail(deadline, now):
    on_payment_window(deadline, now)  # the whole closing, handed to the end of the batch…
    raise RuntimeError("provider down")  # …then the firing fails


register("test_close_then_fail", _close_then_fail, prepare=prepare_orders)


def test_a_failing_firing_leaves_nothing_behind_and_the_rest_of_the_batch_commits(shop):
    good, bad, other = shop.order(), shop.order(), shop.order()
    Deadline.objects.filter(subject_id=bad.pk, kind="payment_window").update(kind="test_close_then_fail")
    stock_before = Variant.objects.get(pk=shop.variant.pk).stock

    deadlines_fire_due(now=LATER)

    assert Order.objects.get(pk=good.pk).state == State.CLOSED
    assert Order.objects.get(pk=other.pk).state == State.CLOSED
    failed = Order.objects.get(pk=bad.pk)
    assert failed.state == State.AWAITING_PAYMENT and failed.closed_at is None
    assert not failed.events.filter(to_state=State.CLOSED).exists()
    assert not Notice.objects.filter(event_key=f"order:{bad.pk}:closed").exists()
    assert Variant.objects.get(pk=shop.variant.pk).stock == stock_before + 2  # not + 3
    deadline = Deadline.objects.get(subject_id=bad.pk, kind="test_close_then_fail")
    assert deadline.status == Status.PENDING and deadline.attempts == 1
    assert "provider down" in deadline.last_error
    # Its other deadlines were not disarmed either.
    assert Deadline.objects.filter(subject_id=good.pk, status=Status.PENDING).count() == 0


def test_after_a_failing_firing_its_order_waits_for_the_next_batch(shop):
    """What the batch's earlier firings changed is written only at its end, so an order a
    failed firing touched is not read again in the same batch: its next deadline waits."""
    order = shop.order()
    window = Deadline.objects.get(subject_id=order.pk, kind="payment_window")
    deadline_arm(kind="test_close_then_fail", subject_type="order", subject_id=order.pk,
                 armed_state=State.AWAITING_PAYMENT, due_at=window.due_at - dt.timedelta(hours=1), now=T0)

    assert deadlines_fire_due(now=LATER) == 1  # the failing one; the window was left untouched
    window.refresh_from_db()
    assert (window.status, window.attempts) == (Status.PENDING, 0)
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_PAYMENT

    assert deadlines_fire_due(now=LATER) == 1  # the next batch fires the window (the other waits)
    assert Order.objects.get(pk=order.pk).state == State.CLOSED
    assert OrderEvent.objects.filter(order=order, to_state=State.CLOSED).count() == 1


def _flush_or_fail(items):
    if "bad" in items:
        raise ValueError("this row cannot be written")
    for _ in items:
        counter_bump("test_batch_written")


def _hand_over(deadline, now):
    at_batch_end("test.flush_or_fail", _flush_or_fail, deadline.outcome or "good")
    return "handed over"


register("test_hand_over", _hand_over)


def test_a_batch_whose_bulk_writes_fail_is_fired_again_one_write_at_a_time(db):
    def arm(subject_id: int, marker: str) -> None:
        deadline = deadline_arm(kind="test_hand_over", subject_type="test", subject_id=subject_id,
                                armed_state="x", due_at=T0, now=T0)
        Deadline.objects.filter(pk=deadline.pk).update(outcome=marker)

    arm(1, "good")
    arm(2, "bad")
    arm(3, "good")

    assert deadlines_fire_due(now=T0) == 3

    assert counter_value("test_batch_written") == 2  # the two good ones, once each
    statuses = dict(Deadline.objects.values_list("subject_id", "status"))
    assert statuses == {1: Status.FIRED, 2: Status.PENDING, 3: Status.FIRED}
    assert "this row cannot be written" in Deadline.objects.get(subject_id=2).last_error


def _rearm(deadline, now):
    deadline_arm(kind=deadline.kind, subject_type="order", subject_id=deadline.subject_id,
                 armed_state=deadline.armed_state, due_at=now + dt.timedelta(days=1), now=now)
    assert current().pending("order", deadline.subject_id)  # the batch knows this order
    return "re-armed"


register("test_rearm", _rearm, prepare=prepare_orders)


def test_a_firing_may_arm_the_kind_it_fires_again(shop):
    order = shop.order()
    Deadline.objects.filter(subject_id=order.pk, kind="payment_window").update(kind="test_rearm")
    deadlines_fire_due(now=LATER)
    rows = Deadline.objects.filter(subject_id=order.pk, kind="test_rearm").order_by("pk")
    assert [(r.status, r.outcome) for r in rows] == [(Status.FIRED, "re-armed"), (Status.PENDING, "")]
    assert rows[1].due_at == LATER + dt.timedelta(days=1)


def test_statements_per_firing_stay_flat_as_the_batch_grows(shop):
    """The engine's cost is per batch: closing an unpaid order hands all its rows to the end of
    the batch, so on PostgreSQL the firing itself issues no statement at all (not even its
    savepoint). SQLite has no bulk UPDATE … FROM: one UPDATE per order there. A query per
    row anywhere else would show here."""
    small = [shop.order() for _ in range(5)]
    large = [shop.order(now=T0 + dt.timedelta(hours=1)) for _ in range(25)]
    with CaptureQueriesContext(connection) as first:
        assert deadlines_fire_due(now=T0 + dt.timedelta(hours=24, minutes=30)) == len(small)
    with CaptureQueriesContext(connection) as second:
        assert deadlines_fire_due(now=LATER) == len(large)
    per_firing = (len(second) - len(first)) / (len(large) - len(small))
    assert per_firing <= (0.1 if connection.vendor == "postgresql" else 1.1), [
        q["sql"][:80] for q in second.captured_queries
    ]
    assert all(o.state == State.CLOSED for o in Order.objects.filter(pk__in=[o.pk for o in small + large]))
