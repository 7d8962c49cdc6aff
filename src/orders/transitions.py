"""The one function that changes an order's state (ORD-2).

`order_transition` locks the order row, checks the move against
orders.states.MOVES, applies what entering the new state means (timestamps,
close reason), records an OrderEvent (actor, time, reason, old → new) and
disarms the old state's deadline and arms the new one — in one transaction.

Inside a deadline batch the order was already locked by the batch's prepare
hook (orders.deadline_handlers.prepare_orders): `order_locked` returns that
instance instead of reading the row again, and the firing's savepoint stands
in for the nested one.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from core.calendar import add_business_days
from core.errors import NotAllowed
from core.policy import policy
from deadlines.batch import at_batch_end, atomic, in_firing
from deadlines.batch import current as current_batch
from deadlines.models import Deadline
from deadlines.rows import row_update, row_values, rows_insert, rows_update
from deadlines.services import deadline_arm, deadline_disarm, deadlines_arm_fresh
from orders.models import Order, OrderEvent
from orders.states import ARMS, CloseReason, DeadlineKind, State, allowed

SUBJECT = "order"


def promised_delivery(order: Order) -> dt.datetime | None:
    """PST = shipment time + the delivery estimate + any granted extension (ORD-6, BP-4)."""
    if order.shipped_at is None:
        return None
    return order.shipped_at + dt.timedelta(days=order.delivery_max_days + order.extension_days)


def protection_end(order: Order) -> dt.datetime | None:
    """BP-2: the earlier of confirmed receipt or PST, plus the protection period."""
    anchors = [t for t in (order.received_at, order.promised_delivery_at) if t is not None]
    if not anchors:
        return None
    return min(anchors) + policy.protection_after_delivery


def deadline_due(order: Order, kind: str, now: dt.datetime) -> dt.datetime:
    if kind == DeadlineKind.PAYMENT_WINDOW:
        return order.placed_at + policy.payment_window
    if kind == DeadlineKind.SHIP_BY:
        return add_business_days(order.paid_at or now, order.processing_days)
    if kind == DeadlineKind.PROTECTION_END:
        return protection_end(order)
    raise ValueError(f"Unknown order deadline {kind!r}")


def reminder_kind(kind: str) -> str:
    return f"remind_{kind}"


def order_arm(
    order: Order, kind: str, due: dt.datetime, now: dt.datetime, *, fresh: bool = False
) -> dt.datetime:
    """Arm deadline `kind` of the order at `due`, and its reminder 24 h before (NTF-1).

    `fresh`: the order has no pending deadline (just placed, or all disarmed by this
    transaction): outside a deadline batch both rows go in with one INSERT, nothing to disarm.
    """
    remind_at = due - policy.deadline_reminder_before
    if fresh and current_batch() is None:
        rows = [(kind, due)] + ([(reminder_kind(kind), remind_at)] if remind_at > now else [])
        deadlines_arm_fresh([
            Deadline(
                kind=k, subject_type=SUBJECT, subject_id=order.pk, armed_state=order.state, due_at=at,
                armed_at=now,
            )
            for k, at in rows
        ])
        return due
    deadline_arm(
        kind=kind, subject_type=SUBJECT, subject_id=order.pk, armed_state=order.state, due_at=due, now=now
    )
    deadline_disarm(subject_type=SUBJECT, subject_id=order.pk, now=now, kind=reminder_kind(kind))
    if remind_at > now:
        deadline_arm(
            kind=reminder_kind(kind),
            subject_type=SUBJECT,
            subject_id=order.pk,
            armed_state=order.state,
            due_at=remind_at,
            now=now,
        )
    return due


def order_arm_deadline(order: Order, kind: str, now: dt.datetime, *, fresh: bool = False) -> dt.datetime:
    """Arm the deadline `kind` at the instant the rules give for this order (`fresh`: see order_arm)."""
    return order_arm(order, kind, deadline_due(order, kind, now), now, fresh=fresh)


def order_locked(order: Order | int) -> Order:
    """The order row, locked for this transaction (SELECT … FOR UPDATE).

    In a deadline batch that already locked it, the batch's instance — the one every
    firing of the batch sees and changes — with no query.
    """
    order_id = order.pk if isinstance(order, Order) else order
    batch = current_batch()
    if batch is not None:
        locked = batch.subject(SUBJECT, order_id)
        if locked is not None:
            return locked
    locked = Order.objects.select_for_update().get(pk=order_id)
    if batch is not None and batch.firing is not None:
        # Its changes are written at the end of the batch: later firings must see this instance.
        batch.subject_locked(SUBJECT, order_id, locked)
    return locked


def order_transition(
    *,
    order: Order | int,
    to: State,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    reason: str = "",
    close_reason: CloseReason | str = "",
    kind: str = "",
    data: dict | None = None,
    locked_here: bool = False,
) -> Order:
    """`locked_here`: `order` is an instance the caller read with SELECT … FOR UPDATE in this
    transaction (no second read; in a deadline batch the batch's instance is used anyway).
    Then no savepoint either: that caller's transaction rolls back as a whole on any error."""
    reuse = locked_here and isinstance(order, Order) and current_batch() is None
    with transaction.atomic(savepoint=False) if reuse else atomic():
        locked = order if reuse else order_locked(order)
        old = locked.state
        if not allowed(old, to, actor):
            raise NotAllowed(
                _("An order that is %(State)s cannot move to %(State2)s by the %(actor)s.") % {
                    "State": State(old).label.lower(), "State2": State(to).label.lower(), "actor": actor},
                code="invalid_transition",
            )
        if to == State.CLOSED and not close_reason:
            raise ValueError("Closing an order needs a close reason (ORD-2)")
        locked.state = to
        changed = ["state", *_enter(locked, to, now, close_reason)]
        deadline_disarm(subject_type=SUBJECT, subject_id=locked.pk, now=now)
        if to in ARMS:
            due = order_arm_deadline(locked, ARMS[to], now, fresh=True)  # all disarmed just above
            if to == State.AWAITING_SHIPMENT:
                locked.ship_by = due
                changed.append("ship_by")
            elif to == State.SHIPPED:
                locked.protection_ends_at = due
                changed.append("protection_ends_at")
        if in_firing():  # with the batch's other orders, in one UPDATE at its end
            at_batch_end("orders.update", _orders_update, (locked.pk, row_values(locked, changed)))
        else:
            row_update(locked, changed)  # only what changed
        event = OrderEvent(
            order=locked,
            at=now,
            actor=actor,
            actor_user=actor_user,
            kind=kind or f"to_{to}",
            from_state=old,
            to_state=to,
            reason=str(reason or (CloseReason(close_reason).label if close_reason else "")),  # lazy labels
            data=data or {},
        )
        # In a deadline batch, the timeline rows of all its firings go in with one INSERT at
        # the end of the batch (same transaction; dropped if this firing fails).
        at_batch_end("orders.events", _events_insert, event)
    return locked


def _orders_update(updates: list[tuple[int, dict]]) -> None:
    rows_update(Order, updates)


def _events_insert(events: list[OrderEvent]) -> None:
    rows_insert(events, need_pks=False)


def _enter(order: Order, to: State, now: dt.datetime, close_reason: str) -> list[str]:
    """Set what entering `to` means; returns the names of the fields it changed."""
    if to == State.AWAITING_SHIPMENT and order.paid_at is None:
        order.paid_at = now
        return ["paid_at"]
    if to == State.SHIPPED:
        order.shipped_at = now
        order.promised_delivery_at = promised_delivery(order)
        return ["shipped_at", "promised_delivery_at"]
    if to == State.CLOSED:
        order.closed_at = now
        order.close_reason = close_reason
        return ["closed_at", "close_reason"]
    if to == State.COMPLETED:
        order.completed_at = now
        return ["completed_at"]
    return []
