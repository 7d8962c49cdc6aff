"""The one function that changes a return's state (RET-3, RET-4).

`return_transition` takes the return locked (with its order locked first: orders are
always locked before their returns, so two paths cannot deadlock), checks the move
against returns.states.MOVES, stamps what entering the new state means, records a
ReturnEvent (actor, time, reason, old → new) and disarms the old state's deadlines and
arms the new state's — in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.policy import policy
from deadlines.services import deadline_arm, deadline_disarm
from orders.transitions import order_locked
from returns.models import ReturnEvent, ReturnRequest
from returns.states import ARMS, ReturnDeadline, ReturnState, allowed, reminder_kind

SUBJECT = "return"

_STAMPS = {
    ReturnState.DROPPED_OFF: "dropped_off_at",
    ReturnState.IN_TRANSIT: "in_transit_at",
    ReturnState.RECEIVED: "received_at",
    ReturnState.INSPECTED: "inspected_at",
}


def return_locked(request: ReturnRequest | int) -> ReturnRequest:
    """The return row locked for this transaction, its order locked first."""
    pk = request.pk if isinstance(request, ReturnRequest) else request
    order_id = ReturnRequest.objects.values_list("order_id", flat=True).get(pk=pk)
    order_locked(order_id)
    return ReturnRequest.objects.select_for_update().select_related("order").get(pk=pk)


def deadline_due(request: ReturnRequest, kind: str) -> dt.datetime:
    if kind == ReturnDeadline.CODE_EXPIRY:
        return request.code_expires_at
    raise ValueError(f"Unknown return deadline {kind!r}")


def return_arm(request: ReturnRequest, kind: str, now: dt.datetime) -> dt.datetime:
    """Arm deadline `kind` of the return, and its reminder 24 h before (NTF-1)."""
    due = deadline_due(request, kind)
    deadline_arm(
        kind=kind, subject_type=SUBJECT, subject_id=request.pk, armed_state=request.state, due_at=due, now=now
    )
    remind_at = due - policy.deadline_reminder_before
    if remind_at > now:
        deadline_arm(
            kind=reminder_kind(kind), subject_type=SUBJECT, subject_id=request.pk,
            armed_state=request.state, due_at=remind_at, now=now,
        )
    return due


def return_event(
    request: ReturnRequest,
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    location: str = "",
    external_id: str | None = None,
    data: dict | None = None,
) -> ReturnEvent:
    return ReturnEvent.objects.create(
        request=request,
        at=now,
        actor=actor,
        actor_user=actor_user if actor_user is not None and actor_user.is_authenticated else None,
        kind=kind,
        from_state=from_state or request.state,
        to_state=to_state or request.state,
        reason=(reason or "")[:300],
        location=(location or "")[:120],
        external_id=external_id,
        data=data or {},
    )


def return_transition(
    *,
    request: ReturnRequest | int,
    to: ReturnState,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    reason: str = "",
    kind: str = "",
    location: str = "",
    external_id: str | None = None,
    occurred_at: dt.datetime | None = None,
    data: dict | None = None,
) -> ReturnRequest:
    with transaction.atomic():
        locked = return_locked(request)
        old = locked.state
        if not allowed(old, to, actor):
            raise NotAllowed(
                _("A return that is %(ReturnState)s cannot move to %(ReturnState2)s by "
                    "the %(actor)s.") % {
                        "ReturnState": ReturnState(old).label.lower(),
                        "ReturnState2": ReturnState(to).label.lower(), "actor": actor},
                code="invalid_transition",
            )
        locked.state = to
        changed = ["state"]
        stamp = _STAMPS.get(to)
        if stamp:
            setattr(locked, stamp, occurred_at or now)
            changed.append(stamp)
        # A parcel inspected (or received) without the earlier scans: the steps it skipped happened.
        if to in (ReturnState.RECEIVED, ReturnState.INSPECTED) and locked.received_at is None:
            locked.received_at = occurred_at or now
            changed.append("received_at")
        if to in (ReturnState.INSPECTED, ReturnState.EXPIRED, ReturnState.CANCELLED):
            locked.closed_at = now
            changed.append("closed_at")
        locked.save(update_fields=changed)
        deadline_disarm(subject_type=SUBJECT, subject_id=locked.pk, now=now)
        if to in ARMS:
            return_arm(locked, ARMS[to], now)
        return_event(
            locked, kind=kind or f"to_{to}", actor=actor, actor_user=actor_user, now=now,
            from_state=old, to_state=to, reason=reason, location=location, external_id=external_id,
            data=data,
        )
    return locked
