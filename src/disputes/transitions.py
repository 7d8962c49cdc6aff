"""The one function that changes a dispute's state (DSP-1…DSP-7, WAR-1).

`dispute_transition` locks the order and then the dispute (always in that order, like every
dispute service, so two of them never wait on each other crosswise), checks the move against
disputes.states.MOVES, applies what entering the new state means, records a DisputeEvent and
the same entry on the order's timeline (the order page shows it), and disarms the old state's
deadline and arms the new one with its 24 h reminder (NTF-1), in one transaction.

Inside a deadline batch the order is taken with orders.transitions.order_locked (see
deadlines/batch.py), so a firing sees the batch's instance.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.policy import policy
from deadlines.batch import atomic
from deadlines.services import deadline_arm, deadline_disarm
from disputes.models import Dispute, DisputeEvent
from disputes.states import ARMS, TERMINAL, DeadlineKind, DisputeState, Kind, allowed, reminder_kind
from orders.models import Order, OrderEvent
from orders.transitions import order_locked

SUBJECT = "dispute"


def return_ship_window(order: Order) -> dt.timedelta:
    """DSP-3: the buyer's time to send goods back, per delivery country (default 10 days)."""
    by_country = policy.return_shipping_window_by_country or {}
    return by_country.get(order.ship_country, policy.return_shipping_window)


def deadline_due(dispute: Dispute, kind: str, now: dt.datetime, *, due_at: dt.datetime | None = None):
    if kind == DeadlineKind.SELLER_ANSWER:
        if dispute.kind == Kind.WARRANTY:
            return now + policy.warranty_seller_answer_window
        return now + policy.seller_dispute_answer_window
    if kind == DeadlineKind.SETTLE:
        return now + policy.disagreement_escalation_window
    if kind == DeadlineKind.RETURN_SHIP:
        return now + return_ship_window(dispute.order)
    if kind == DeadlineKind.RETURN_CONFIRM:
        return now + policy.seller_return_confirm_window
    if kind == DeadlineKind.RESHIP:
        return now + policy.warranty_reship_window
    if kind == DeadlineKind.OUTCOME:
        return now + policy.warranty_outcome_window
    if kind == DeadlineKind.EVIDENCE:
        if due_at is None:
            raise ValueError("An evidence request needs its due time (DSP-5)")
        return due_at
    raise ValueError(f"Unknown dispute deadline {kind!r}")


def dispute_arm(dispute: Dispute, kind: str, due: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Arm deadline `kind` of the dispute at `due`, and its reminder 24 h before (NTF-1)."""
    common = {"subject_type": SUBJECT, "subject_id": dispute.pk, "armed_state": dispute.state, "now": now}
    deadline_arm(kind=kind, due_at=due, **common)
    deadline_disarm(subject_type=SUBJECT, subject_id=dispute.pk, now=now, kind=reminder_kind(kind))
    remind_at = due - policy.deadline_reminder_before
    if remind_at > now:
        deadline_arm(kind=reminder_kind(kind), due_at=remind_at, **common)
    return due


def dispute_locked(dispute: Dispute | int) -> tuple[Order, Dispute]:
    """The dispute's order and the dispute, both locked for this transaction (order first)."""
    dispute_id = dispute.pk if isinstance(dispute, Dispute) else dispute
    order_id = Dispute.objects.values_list("order_id", flat=True).get(pk=dispute_id)
    order = order_locked(order_id)
    locked = Dispute.objects.select_for_update().get(pk=dispute_id)
    locked.order = order
    return order, locked


def order_timeline(
    order: Order,
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    reason: str = "",
    data: dict | None = None,
) -> OrderEvent:
    """The same entry on the order's timeline (its state does not change)."""
    return OrderEvent.objects.create(
        order=order,
        at=now,
        actor=actor,
        actor_user=actor_user,
        kind=kind[:40],
        from_state=order.state,
        to_state=order.state,
        reason=reason[:300],
        data=data or {},
    )


def dispute_event(
    dispute: Dispute,
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    note: str = "",
    data: dict | None = None,
    from_state: str | None = None,
    to_state: str = "",
    on_order: bool = True,
) -> DisputeEvent:
    event = DisputeEvent.objects.create(
        dispute=dispute,
        at=now,
        actor=actor,
        actor_user=actor_user,
        kind=kind,
        from_state=dispute.state if from_state is None else from_state,
        to_state=to_state or dispute.state,
        note=note[:2000],
        data=data or {},
    )
    if on_order:
        order_timeline(
            dispute.order,
            kind=f"{dispute.kind}_{kind}",
            actor=actor,
            now=now,
            actor_user=actor_user,
            reason=note,
            data={"dispute": dispute.pk, **(data or {})},
        )
    return event


def dispute_transition(
    *,
    dispute: Dispute | int,
    to: DisputeState,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    kind: str = "",
    note: str = "",
    data: dict | None = None,
    due_at: dt.datetime | None = None,
) -> Dispute:
    """Move the dispute to `to`. `due_at` is the evidence deadline when `to` is awaiting_evidence."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        old = locked.state
        if not allowed(old, to, actor):
            raise NotAllowed(
                _("A dispute that is %(DisputeState)s cannot move to %(DisputeState2)s "
                    "by the %(actor)s.") % {
                        "DisputeState": DisputeState(old).label.lower(),
                        "DisputeState2": DisputeState(to).label.lower(), "actor": actor},
                code="invalid_transition",
            )
        locked.state = to
        changed = ["state", "due_at"]
        if to in TERMINAL:
            locked.is_open = False
            locked.closed_at = now
            changed += ["is_open", "closed_at"]
        if to == DisputeState.TEAM_REVIEW and locked.escalated_at is None:
            locked.escalated_at = now
            changed.append("escalated_at")
        deadline_disarm(subject_type=SUBJECT, subject_id=locked.pk, now=now)
        locked.due_at = None
        if to in ARMS:
            locked.due_at = dispute_arm(
                locked, ARMS[to], deadline_due(locked, ARMS[to], now, due_at=due_at), now
            )
        locked.save(update_fields=changed)
        dispute_event(
            locked,
            kind=kind or f"to_{to}",
            actor=actor,
            actor_user=actor_user,
            now=now,
            note=note,
            data=data,
            from_state=old,
            to_state=to,
        )
    return locked
