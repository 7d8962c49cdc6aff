"""PAY-3 on PostgreSQL: staff deciding the same appeal at the same moment (approve vs approve,
approve vs reject) → exactly one decision takes effect; the order is paid or closed once."""

import datetime as dt

import pytest
from django.db import connection

from appeals.models import Appeal, AppealState
from appeals.services import appeal_approve, appeal_documents_submit, appeal_reject
from core.errors import Conflict
from ledger.models import Transaction
from orders.models import OrderEvent
from orders.states import State
from tests.appeals.conftest import FLAGGED, flag, png
from tests.factories import AddressFactory, UserFactory
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
DECIDED = FLAGGED + dt.timedelta(hours=3)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def _under_review():
    buyer = UserFactory()
    appeal = flag(buyer, AddressFactory(user=buyer)).payments.get().appeal
    appeal_documents_submit(
        appeal=appeal, buyer=buyer, files=[("card_photo", png())], now=FLAGGED + dt.timedelta(hours=1)
    )
    return appeal


def test_PAY_3_two_staff_approving_at_once_pay_the_order_once():
    appeal = _under_review()
    staff = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    results = race(*[
        (lambda s=s: appeal_approve(appeal=Appeal.objects.get(pk=appeal.pk), staff=s, now=DECIDED))
        for s in staff
    ])
    assert [r[0] for r in results] == ["ok", "ok"]
    order = appeal.orders.get()
    assert order.state == State.AWAITING_SHIPMENT
    assert OrderEvent.objects.filter(order=order, kind="appeal_approved").count() == 1
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Transaction.objects.filter(order=order, kind=Transaction.Kind.CAPTURE).count() == 1


def test_PAY_3_approve_racing_reject_exactly_one_wins():
    appeal = _under_review()
    a, b = UserFactory(is_staff=True), UserFactory(is_staff=True)
    results = race(
        lambda: appeal_approve(appeal=Appeal.objects.get(pk=appeal.pk), staff=a, now=DECIDED),
        lambda: appeal_reject(appeal=Appeal.objects.get(pk=appeal.pk), staff=b, now=DECIDED),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"]
    assert all(isinstance(r[1], Conflict) for r in results if r[0] == "error")
    appeal.refresh_from_db()
    order = appeal.orders.get()
    expected = State.AWAITING_SHIPMENT if appeal.state == AppealState.APPROVED else State.CLOSED
    assert order.state == expected
    decisions = OrderEvent.objects.filter(order=order, kind__in=["appeal_approved", "appeal_rejected"])
    assert decisions.count() == 1
