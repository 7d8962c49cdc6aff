"""Who may do what in a dispute, and when — with the reason when not (BP-3, DSP-1…DSP-7, WAR-1,
HLP-4).

Each `check_*` returns an orders.rules.Decision. The services call the same functions and
raise when a decision says no; the pages and the API show the decision's reason and
`available_from`, so the explanation never disagrees with the enforcement.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from core.policy import policy
from disputes.models import Dispute
from disputes.states import (
    DISPUTE_REASONS,
    NOT_RECEIVED,
    RECEIVED_PROBLEM,
    DisputeState,
    Kind,
)
from orders.models import Order, TrackingEvent
from orders.rules import OK, Decision
from orders.states import State

S = DisputeState
# Tracking that shows a parcel simply on its way (BP-3 "normal progress").
NORMAL_PROGRESS = frozenset(
    {
        TrackingEvent.Status.INFO_RECEIVED,
        TrackingEvent.Status.IN_TRANSIT,
        TrackingEvent.Status.OUT_FOR_DELIVERY,
    }
)


def _no(code: str, reason: str, rule: str, available_from: dt.datetime | None = None) -> Decision:
    return Decision(False, code, reason, available_from, rule)


def open_case(order: Order) -> Dispute | None:
    return order.disputes.filter(is_open=True).first()


def not_received_from(order: Order) -> dt.datetime | None:
    """BP-3: the 11th day after shipment (policy.not_received_dispute_from_day days after it)."""
    if order.shipped_at is None:
        return None
    return order.shipped_at + dt.timedelta(days=policy.not_received_dispute_from_day)


def tracking_status(order: Order) -> str | None:
    """The latest scan's status, or None when the parcel has no tracking information at all."""
    latest = order.tracking_events.order_by("-occurred_at", "-id").values_list("status", flat=True).first()
    return latest


def has_no_tracking(order: Order, now: dt.datetime) -> bool:
    """DSP-5: no tracking information at all, on or after the escalation day after shipment."""
    if order.shipped_at is None:
        return False
    if now < order.shipped_at + dt.timedelta(days=policy.no_tracking_escalation_day):
        return False
    return tracking_status(order) is None


def _protection(order: Order, now: dt.datetime) -> Decision:
    """The order must be shipped and its protection running (BP-2/BP-3), with no open case (DSP-6)."""
    if order.state in (State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING):
        return _no("not_paid", _("This order is not paid, so there is nothing to dispute."), "BP-3")
    if order.state == State.AWAITING_SHIPMENT:
        return _no(
            "not_shipped",
            _("The seller has not shipped this order yet. Ask to cancel it instead of opening a dispute."),
            "BP-3",
        )
    if order.state == State.CLOSED:
        return _no(
            "order_closed", _("This order is closed; its payment was returned or never taken."), "BP-3"
        )
    if order.state == State.COMPLETED or (order.protection_ends_at and now >= order.protection_ends_at):
        return _no(
            "protection_ended",
            _("Buyer protection for this order has ended, so a dispute can no longer be opened."),
            "BP-3",
        )
    if open_case(order) is not None:
        return _no(
            "dispute_open",
            _("This order already has an open dispute. Add messages or evidence to it instead."),
            "DSP-6",
        )
    if _return_open(order):
        return _no(
            "return_open",
            _(
                "A Free Return is under way on this order. Its refund follows the warehouse check; "
                "if something is still wrong after that, you can open a dispute then."
            ),
            "DSP-6",
        )
    return OK


def _return_open(order: Order) -> bool:
    """A Free Return in progress (RET): the same goods must not be claimed twice at once."""
    from django.apps import apps

    if not apps.is_installed("returns"):
        return False
    from returns.selectors import order_has_open_return

    return order_has_open_return(order)


def check_open_dispute(order: Order, now: dt.datetime, reason: str) -> Decision:
    """BP-3 / DSP-6: whether the buyer may open a dispute for `reason` now, and if not, why and
    from when."""
    if reason not in DISPUTE_REASONS:
        return _no("invalid_reason", _("Choose one of the reasons offered."), "BP-3")
    base = _protection(order, now)
    if not base:
        return base
    if reason in NOT_RECEIVED:
        if order.received_at is not None:
            return _no(
                "received",
                _("You confirmed that you received this order; choose the problem you found with it."),
                "BP-3",
            )
        start = not_received_from(order)
        status = tracking_status(order)
        pst = order.promised_delivery_at
        if status in NORMAL_PROGRESS and pst is not None and now < pst:
            later = max(start, pst)
            if now < later:
                return _no(
                    "tracking_in_progress",
                    _(
                        "The tracking shows your parcel moving normally and the promised delivery time has "
                        "not passed yet. If it has not arrived by then, you can open a dispute."
                    ),
                    "BP-3",
                    available_from=later,
                )
        if now < start:
            return _no(
                "too_early",
                _(
                    "A parcel needs time to arrive: a 'not received' dispute can be opened from the "
                    "%(day)sth day after shipment."
                )
                % {"day": policy.not_received_dispute_from_day},
                "BP-3",
                available_from=start,
            )
        return OK
    if reason in RECEIVED_PROBLEM:
        if order.received_at is None:
            return _no(
                "not_received_yet",
                _(
                    "Confirm that you received the order first; then you can report a problem with it. "
                    "If it has not arrived, choose a 'not received' reason."
                ),
                "BP-3",
            )
        return OK
    return _no("invalid_reason", _("Choose one of the reasons offered."), "BP-3")


def check_open_any(order: Order, now: dt.datetime) -> Decision:
    """HLP-4: whether some dispute may be opened now (the order page's button), else the earliest
    time one could be."""
    decisions = [check_open_dispute(order, now, reason) for reason in sorted(DISPUTE_REASONS)]
    if any(decisions):
        return OK
    timed = [d for d in decisions if d.available_from is not None]
    if timed:
        return min(timed, key=lambda d: d.available_from)
    return decisions[0]


def warranty_receipt(order: Order) -> dt.datetime | None:
    """WAR-1: receipt is the confirmed receipt, or the promised delivery time when never confirmed."""
    return order.received_at or order.promised_delivery_at


def check_open_warranty(order: Order, now: dt.datetime) -> Decision:
    """WAR-1: on warranty items, after buyer protection ends and within a year of receipt."""
    if not order.lines.filter(variant__product__warranty=True).exists():
        return _no("no_warranty", _("No item of this order carries the commercial warranty."), "WAR-1")
    if order.state != State.COMPLETED:
        if order.state == State.SHIPPED and order.protection_ends_at:
            return _no(
                "protection_running",
                _(
                    "Buyer protection still covers this order: open a dispute instead. Warranty requests "
                    "start when protection ends."
                ),
                "WAR-1",
                available_from=order.protection_ends_at,
            )
        return _no("not_completed", _("A warranty request needs a delivered, completed order."), "WAR-1")
    receipt = warranty_receipt(order)
    if receipt is None or now >= receipt + policy.warranty_period:
        return _no("warranty_ended", _("The one-year warranty of this order has ended."), "WAR-1")
    if open_case(order) is not None:
        return _no("dispute_open", _("This order already has an open request."), "DSP-6")
    return OK


# --- the seller's answer (DSP-2) ------------------------------------------------------------------


def _state_is(dispute: Dispute, *states: str, code: str = "wrong_state", rule: str = "DSP-2") -> Decision:
    if dispute.state in states:
        return OK
    if not dispute.is_open:
        return _no("dispute_closed", _("This dispute is closed."), rule)
    return _no(
        code,
        _("This cannot be done while the dispute is: %(state)s.")
        % {"state": DisputeState(dispute.state).label},
        rule,
    )


def _before_due(dispute: Dispute, now: dt.datetime, rule: str) -> Decision:
    if dispute.due_at is not None and now >= dispute.due_at:
        return _no(
            "deadline_passed",
            _("The time for this step has ended; the system is carrying out what happens next."),
            rule,
        )
    return OK


def check_seller_answer(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-2: the seller agrees or refuses within the 5 days."""
    return _state_is(dispute, S.AWAITING_SELLER) and _before_due(dispute, now, "DSP-2")


def check_buyer_update(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-4: after a refusal the buyer may change the proposal (the seller's 5 days start again)."""
    if dispute.kind == Kind.WARRANTY:
        return _no(
            "not_for_warranty", _("A warranty request goes to the dispute team when refused."), "WAR-1"
        )
    return _state_is(dispute, S.NEGOTIATING, rule="DSP-4") and _before_due(dispute, now, "DSP-4")


def check_accept_counter(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-4: the buyer accepts the seller's counter-proposal."""
    return check_buyer_update(dispute, now)


def check_withdraw(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-6: the buyer may withdraw an open dispute."""
    if not dispute.is_open:
        return _no("dispute_closed", _("This dispute is already closed."), "DSP-6")
    return OK


def check_message(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-6: both sides (and the team) write and add evidence while the dispute is open."""
    if not dispute.is_open:
        return _no("dispute_closed", _("This dispute is closed; nothing more can be added."), "DSP-6")
    return OK


def check_return_tracking(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-3: the buyer submits the return parcel's tracking once, within the window."""
    if dispute.return_tracking_number:
        return _no(
            "tracking_already_submitted",
            _("You already gave the return tracking number; it cannot be submitted twice."),
            "DSP-3",
        )
    return _state_is(dispute, S.AWAITING_RETURN, rule="DSP-3") and _before_due(dispute, now, "DSP-3")


def check_return_receipt(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-3: the seller confirms the returned goods arrived (or objects) within 30 days."""
    return _state_is(dispute, S.RETURN_SHIPPED, rule="DSP-3") and _before_due(dispute, now, "DSP-3")


def check_team_request_evidence(dispute: Dispute, now: dt.datetime, due_at: dt.datetime | None) -> Decision:
    """DSP-5: the team may ask either side for more evidence, with a deadline in the future."""
    base = _state_is(dispute, S.TEAM_REVIEW, rule="DSP-5")
    if not base:
        return base
    if due_at is None or due_at <= now:
        return _no("invalid_due_at", _("Give a deadline in the future."), "DSP-5")
    return OK


def check_team_decide(dispute: Dispute, now: dt.datetime) -> Decision:
    """DSP-5: the team decides a dispute under its review."""
    return _state_is(dispute, S.TEAM_REVIEW, S.AWAITING_EVIDENCE, rule="DSP-5")


def check_evidence_answer(dispute: Dispute, party: str) -> bool:
    """DSP-5: whether `party` posting evidence answers the team's request."""
    return dispute.state == S.AWAITING_EVIDENCE and dispute.evidence_party == party


# --- warranty repair / replacement (WAR-1) -------------------------------------------------------


def is_repair(dispute: Dispute) -> bool:
    """WAR-1: a warranty request whose agreed solution is a repair or a replacement."""
    return dispute.kind == Kind.WARRANTY and dispute.agreed_solution in ("repair", "replacement")


def check_warranty_reship(dispute: Dispute, now: dt.datetime) -> Decision:
    """WAR-1: the seller ships the repaired or replacement item back, with tracking, in time."""
    return _state_is(dispute, S.REPAIRING, rule="WAR-1") and _before_due(dispute, now, "WAR-1")


def check_warranty_outcome(dispute: Dispute, now: dt.datetime) -> Decision:
    """WAR-1: the buyer confirms the repaired or replacement item, or reopens it to the team."""
    return _state_is(dispute, S.RESHIPPED, rule="WAR-1") and _before_due(dispute, now, "WAR-1")
