"""Reads for disputes: what a person may see, the team's queue, and the order page's summary."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.policy import policy
from disputes.models import Dispute, Evidence
from disputes.rules import check_open_any, check_open_dispute, check_open_warranty
from disputes.states import DISPUTE_REASONS, DisputeState
from orders.rules import Decision


def order_has_open_dispute(order) -> bool:
    """BP-2 / DSP-6: an open dispute (or warranty request) holds the escrow back."""
    return Dispute.objects.filter(order_id=order.pk, is_open=True).exists()


def order_open_dispute(order) -> Dispute | None:
    return Dispute.objects.filter(order_id=order.pk, is_open=True).first()


def order_disputes(order) -> QuerySet[Dispute]:
    return Dispute.objects.filter(order_id=order.pk).order_by("-opened_at")


def _visible(user) -> Q | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_staff:
        return Q()
    return Q(buyer=user) | Q(order__store__owner=user)


def dispute_for_user(*, dispute_id, user) -> Dispute:
    """The dispute, if `user` is its buyer, its seller or staff; else NotFound (no leak)."""
    visible = _visible(user)
    if visible is None or not isinstance(dispute_id, int):
        raise NotFound(_("No such dispute."), code="not_found")
    found = (
        Dispute.objects.filter(visible, pk=dispute_id)
        .select_related("order", "order__store", "buyer")
        .first()
    )
    if found is None:
        raise NotFound(_("No such dispute."), code="not_found")
    return found


def evidence_for_user(*, evidence_id, user) -> Evidence:
    visible = _visible(user)
    if visible is None or not isinstance(evidence_id, int):
        raise NotFound(_("No such file."), code="not_found")
    prefixed = Q()
    if visible != Q():
        prefixed = Q(dispute__buyer=user) | Q(dispute__order__store__owner=user)
    found = Evidence.objects.filter(prefixed, pk=evidence_id).select_related("dispute").first()
    if found is None:
        raise NotFound(_("No such file."), code="not_found")
    return found


def disputes_of_buyer(*, user) -> QuerySet[Dispute]:
    return Dispute.objects.filter(buyer=user).select_related("order").order_by("-opened_at")


def disputes_of_seller(*, user) -> QuerySet[Dispute]:
    return (
        Dispute.objects.filter(order__store__owner=user)
        .select_related("order")
        .order_by("-is_open", F("due_at").asc(nulls_last=True), "-opened_at")
    )


def team_queue(*, state: str = "") -> QuerySet[Dispute]:
    """OPS-1: open disputes, the team's first (team review, awaiting evidence), by deadline."""
    query = Dispute.objects.filter(is_open=True).select_related("order", "order__store", "buyer")
    if state:
        query = query.filter(state=state)
    return query.order_by(
        F("escalated_at").asc(nulls_last=True), F("due_at").asc(nulls_last=True), "opened_at"
    )


def dispute_timeline(dispute: Dispute):
    return dispute.events.select_related("actor_user").order_by("at", "id")


def dispute_messages(dispute: Dispute):
    return dispute.messages.select_related("author").prefetch_related("files").order_by("at", "id")


def dispute_open_decisions(order, now: dt.datetime) -> dict[str, Decision]:
    """HLP-4: for each reason, whether a dispute may be opened now, and if not why and from when."""
    return {reason: check_open_dispute(order, now, reason) for reason in sorted(DISPUTE_REASONS)}


def dispute_can_open(order, now: dt.datetime) -> Decision:
    """HLP-4: the order page's "open a dispute" button: allowed, or why not and from when."""
    return check_open_any(order, now)


def warranty_can_open(order, now: dt.datetime) -> Decision:
    return check_open_warranty(order, now)


TEAM_STATES = (DisputeState.TEAM_REVIEW, DisputeState.AWAITING_EVIDENCE)


def paypal_note(dispute: Dispute) -> str:
    """DSP-7: on PayPal-paid orders, PayPal's own dispute window, shown for information only."""
    if not dispute.paid_with_paypal:
        return ""
    return _(
        "This order was paid with PayPal: you may also open a case with PayPal within %(days)s days of "
        "payment (until %(until)s). We record it for information only."
    ) % {"days": policy.paypal_dispute_window.days, "until": f"{dispute.paypal_dispute_until:%Y-%m-%d}"}


def suggested_amount_minor(order, quantities: dict[int, int]) -> int:
    """DSP-1: the refund the dispute form suggests for the units chosen ({line id: quantity}):
    every unit of every line → all that can still be refunded (shipping included); otherwise what
    those units cost, never above the refundable amount (the bound disputes.services checks)."""
    from payments.services import order_refundable_minor

    refundable = order_refundable_minor(order)
    lines = list(order.lines.all())
    chosen = {line.pk: max(0, min(quantities.get(line.pk, 0), line.quantity)) for line in lines}
    if all(chosen[line.pk] == line.quantity for line in lines):
        return refundable
    return min(refundable, sum(line.unit_price_minor * chosen[line.pk] for line in lines))
