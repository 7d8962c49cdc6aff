"""The deadline worker reads the one clock: travelling in time at the edges with time-machine
(ORD-3, ORD-4, ORD-5, BP-2), through the real `manage.py run_worker --once` entry point."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from core.models import Holiday
from orders.models import Order
from orders.services import checkout_pay, order_mark_shipped, order_request_cancellation
from orders.states import CloseReason, State
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import AddressFactory, StoreFactory, UserFactory
from tests.orders.test_services import place, sellable

CHI = ZoneInfo("America/Chicago")
SECOND = dt.timedelta(seconds=1)


def run_worker_at(instant: dt.datetime) -> None:
    with time_machine.travel(instant, tick=False):
        call_command("run_worker", "--once", verbosity=0)


def state(order) -> str:
    return Order.objects.get(pk=order.pk).state


@pytest.fixture
def buyer_and_address(db):
    buyer = UserFactory()
    return buyer, AddressFactory(user=buyer)


def test_ORD_3_unpaid_order_at_the_payment_window_edge(buyer_and_address):
    buyer, address = buyer_and_address
    placed = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)  # a Friday night: calendar days count
    order = place(buyer, address, sellable(StoreFactory()), now=placed).orders.get()
    run_worker_at(placed + dt.timedelta(hours=24) - SECOND)
    assert state(order) == State.AWAITING_PAYMENT
    run_worker_at(placed + dt.timedelta(hours=24) + SECOND)
    assert Order.objects.get(pk=order.pk).close_reason == CloseReason.PAYMENT_TIMEOUT


def test_ORD_4_ship_by_edge_across_a_weekend_and_a_holiday(buyer_and_address):
    buyer, address = buyer_and_address
    Holiday.objects.create(date=dt.date(2026, 12, 25), name="Christmas Day")
    paid_at = dt.datetime(2026, 12, 23, 16, 0, tzinfo=CHI)  # Wednesday
    checkout = place(buyer, address, sellable(StoreFactory(), processing_days=2), now=paid_at)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="p", now=paid_at)
    order = checkout.orders.get()
    # Thu 24 (1), Fri 25 holiday, Sat, Sun, Mon 28 (2) → Monday 28 December 16:00 Chicago.
    due = dt.datetime(2026, 12, 28, 16, 0, tzinfo=CHI)
    assert Order.objects.get(pk=order.pk).ship_by == due
    run_worker_at(due - SECOND)
    assert state(order) == State.AWAITING_SHIPMENT
    run_worker_at(due + SECOND)
    assert Order.objects.get(pk=order.pk).close_reason == CloseReason.SELLER_SHIP_TIMEOUT


def test_ORD_5_cancellation_answer_edge(buyer_and_address):
    buyer, address = buyer_and_address
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    checkout = place(buyer, address, sellable(StoreFactory()), now=t0)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="p", now=t0)
    order = checkout.orders.get()
    request = order_request_cancellation(order=order, buyer=buyer, reason="Wrong colour", now=t0)
    run_worker_at(request.answer_due_at - SECOND)
    assert state(order) == State.AWAITING_SHIPMENT
    run_worker_at(request.answer_due_at + SECOND)
    assert Order.objects.get(pk=order.pk).close_reason == CloseReason.CANCELLATION_UNANSWERED


def test_BP_2_protection_end_edge_and_overdue_deadlines_fire_at_start(buyer_and_address):
    buyer, address = buyer_and_address
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    checkout = place(buyer, address, sellable(StoreFactory(), max_days=20), now=t0)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="p", now=t0)
    order = order_mark_shipped(order=checkout.orders.get(), seller=checkout.orders.get().store.owner,
                               carrier="USPS", tracking_number="LX1", now=t0)
    run_worker_at(order.protection_ends_at - SECOND)
    assert state(order) == State.SHIPPED
    # A worker that starts long after the deadline (e.g. after downtime) fires it at once.
    run_worker_at(order.protection_ends_at + dt.timedelta(days=40))
    assert state(order) == State.COMPLETED
