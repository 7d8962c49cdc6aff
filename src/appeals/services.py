"""Card verification appeals (PAY-3): open, submit documents, decide.

- `appeal_open`: a payment was flagged for verification (called by
  orders.services._payment_apply in the same transaction); the buyer is asked for documents.
- `appeal_documents_submit`: the buyer's files (checked by content, appeals.documents);
  the appeal goes under review and the review deadline is armed
  (business days, policy.appeal_review_sla_days). When it passes, staff are told; the
  appeal stays in the queue, flagged overdue — it is never decided by the clock.
- `appeal_documents_expire`: the documents did not arrive within policy.appeal_documents_days
  business days of the flag (the deadline armed by `appeal_open`): the appeal expires, the
  payment fails (a balance part goes back to the balance) and each order closes as
  CloseReason.PAYMENT_REJECTED, refunding anything captured — as a rejection, by the clock.
- `appeal_approve` / `appeal_reject`: a staff decision. Approve → the payment counts as
  succeeded and each order goes on through orders.services.order_paid (ledger capture,
  ship-by countdown, security review). Reject → each order closes with
  CloseReason.PAYMENT_REJECTED through orders.services.order_close (refunds anything
  captured). The decision (who, when, note) is kept on the appeal and on each order's
  timeline. Deciding again the same way changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appeals.documents import MAX_FILES, Checked, document_check
from appeals.models import Appeal, AppealDocument, AppealState, DocumentKind
from core.calendar import add_business_days
from core.errors import Conflict, DomainError, NotFound
from core.i18n import lazy_text
from core.policy import policy
from deadlines.rows import sql_row
from deadlines.services import deadline_arm, deadline_disarm
from notifications.services import notify, notify_many

SUBJECT = "appeal"
REVIEW_DEADLINE = "appeal_review"
DOCUMENTS_DEADLINE = "appeal_documents"
NOTE_MAX = 500


def appeal_url(appeal: Appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def _locked(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    return Appeal.objects.select_for_update().get(pk=pk)


def appeal_open(*, payment, orders, now: dt.datetime) -> Appeal:
    """Open the appeal of a payment flagged for verification (once per payment)."""
    buyer = payment.checkout.buyer
    appeal, created = Appeal.objects.get_or_create(
        payment=payment, defaults={"buyer": buyer, "created_at": now}
    )
    if not created:
        return appeal
    appeal.orders.add(*orders)
    # PAY-3: the documents are due within a time limit; the appeal expires after it.
    appeal.documents_due_at = add_business_days(now, policy.appeal_documents_days)
    appeal.save(update_fields=["documents_due_at"])
    deadline_arm(
        kind=DOCUMENTS_DEADLINE, subject_type=SUBJECT, subject_id=appeal.pk,
        armed_state=AppealState.AWAITING_DOCUMENTS, due_at=appeal.documents_due_at, now=now,
    )
    numbers = ", ".join(o.number for o in orders)
    notify(
        user=buyer,
        kind="appeal_opened",
        event_key=f"appeal:{appeal.pk}:opened",
        # NTF-1: in the buyer's language, whoever's request flagged the payment.
        subject=gettext_lazy("Your card payment needs a quick check"),
        body=lazy_text(
            gettext_lazy(
                "Before your payment for order %(numbers)s can go through, we need to confirm the "
                "card is yours. Upload a photo of an identity document and of the card (cover the "
                "middle digits); a bank statement helps too. We decide within %(days)s working days "
                "of receiving them."
            ),
            {"numbers": numbers, "days": policy.appeal_review_sla_days},
        ),
        url=appeal_url(appeal),
        now=now,
    )
    return appeal


def appeal_pending_for(*, buyer) -> Appeal | None:
    """The buyer's oldest appeal still waiting for documents (it blocks card payments)."""
    if buyer is None or not getattr(buyer, "pk", None):
        return None
    return (
        Appeal.objects.filter(buyer=buyer, state=AppealState.AWAITING_DOCUMENTS)
        .order_by("created_at", "pk")
        .first()
    )


_PENDING_ID_SQL = (
    '(SELECT a."id" FROM "appeals_appeal" a WHERE a."buyer_id" = %s AND a."state" = %s '
    'ORDER BY a."created_at", a."id" LIMIT 1)'
)
UNKNOWN = object()


def appeal_pending_id_sql(*, buyer_id: int) -> tuple[str, list]:
    """appeal_pending_for's appeal id as a scalar subquery (sql, params), for a caller to read it
    within a statement it runs anyway, and pass it to appeal_refuse_card_payment."""
    return _PENDING_ID_SQL, [buyer_id, AppealState.AWAITING_DOCUMENTS.value]


def appeal_refuse_card_payment(*, buyer, pending_id=UNKNOWN) -> None:
    """PAY-3: while an appeal waits for documents, no new card payment (409 appeal_pending).

    `pending_id`: the value of appeal_pending_id_sql() when the caller read it already."""
    if buyer is None or not getattr(buyer, "pk", None):
        return
    if pending_id is UNKNOWN:  # appeal_pending_for's appeal, only its id
        sql, params = appeal_pending_id_sql(buyer_id=buyer.pk)
        pending_id = sql_row(f"SELECT {sql}", params)[0]
    if pending_id is not None:
        url = reverse("appeals:detail", args=[pending_id])
        raise Conflict(
            _("A card payment of yours is waiting for verification documents. Send them first "
              "(%(url)s); you can pay by card again once they are in.") % {"url": url},
            code="appeal_pending",
            fields={"appeal": [url]},
        )


def appeal_documents_submit(
    *, appeal: Appeal, buyer, files: list[tuple[str, object]], now: dt.datetime
) -> Appeal:
    """Store the buyer's documents and put the appeal under review.

    `files` is [(kind, uploaded file)] with kind a DocumentKind. Nothing is stored unless
    every file is acceptable.
    """
    if appeal.buyer_id != getattr(buyer, "pk", None):
        raise NotFound(_("No such appeal."))
    errors: dict[str, list[str]] = {}
    if not files:
        errors["documents"] = [_("Choose at least one document to send.")]
    elif len(files) > MAX_FILES:
        errors["documents"] = [
            _("Send at most %(limit)s files; you chose %(n)s.") % {"limit": MAX_FILES, "n": len(files)}
        ]
    checked: list[tuple[str, object, Checked]] = []
    if not errors:
        for kind, upload in files:
            if kind not in DocumentKind.values:
                errors.setdefault("kind", []).append(
                    _("Unknown document kind %(kind)s.") % {"kind": repr(str(kind)[:40])}
                )
                continue
            result = document_check(upload)
            if isinstance(result, str):
                errors.setdefault(kind, []).append(result)
            else:
                checked.append((kind, upload, result))
    if errors:
        raise DomainError(
            _("Some documents could not be accepted; nothing was sent."), code="invalid",
            fields=errors, status=422,
        )
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.state != AppealState.AWAITING_DOCUMENTS:
            raise Conflict(
                _("The documents for this appeal were already sent; its status is: %(state)s.")
                % {"state": AppealState(locked.state).label},
                code="appeal_not_awaiting_documents",
            )
        for kind, upload, result in checked:
            doc = AppealDocument(
                appeal=locked, kind=kind, original_name=str(upload.name)[:200],
                content_type=result.content_type, size=upload.size, uploaded_at=now,
            )
            doc.file.save(f"{uuid.uuid4().hex}.{result.extension}", upload, save=False)
            doc.save()
        locked.state = AppealState.UNDER_REVIEW
        locked.documents_submitted_at = now
        locked.review_due_at = add_business_days(now, policy.appeal_review_sla_days)
        locked.save(update_fields=["state", "documents_submitted_at", "review_due_at"])
        deadline_disarm(subject_type=SUBJECT, subject_id=locked.pk, kind=DOCUMENTS_DEADLINE, now=now)
        deadline_arm(
            kind=REVIEW_DEADLINE, subject_type=SUBJECT, subject_id=locked.pk,
            armed_state=AppealState.UNDER_REVIEW, due_at=locked.review_due_at, now=now,
        )
    return locked


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(
            _("Keep the note under %(n)s characters.") % {"n": NOTE_MAX}, code="invalid",
            fields={"note": [_("At most %(n)s characters.") % {"n": NOTE_MAX}]}, status=422,
        )
    return note


def _decide(*, appeal: Appeal, staff, approve: bool, note: str, now: dt.datetime) -> Appeal:
    from orders.models import OrderEvent
    from orders.services import order_close, order_paid
    from orders.states import Actor, CloseReason, State
    from payments.models import Payment
    from payments.services import balance_part_settle

    if not (getattr(staff, "is_staff", False) and staff.is_active):
        raise NotFound(_("No such appeal."))
    note = _check_note(note)
    target = AppealState.APPROVED if approve else AppealState.REJECTED
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.state == target:
            return locked  # the same decision again: nothing changes
        if locked.state != AppealState.UNDER_REVIEW:
            refusal = (
                _("This appeal cannot be approved now; its status is: %(state)s.") if approve
                else _("This appeal cannot be rejected now; its status is: %(state)s.")
            )
            raise Conflict(
                refusal % {"state": AppealState(locked.state).label},
                code="appeal_not_under_review",
            )
        locked.state, locked.decided_at, locked.decided_by = target, now, staff
        locked.staff_note = note
        locked.save(update_fields=["state", "decided_at", "decided_by", "staff_note"])
        deadline_disarm(subject_type=SUBJECT, subject_id=locked.pk, now=now)
        payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
        if payment.state == Payment.State.VERIFYING:
            if approve:
                payment.state, payment.succeeded_at = Payment.State.SUCCEEDED, now
            else:
                payment.state = Payment.State.FAILED
            payment.save(update_fields=["state", "succeeded_at"])
            # Part of the pay attempt may have come from the buyer's balance (PAY-4): it succeeds
            # with the card, or goes back to the balance when the card is rejected.
            balance_part_settle(payment=payment, now=now)
        kind = "appeal_approved" if approve else "appeal_rejected"
        for order in locked.orders.filter(state=State.PAYMENT_VERIFYING).order_by("pk"):
            OrderEvent.objects.create(
                order=order, at=now, actor=Actor.STAFF, actor_user=staff, kind=kind,
                from_state=order.state, to_state=order.state,
                reason=note or ("Card verification approved" if approve else "Card verification rejected"),
                data={"appeal": locked.pk},
            )
            if approve:
                order_paid(order=order, now=now)
            else:
                order_close(
                    order=order, actor=Actor.STAFF, actor_user=staff,
                    close_reason=CloseReason.PAYMENT_REJECTED, now=now, reason=note,
                    kind="appeal_rejected_close",
                )
        notify(
            user=locked.buyer,
            kind=kind,
            event_key=f"appeal:{locked.pk}:decided",
            subject=_decision_subject(approve),
            body=_decision_body(approve, note),
            url=appeal_url(locked),
            now=now,
        )
    return locked


def _decision_subject(approve: bool):
    """NTF-1: the decision notice, in the buyer's language (not the reviewer's)."""
    if approve:
        return gettext_lazy("Your card check is done: approved")
    return gettext_lazy("Your card check is done: not approved")


def _decision_body(approve: bool, note: str):
    if approve:
        return gettext_lazy(
            "Thank you. Your card payment is confirmed and the seller can now prepare your order."
        )
    refused = gettext_lazy(
        "We could not confirm this card payment, so the order is closed and nothing is kept from you: "
        "anything taken is refunded. You can order again and pay another way."
    )
    if not note:
        return refused
    reviewer_note = gettext_lazy("%(refused)s Reviewer's note: %(note)s")
    return lazy_text(reviewer_note, {"refused": refused, "note": note})


def appeal_approve(*, appeal: Appeal, staff, note: str = "", now: dt.datetime) -> Appeal:
    return _decide(appeal=appeal, staff=staff, approve=True, note=note, now=now)


def appeal_reject(*, appeal: Appeal, staff, note: str = "", now: dt.datetime) -> Appeal:
    return _decide(appeal=appeal, staff=staff, approve=False, note=note, now=now)


def appeal_review_overdue(*, appeal_id: int, now: dt.datetime) -> str:
    """The review deadline passed: tell the staff (the appeal stays in the queue, overdue)."""
    try:
        appeal = _locked(appeal_id)
    except Appeal.DoesNotExist:
        return "skipped: no such appeal"
    if appeal.state != AppealState.UNDER_REVIEW:
        return "skipped: decided"
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    notify_many(
        [
            {
                "user_id": pk, "kind": "appeal_overdue", "event_key": f"appeal:{appeal.pk}:overdue",
                "subject": lazy_text(
                    gettext_lazy("Appeal %(pk)s is past its review time"), {"pk": appeal.pk}
                ),
                "body": lazy_text(
                    gettext_lazy("Card verification appeal %(pk)s was due for a decision at %(due)s. "
                                 "Please decide it now."),
                    {"pk": appeal.pk, "due": f"{appeal.review_due_at:%Y-%m-%d %H:%M} UTC"},
                ),
                "url": reverse("backoffice_appeals:detail", args=[appeal.pk]),
            }
            for pk in staff
        ],
        now=now,
    )
    return "staff notified"


def appeal_documents_expire(*, appeal_id: int, now: dt.datetime) -> str:
    """PAY-3: the documents did not arrive in time. The appeal expires, its payment fails (a part
    paid from the balance goes back to it) and each order still being verified closes with the
    payment-rejected reason, refunding anything captured. Anything else is skipped."""
    from orders.services import order_close
    from orders.states import Actor, CloseReason, State
    from payments.models import Payment
    from payments.services import balance_part_settle

    try:
        locked = _locked(appeal_id)
    except Appeal.DoesNotExist:
        return "skipped: no such appeal"
    if locked.state != AppealState.AWAITING_DOCUMENTS:
        return "skipped: documents sent or decided"
    locked.state, locked.decided_at = AppealState.EXPIRED, now
    locked.save(update_fields=["state", "decided_at"])
    payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
    if payment.state == Payment.State.VERIFYING:
        payment.state, payment.failure_code = Payment.State.FAILED, "verification_expired"
        payment.save(update_fields=["state", "failure_code"])
        balance_part_settle(payment=payment, now=now)
    reason = _("The documents for the card check were not sent in time")
    closed = 0
    for order_id in locked.orders.filter(state=State.PAYMENT_VERIFYING).order_by("pk").values_list(
        "pk", flat=True
    ):
        order_close(
            order=order_id, actor=Actor.SYSTEM, close_reason=CloseReason.PAYMENT_REJECTED, now=now,
            reason=reason, kind="appeal_expired_close",
        )
        closed += 1
    notify(
        user=locked.buyer,
        kind="appeal_expired",
        event_key=f"appeal:{locked.pk}:expired",
        subject=gettext_lazy("Your card check has ended without documents"),
        body=gettext_lazy(
            "We did not receive the documents for your card check in time, so the order is "
            "closed. Anything taken from you is refunded. You are welcome to order again and "
            "pay another way."
        ),
        url=appeal_url(locked),
        now=now,
    )
    return f"expired, {closed} order{'s' if closed != 1 else ''} closed"
