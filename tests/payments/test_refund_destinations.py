"""RFD-1 and RFD-2: every refund (closed orders, cancellations, later partial refunds) goes where
the payment method says (PAY-4), never above captured − refunded; the order page and the API
show each refund's amount, destination, state, arrival window (business days) and ARN."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core.calendar import add_business_days
from core.errors import DomainError
from core.policy import policy
from ledger.selectors import ledger_problems, order_ledger
from orders.services import (
    cancellation_answer,
    checkout_pay,
    order_request_cancellation,
)
from payments.models import Refund, RefundCoupon
from payments.services import payment_mark_received, refund_arrival_window, refund_order_amount
from tests.factories import AddressFactory, StoreFactory
from tests.payments.conftest import T0, place, sellable
from tests.tasks import run_pending_tasks

NOW = T0 + dt.timedelta(hours=1)
LATER = NOW + dt.timedelta(days=1)


def paid_order(buyer, method="card", country="US", currency="USD"):
    store = StoreFactory(currency=currency)
    checkout = place(buyer, AddressFactory(user=buyer, country=country), sellable(store))
    [payment] = checkout_pay(
        checkout=checkout,
        token="tok_success" if method == "card" else "",
        idempotency_key="p",
        now=NOW,
        method=method,
    )
    if payment.state == "processing":
        payment_mark_received(payment=payment, now=NOW)
    return checkout.orders.get()


@pytest.mark.parametrize(
    "method, country, currency, destination",
    [
        ("card", "US", "USD", "original"),
        ("paypal", "US", "USD", "original"),
        ("sofort", "DE", "EUR", "original"),
        ("western_union", "US", "USD", "balance"),
        ("boleto", "BR", "BRL", "balance"),
        ("cod", "SA", "SAR", "coupon"),
    ],
)
def test_RFD_1_partial_refunds_go_to_the_methods_destination_and_never_exceed_what_is_left(
    buyer, method, country, currency, destination
):
    order = paid_order(buyer, method, country, currency)
    total = order.total_minor
    first = refund_order_amount(
        order=order, amount_minor=total - 100, reason="Damaged", event_key="r1", now=LATER
    )
    assert first.destination == destination
    with pytest.raises(DomainError) as error:
        refund_order_amount(order=order, amount_minor=101, reason="More", event_key="r2", now=LATER)
    assert error.value.code == "refund_too_large" and "amount_minor" in error.value.fields
    refund_order_amount(order=order, amount_minor=100, reason="Rest", event_key="r3", now=LATER)
    run_pending_tasks()
    assert sum(r.amount_minor for r in Refund.objects.filter(order=order)) == total
    assert {r.destination for r in Refund.objects.filter(order=order)} == {destination}
    assert order_ledger(order)["refunded"] == total
    assert RefundCoupon.objects.filter(owner=buyer).count() == (2 if destination == "coupon" else 0)
    assert ledger_problems() == []


def test_RFD_1_an_agreed_cancellation_refunds_a_bank_transfer_to_the_balance(buyer):
    order = paid_order(buyer, "bank_transfer")
    order_request_cancellation(order=order, buyer=buyer, reason="Changed my mind", now=LATER)
    cancellation_answer(order=order, seller=order.store.owner, accept=True, now=LATER)
    run_pending_tasks()
    [refund] = Refund.objects.filter(order=order)
    assert (refund.destination, refund.state, refund.amount_minor) == (
        "balance",
        "succeeded",
        order.total_minor,
    )


def test_RFD_2_order_page_shows_amount_destination_state_arrival_window_and_arn(buyer):
    order = paid_order(buyer, "card")
    with time_machine.travel(LATER, tick=False):
        refund_order_amount(order=order, amount_minor=700, reason="Damaged", event_key="r1", now=LATER)
        run_pending_tasks()
    refund = Refund.objects.get(order=order)
    assert refund.state == "succeeded" and refund.arn  # the simulated provider gives an ARN
    earliest, latest = refund_arrival_window(refund)
    assert earliest == add_business_days(refund.processed_at, policy.refund_arrival_min_days)
    assert latest == add_business_days(refund.processed_at, policy.refund_arrival_max_days)
    assert earliest.weekday() < 5 and latest.weekday() < 5
    client = Client()
    client.force_login(buyer)
    with time_machine.travel(LATER, tick=False):
        page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
        api = client.get(f"/api/v1/orders/{order.number}").json()
    assert "The original card or account" in page and "Refunded" in page
    assert refund.arn in page
    assert earliest.isoformat() in page and latest.isoformat() in page
    [shown] = api["refunds"]
    assert (shown["destination"], shown["state"], shown["arn"]) == ("original", "succeeded", refund.arn)
    assert shown["amount"] == {"amount": 700, "currency": "USD"}


def test_RFD_2_balance_and_coupon_refunds_are_shown_as_available_at_once(buyer):
    order = paid_order(buyer, "cod", "SA", "SAR")
    refund_order_amount(order=order, amount_minor=500, reason="Damaged", event_key="r1", now=LATER)
    run_pending_tasks()
    coupon = RefundCoupon.objects.get(owner=buyer)
    client = Client()
    client.force_login(buyer)
    with time_machine.travel(LATER, tick=False):
        page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "A coupon" in page and coupon.code in page and "At once" in page
