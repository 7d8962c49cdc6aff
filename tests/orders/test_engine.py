"""The order state machine and the deadline engine (ORD-2, ORD-3, ORD-4, BP-2)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.errors import NotAllowed
from core.models import Holiday
from deadlines.models import Deadline, Status
from deadlines.registry import register
from deadlines.worker import deadlines_fire_due
from orders.models import Order
from orders.states import MOVES, Actor, CloseReason, State
from orders.transitions import order_transition

CHI = ZoneInfo("America/Chicago")
UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)


def reload(order):
    return Order.objects.get(pk=order.pk)


def pay(order, at):
    return order_transition(order=order, to=State.AWAITING_SHIPMENT, actor=Actor.SYSTEM, now=at, kind="paid")


@pytest.mark.django_db
def test_ORD_2_every_change_is_recorded_with_actor_time_and_reason(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed)
    pay(order, placed + dt.timedelta(hours=1))
    order_transition(
        order=order,
        to=State.CLOSED,
        actor=Actor.SYSTEM,
        now=placed + dt.timedelta(hours=2),
        close_reason=CloseReason.SECURITY_INCOMPLETE_NAME,
    )
    events = list(reload(order).events.values_list("actor", "from_state", "to_state", "reason"))
    assert events == [
        ("system", "awaiting_payment", "awaiting_shipment", ""),
        ("system", "awaiting_shipment", "closed", "Security review: incomplete name in the shipping address"),
    ]
    assert reload(order).close_reason == CloseReason.SECURITY_INCOMPLETE_NAME


@pytest.mark.django_db
def test_ORD_2_moves_outside_the_table_are_refused_and_change_nothing(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed)
    with pytest.raises(NotAllowed):  # a buyer cannot ship
        order_transition(order=order, to=State.SHIPPED, actor=Actor.BUYER, now=placed)
    order_transition(
        order=order,
        to=State.CLOSED,
        actor=Actor.BUYER,
        now=placed,
        close_reason=CloseReason.BUYER_CANCELLED_UNPAID,
    )
    with pytest.raises(NotAllowed):  # shipping a closed order
        order_transition(order=order, to=State.SHIPPED, actor=Actor.SELLER, now=placed)
    assert reload(order).state == State.CLOSED
    assert reload(order).events.count() == 1


def test_ORD_2_the_machine_has_no_move_out_of_a_final_state():
    assert not [pair for pair in MOVES if pair[0] in (State.CLOSED, State.COMPLETED)]


@pytest.mark.django_db
def test_ORD_3_unpaid_order_closes_when_the_payment_window_ends(make_order):
    placed = dt.datetime(2026, 11, 6, 22, 30, tzinfo=UTC)
    order = make_order(placed_at=placed)
    due = placed + dt.timedelta(hours=24)
    assert deadlines_fire_due(now=due - SECOND) == 0
    assert reload(order).state == State.AWAITING_PAYMENT
    assert deadlines_fire_due(now=due) == 1
    closed = reload(order)
    assert closed.state == State.CLOSED
    assert closed.close_reason == CloseReason.PAYMENT_TIMEOUT
    assert closed.closed_at == due


@pytest.mark.django_db
def test_ORD_4_ship_by_counts_business_days_across_a_weekend_and_a_holiday(make_order):
    Holiday.objects.create(date=dt.date(2026, 11, 26), name="Thanksgiving Day")
    placed = dt.datetime(2026, 11, 20, 9, 0, tzinfo=CHI)  # a Friday
    order = make_order(placed_at=placed, processing_days=5)
    paid = pay(order, placed)
    # Mon 23, Tue 24, Wed 25, (Thu 26 holiday), Fri 27, Mon 30 → Monday 30 November, 09:00 Chicago.
    expected = dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHI)
    assert paid.ship_by == expected
    deadlines_fire_due(now=expected - SECOND)
    assert reload(order).state == State.AWAITING_SHIPMENT
    deadlines_fire_due(now=expected + SECOND)
    closed = reload(order)
    assert closed.state == State.CLOSED
    assert closed.close_reason == CloseReason.SELLER_SHIP_TIMEOUT
    assert closed.get_close_reason_display() == "Seller ship timeout"


@pytest.mark.django_db
def test_ORD_4_a_shipped_order_never_fires_its_old_ship_by_deadline(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed, processing_days=3)
    paid = pay(order, placed)
    order_transition(order=order, to=State.SHIPPED, actor=Actor.SELLER, now=placed + dt.timedelta(days=1))
    assert Deadline.objects.get(subject_id=order.pk, kind="ship_by").status == Status.DISARMED
    deadlines_fire_due(now=paid.ship_by + dt.timedelta(days=1))
    assert reload(order).state == State.SHIPPED


@pytest.mark.django_db
def test_a_deadline_whose_subject_moved_on_is_skipped_under_the_lock(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed)
    deadline = Deadline.objects.get(subject_id=order.pk, kind="payment_window")
    # The order moves on without the transition function (as a racing worker would see it).
    Order.objects.filter(pk=order.pk).update(state=State.AWAITING_SHIPMENT)
    deadlines_fire_due(now=deadline.due_at)
    deadline.refresh_from_db()
    assert deadline.status == Status.SKIPPED
    assert reload(order).state == State.AWAITING_SHIPMENT


@pytest.mark.django_db
def test_BP_2_protection_ends_after_the_promised_delivery_time_and_the_order_completes(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed, delivery_max_days=20)
    pay(order, placed)
    shipped_at = placed + dt.timedelta(days=2)
    shipped = order_transition(order=order, to=State.SHIPPED, actor=Actor.SELLER, now=shipped_at)
    assert shipped.promised_delivery_at == shipped_at + dt.timedelta(days=20)
    ends = shipped_at + dt.timedelta(days=20 + 15)
    assert shipped.protection_ends_at == ends
    deadlines_fire_due(now=ends - SECOND)
    assert reload(order).state == State.SHIPPED
    deadlines_fire_due(now=ends)
    assert reload(order).state == State.COMPLETED


@pytest.mark.django_db
def test_firing_twice_has_the_effect_of_once(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    order = make_order(placed_at=placed)
    later = placed + dt.timedelta(days=2)
    assert deadlines_fire_due(now=later) == 1
    assert deadlines_fire_due(now=later) == 0
    assert reload(order).events.filter(to_state=State.CLOSED).count() == 1


@pytest.mark.django_db
def test_a_failing_firing_rolls_back_alone_and_is_retried(make_order):
    placed = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    good = make_order(placed_at=placed)
    bad = make_order(placed_at=placed)

    def boom(deadline, now):
        Order.objects.filter(pk=deadline.subject_id).update(state=State.COMPLETED)  # rolled back
        raise RuntimeError("carrier API down")

    register("test_boom", boom)
    Deadline.objects.filter(subject_id=bad.pk).update(kind="test_boom")
    at = placed + dt.timedelta(days=2)
    deadlines_fire_due(now=at)
    assert reload(good).state == State.CLOSED
    assert reload(bad).state == State.AWAITING_PAYMENT
    failed = Deadline.objects.get(subject_id=bad.pk)
    assert failed.status == Status.PENDING
    assert failed.attempts == 1
    assert "carrier API down" in failed.last_error
    assert failed.due_at > at
