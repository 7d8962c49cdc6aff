"""PAY-3 card verification appeals: opening, documents, staff decisions, the review SLA and
the refusal of card payments while documents are awaited."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from appeals import selectors
from appeals.models import Appeal, AppealDocument, AppealState
from appeals.services import (
    REVIEW_DEADLINE,
    appeal_approve,
    appeal_documents_submit,
    appeal_reject,
)
from core.errors import Conflict, DomainError, NotFound
from core.models import Holiday
from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from ledger.models import Transaction
from notifications.models import Notice
from orders.models import Order, OrderEvent
from orders.services import checkout_pay
from orders.states import CloseReason, State
from payments.models import Payment
from payments.providers.simulated import SUCCESS_TOKEN
from tests.appeals.conftest import FLAGGED, flag, jpeg, pdf, png
from tests.factories import UserFactory
from tests.payments.conftest import place

SECOND = dt.timedelta(seconds=1)
SUBMITTED = FLAGGED + dt.timedelta(hours=2)  # Tuesday 24 Nov 2026, 11:00 in Chicago
DECIDED = SUBMITTED + dt.timedelta(hours=5)


def submit(appeal, buyer, now=SUBMITTED):
    return appeal_documents_submit(
        appeal=appeal, buyer=buyer, now=now,
        files=[("id_document", jpeg()), ("card_photo", png()), ("bank_statement", pdf())],
    )


def orders_of(appeal):
    return list(Order.objects.filter(appeals=appeal).order_by("pk"))


def test_PAY_3_a_flagged_payment_opens_an_appeal_and_asks_the_buyer_for_documents(buyer, appeal):
    assert appeal.buyer == buyer
    assert appeal.state == AppealState.AWAITING_DOCUMENTS
    assert appeal.created_at == FLAGGED
    assert appeal.payment.state == Payment.State.VERIFYING
    assert {o.state for o in orders_of(appeal)} == {State.PAYMENT_VERIFYING}
    notice = Notice.objects.get(user=buyer, kind="appeal_opened")
    assert notice.url == f"/account/appeals/{appeal.pk}/"
    assert "3 working days" in notice.body


def test_PAY_3_full_flow_approved_the_payment_proceeds_through_order_paid(buyer, appeal, staff):
    submitted = submit(appeal, buyer)
    assert submitted.state == AppealState.UNDER_REVIEW
    assert submitted.documents_submitted_at == SUBMITTED
    assert AppealDocument.objects.filter(appeal=appeal).count() == 3
    assert set(AppealDocument.objects.values_list("content_type", flat=True)) == {
        "image/jpeg", "image/png", "application/pdf"
    }
    decided = appeal_approve(appeal=appeal, staff=staff, note="ID matches the card", now=DECIDED)
    assert decided.state == AppealState.APPROVED
    assert (decided.decided_at, decided.decided_by, decided.staff_note) == (
        DECIDED, staff, "ID matches the card"
    )
    payment = Payment.objects.get(pk=appeal.payment_id)
    assert payment.state == Payment.State.SUCCEEDED and payment.succeeded_at == DECIDED
    for order in orders_of(appeal):
        assert order.state == State.AWAITING_SHIPMENT
        assert order.paid_at == DECIDED and order.ship_by is not None  # ORD-4 countdown runs
        assert Transaction.objects.filter(order=order, kind=Transaction.Kind.CAPTURE).count() == 1
        audit = OrderEvent.objects.get(order=order, kind="appeal_approved")
        assert (audit.actor, audit.actor_user, audit.at) == ("staff", staff, DECIDED)
        assert audit.reason == "ID matches the card"
    assert Notice.objects.filter(user=buyer, kind="appeal_approved").count() == 1
    # the review deadline is disarmed by the decision
    assert not Deadline.objects.filter(kind=REVIEW_DEADLINE, status=Status.PENDING).exists()


def test_PAY_3_full_flow_rejected_the_orders_close_with_payment_rejected(buyer, appeal, staff):
    submit(appeal, buyer)
    decided = appeal_reject(appeal=appeal, staff=staff, note="Card holder name differs", now=DECIDED)
    assert decided.state == AppealState.REJECTED
    assert Payment.objects.get(pk=appeal.payment_id).state == Payment.State.FAILED
    for order in orders_of(appeal):
        assert order.state == State.CLOSED
        assert order.close_reason == CloseReason.PAYMENT_REJECTED
        close = OrderEvent.objects.get(order=order, to_state=State.CLOSED)
        assert (close.actor, close.actor_user) == ("staff", staff)
        assert OrderEvent.objects.filter(order=order, kind="appeal_rejected", actor_user=staff).exists()
        # nothing was captured, so there is nothing in escrow and nothing to refund
        assert not Transaction.objects.filter(order=order, kind=Transaction.Kind.CAPTURE).exists()
    notice = Notice.objects.get(user=buyer, kind="appeal_rejected")
    assert "Card holder name differs" in notice.body


def test_PAY_3_deciding_twice_changes_nothing_and_the_opposite_decision_is_refused(buyer, appeal, staff):
    submit(appeal, buyer)
    appeal_approve(appeal=appeal, staff=staff, note="ok", now=DECIDED)
    events = OrderEvent.objects.count()
    captures = Transaction.objects.count()
    other = UserFactory(is_staff=True)
    again = appeal_approve(appeal=appeal, staff=other, note="again", now=DECIDED + SECOND)
    assert (again.decided_by, again.decided_at, again.staff_note) == (staff, DECIDED, "ok")
    assert OrderEvent.objects.count() == events and Transaction.objects.count() == captures
    assert Notice.objects.filter(kind="appeal_approved").count() == 1
    with pytest.raises(Conflict) as exc:
        appeal_reject(appeal=appeal, staff=other, now=DECIDED + SECOND)
    assert exc.value.code == "appeal_not_under_review"
    assert {o.state for o in orders_of(appeal)} == {State.AWAITING_SHIPMENT}


def test_PAY_3_no_decision_before_the_documents_and_only_by_staff(buyer, appeal, staff):
    with pytest.raises(Conflict):
        appeal_approve(appeal=appeal, staff=staff, now=DECIDED)
    submit(appeal, buyer)
    with pytest.raises(NotFound):
        appeal_approve(appeal=appeal, staff=buyer, now=DECIDED)
    with pytest.raises(DomainError) as exc:
        appeal_approve(appeal=appeal, staff=staff, note="x" * 501, now=DECIDED)
    assert "note" in exc.value.fields
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.UNDER_REVIEW


# --- the review SLA (business days, weekend and holiday) --------------------------------------


def test_PAY_3_review_deadline_skips_the_holiday_and_the_weekend_and_never_auto_decides(
    buyer, appeal, staff
):
    Holiday.objects.create(date=dt.date(2026, 11, 26), name="Thanksgiving")
    submit(appeal, buyer)  # Tuesday 11:00 Chicago: Wed (1), Thu holiday, Fri (2), weekend, Mon (3)
    due = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)  # Monday 30 Nov, 11:00 in Chicago
    appeal.refresh_from_db()
    assert appeal.review_due_at == due
    deadline = Deadline.objects.get(kind=REVIEW_DEADLINE, subject_id=appeal.pk)
    assert deadline.due_at == due and deadline.status == Status.PENDING

    deadlines_fire_due(now=due - SECOND)
    deadline.refresh_from_db()
    assert deadline.status == Status.PENDING
    assert not Notice.objects.filter(kind="appeal_overdue").exists()
    assert not selectors.is_overdue(appeal, due - SECOND)
    assert selectors.countdown(appeal, due - SECOND) == "0 h 0 min left"

    deadlines_fire_due(now=due + SECOND)
    deadline.refresh_from_db()
    assert deadline.status == Status.FIRED and deadline.outcome == "staff notified"
    assert list(Notice.objects.filter(kind="appeal_overdue").values_list("user", flat=True)) == [staff.pk]
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UNDER_REVIEW  # still waiting for a person
    assert selectors.is_overdue(appeal, due + SECOND)
    assert list(selectors.review_queue()) == [appeal]
    assert {o.state for o in orders_of(appeal)} == {State.PAYMENT_VERIFYING}


def test_PAY_3_review_deadline_over_a_plain_weekend(buyer, address, staff):
    friday = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)  # Friday 14:00 in Chicago
    checkout = flag(buyer, address, key="fri", now=friday - dt.timedelta(hours=1))
    appeal = checkout.payments.get().appeal
    submit(appeal, buyer, now=friday)
    appeal.refresh_from_db()
    # Mon (1), Tue (2), Wed (3) — no holiday in this test
    assert appeal.review_due_at == dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)


def test_PAY_3_queue_is_ordered_by_due_time(buyer, address, staff):
    later = flag(buyer, address, key="a").payments.get().appeal
    submit(later, buyer, now=SUBMITTED + dt.timedelta(hours=3))
    sooner = flag(buyer, address, key="b").payments.get().appeal
    submit(sooner, buyer, now=SUBMITTED)
    assert list(selectors.review_queue()) == [sooner, later]


# --- no new card payment while documents are awaited -----------------------------------------


def test_PAY_3_card_payment_refused_while_an_appeal_awaits_documents(buyer, address, appeal):
    second = place(buyer, address, key="second", now=FLAGGED)
    with pytest.raises(Conflict) as exc:
        checkout_pay(checkout=second, token=SUCCESS_TOKEN, idempotency_key="p2", now=FLAGGED)
    assert exc.value.code == "appeal_pending"
    assert exc.value.fields == {"appeal": [f"/account/appeals/{appeal.pk}/"]}
    assert not second.payments.exists()
    assert {o.state for o in second.orders.all()} == {State.AWAITING_PAYMENT}
    # another buyer is not affected
    other = UserFactory()
    from tests.factories import AddressFactory

    theirs = place(other, AddressFactory(user=other), key="other", now=FLAGGED)
    checkout_pay(checkout=theirs, token=SUCCESS_TOKEN, idempotency_key="p3", now=FLAGGED)
    # once the documents are in, the buyer may pay by card again
    submit(appeal, buyer)
    checkout_pay(checkout=second, token=SUCCESS_TOKEN, idempotency_key="p4", now=SUBMITTED)
    assert {o.state for o in second.orders.all()} == {State.AWAITING_SHIPMENT}


# --- bad documents: refused with a clear message, nothing stored -------------------------------


def _refused(appeal, buyer, files):
    with pytest.raises(DomainError) as exc:
        appeal_documents_submit(appeal=appeal, buyer=buyer, files=files, now=SUBMITTED)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.AWAITING_DOCUMENTS
    assert not AppealDocument.objects.exists()
    assert exc.value.status == 422
    return exc.value.fields


def test_PAY_3_executable_renamed_jpg_is_refused(buyer, appeal):
    exe = SimpleUploadedFile("passport.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    fields = _refused(appeal, buyer, [("id_document", exe), ("card_photo", png())])
    assert "is a program" in fields["id_document"][0]
    elf = SimpleUploadedFile("card.png", b"\x7fELF\x02\x01" + b"\x00" * 100)
    assert "is a program" in _refused(appeal, buyer, [("card_photo", elf)])["card_photo"][0]


def test_PAY_3_wrong_type_by_content_is_refused(buyer, appeal):
    text = SimpleUploadedFile("statement.pdf", b"just some words", content_type="application/pdf")
    fields = _refused(appeal, buyer, [("bank_statement", text)])
    assert "not a PDF, a JPEG or a PNG" in fields["bank_statement"][0]
    gif = SimpleUploadedFile("card.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    assert "not a PDF" in _refused(appeal, buyer, [("card_photo", gif)])["card_photo"][0]
    broken_png = SimpleUploadedFile("card.png", png().read()[:40])
    assert "card_photo" in _refused(appeal, buyer, [("card_photo", broken_png)])


def test_PAY_3_oversize_empty_too_many_and_unknown_kind_are_refused(buyer, appeal, settings):
    settings.HMONG_POLICY = {"appeal_document_max_bytes": 1000}
    big = SimpleUploadedFile("statement.pdf", b"%PDF-1.4\n" + b"0" * 1000)
    assert "larger than" in _refused(appeal, buyer, [("bank_statement", big)])["bank_statement"][0]
    settings.HMONG_POLICY = {}
    empty = SimpleUploadedFile("id.pdf", b"")
    assert "empty" in _refused(appeal, buyer, [("id_document", empty)])["id_document"][0]
    six = [("card_photo", png(f"c{i}.png")) for i in range(6)]
    assert "at most 5" in _refused(appeal, buyer, six)["documents"][0]
    assert "documents" in _refused(appeal, buyer, [])
    assert "kind" in _refused(appeal, buyer, [("selfie", png())])


def test_PAY_3_documents_only_once_and_only_by_the_buyer(buyer, appeal):
    with pytest.raises(NotFound):
        appeal_documents_submit(appeal=appeal, buyer=UserFactory(), files=[("card_photo", png())],
                                now=SUBMITTED)
    submit(appeal, buyer)
    with pytest.raises(Conflict) as exc:
        submit(appeal, buyer, now=SUBMITTED + SECOND)
    assert exc.value.code == "appeal_not_awaiting_documents"
    assert AppealDocument.objects.count() == 3
