"""PAY-3: an appeal waiting for the buyer's documents has a time limit (policy
appeal_documents_days, business days from the flag). When it passes, the appeal expires, the
payment fails, the orders close as payment rejected and anything taken is refunded.
Fired by the deadline worker, tested one second before and after."""

import datetime as dt

import pytest

from appeals.models import Appeal, AppealState
from appeals.services import DOCUMENTS_DEADLINE, appeal_documents_submit
from core.models import Holiday
from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from ledger.models import Account, Transaction
from ledger.selectors import ledger_problems
from ledger.services import account_get, ledger_post
from notifications.models import Notice
from orders.models import Order, OrderEvent
from orders.services import checkout_pay
from orders.states import CloseReason, State
from payments.models import Payment
from payments.providers.simulated import SUCCESS_TOKEN, card_tokenise
from tests.appeals.conftest import FLAGGED, VERIFY_CARD, flag, jpeg, pdf, png
from tests.payments.conftest import place

SECOND = dt.timedelta(seconds=1)
# Flagged Tuesday 24 Nov 2026 09:00 in Chicago; five working days: Wed, Thu, Fri, Mon, Tue.
DUE = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def documents_deadline(appeal):
    return Deadline.objects.get(kind=DOCUMENTS_DEADLINE, subject_type="appeal", subject_id=appeal.pk)


def test_PAY_3_documents_due_within_the_policy_working_days(appeal):
    assert appeal.documents_due_at == DUE
    deadline = documents_deadline(appeal)
    assert (deadline.due_at, deadline.status) == (DUE, Status.PENDING)
    assert deadline.armed_state == "awaiting_documents"


def test_PAY_3_documents_limit_skips_holidays(buyer, address, settings):
    Holiday.objects.create(date=dt.date(2026, 11, 26), name="Thanksgiving")
    settings.HMONG_POLICY = {"appeal_documents_days": 2}
    appeal = flag(buyer, address, key="hol").payments.get().appeal
    # Wed (1), Thursday is a holiday, Fri (2)
    assert appeal.documents_due_at == dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)


def test_PAY_3_appeal_expires_one_second_after_its_documents_limit(buyer, appeal):
    orders = list(Order.objects.filter(appeals=appeal))
    deadlines_fire_due(now=DUE - SECOND)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.AWAITING_DOCUMENTS
    assert documents_deadline(appeal).status == Status.PENDING
    assert {o.state for o in Order.objects.filter(appeals=appeal)} == {State.PAYMENT_VERIFYING}

    deadlines_fire_due(now=DUE + SECOND)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decided_at, appeal.decided_by) == (AppealState.EXPIRED, DUE + SECOND, None)
    deadline = documents_deadline(appeal)
    assert deadline.status == Status.FIRED and deadline.outcome == "expired, 1 order closed"
    payment = Payment.objects.get(pk=appeal.payment_id)
    assert (payment.state, payment.failure_code) == (Payment.State.FAILED, "verification_expired")
    for order in orders:
        order.refresh_from_db()
        assert (order.state, order.close_reason) == (State.CLOSED, CloseReason.PAYMENT_REJECTED)
        event = OrderEvent.objects.get(order=order, kind="appeal_expired_close")
        assert event.actor == "system" and "not sent in time" in event.reason
        assert not Transaction.objects.filter(order=order).exists()  # nothing was captured
    assert Notice.objects.filter(user=buyer, kind="appeal_expired").count() == 1
    # Firing again (a second worker, a retry) changes nothing.
    deadlines_fire_due(now=DUE + 2 * SECOND)
    assert Notice.objects.filter(user=buyer, kind="appeal_expired").count() == 1


def test_PAY_3_expired_appeal_no_longer_blocks_card_payments(buyer, address, appeal):
    deadlines_fire_due(now=DUE + SECOND)
    checkout = place(buyer, address, key="after", now=DUE + 2 * SECOND)
    payments = checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay-after",
                            now=DUE + 2 * SECOND)
    assert [p.state for p in payments] == [Payment.State.SUCCEEDED]


def test_PAY_3_documents_sent_in_time_disarm_the_limit(buyer, appeal):
    appeal_documents_submit(
        appeal=appeal, buyer=buyer, now=DUE - SECOND,
        files=[("id_document", jpeg()), ("card_photo", png()), ("bank_statement", pdf())],
    )
    assert documents_deadline(appeal).status == Status.DISARMED
    deadlines_fire_due(now=DUE + SECOND)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UNDER_REVIEW
    assert {o.state for o in Order.objects.filter(appeals=appeal)} == {State.PAYMENT_VERIFYING}


@pytest.mark.django_db
def test_PAY_3_RFD_1_expiry_gives_the_balance_part_back(buyer, address):
    """Part of the pay attempt came from the buyer's platform balance (PAY-4): that part was
    taken, so the expiry gives it back; the ledger still balances."""
    checkout = place(buyer, address, key="bal", now=FLAGGED - SECOND)
    order = checkout.orders.get()
    ledger_post(
        key=f"goodwill:{buyer.pk}", kind=Transaction.Kind.ADJUSTMENT, now=FLAGGED,
        lines=[
            (account_get(kind=Account.Kind.PLATFORM_DISCOUNTS, currency="USD", now=FLAGGED), -1000),
            (account_get(kind=Account.Kind.BUYER_BALANCE, currency="USD", user=buyer, now=FLAGGED), 1000),
        ],
    )
    token = card_tokenise(number=VERIFY_CARD, exp_month=12, exp_year=2030, now=FLAGGED).token
    [card] = checkout_pay(checkout=checkout, token=token, idempotency_key="p", now=FLAGGED, use_balance=True)
    balance = Account.objects.get(kind=Account.Kind.BUYER_BALANCE, user=buyer)
    assert balance.balance_minor == 0
    appeal = Appeal.objects.get(payment=card)

    deadlines_fire_due(now=appeal.documents_due_at + SECOND)
    balance.refresh_from_db()
    order.refresh_from_db()
    assert balance.balance_minor == 1000
    assert (order.state, order.close_reason) == (State.CLOSED, CloseReason.PAYMENT_REJECTED)
    assert Payment.objects.get(checkout=checkout, method="balance").state == Payment.State.FAILED
    assert ledger_problems() == []
