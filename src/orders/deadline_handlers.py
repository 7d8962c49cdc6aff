"""What each order deadline does when it fires (registered in OrdersConfig.ready).

Each handler locks the order and re-checks that it is still in the state
that armed the deadline; if it moved on, the firing is skipped.
"""

from __future__ import annotations

import datetime as dt

from deadlines.models import Deadline, Status
from deadlines.registry import register
from orders import notices
from orders.models import Order, RequestStatus
from orders.states import Actor, CloseReason, DeadlineKind, State
from orders.transitions import order_transition, reminder_kind


def _locked_order(deadline: Deadline) -> Order | None:
    return Order.objects.select_for_update().filter(pk=deadline.subject_id).first()


def _still(order: Order | None, deadline: Deadline) -> bool:
    return order is not None and order.state == deadline.armed_state


def on_payment_window(deadline: Deadline, now: dt.datetime) -> str:
    """ORD-3: an unpaid order closes by itself when the payment window ends."""
    from orders.services import order_close

    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order_close(order=order, actor=Actor.SYSTEM, now=now, close_reason=CloseReason.PAYMENT_TIMEOUT)
    return "closed: payment timeout"


def on_ship_by(deadline: Deadline, now: dt.datetime) -> str:
    """ORD-4: an order not shipped by the ship-by deadline closes with a full refund."""
    from orders.services import order_close

    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order_close(order=order, actor=Actor.SYSTEM, now=now, close_reason=CloseReason.SELLER_SHIP_TIMEOUT)
    return "closed: seller ship timeout"


def on_cancellation_answer(deadline: Deadline, now: dt.datetime) -> str:
    """ORD-5: an unanswered cancellation request goes through: cancelled and refunded."""
    from orders.services import cancellation_expire

    order = _locked_order(deadline)
    if (
        not _still(order, deadline)
        or not order.cancellation_requests.filter(status=RequestStatus.PENDING).exists()
    ):
        return "skipped: answered or order moved on"
    cancellation_expire(order=order, now=now)
    return "closed: cancellation unanswered"


def on_protection_end(deadline: Deadline, now: dt.datetime) -> str:
    """BP-2 / ORD-7: protection ends with no open dispute → the order completes."""
    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order.extension_requests.filter(status=RequestStatus.PENDING).update(
        status=RequestStatus.EXPIRED, answered_at=now
    )
    order_transition(
        order=order,
        to=State.COMPLETED,
        actor=Actor.SYSTEM,
        now=now,
        kind="protection_ended",
        reason="Buyer protection ended",
    )
    return "completed"


def _reminder_handler(kind: str):
    def on_reminder(deadline: Deadline, now: dt.datetime) -> str:
        """NTF-1: remind the party whose deadline this is, 24 h before it passes."""
        order = _locked_order(deadline)
        if not _still(order, deadline):
            return "skipped: order moved on"
        main = Deadline.objects.filter(
            subject_type="order", subject_id=order.pk, kind=kind, status=Status.PENDING
        ).first()
        if main is None:
            return "skipped: deadline no longer pending"
        notices.reminder(order, kind, main.due_at, now=now)
        return "reminded"

    return on_reminder


HANDLERS = {
    DeadlineKind.PAYMENT_WINDOW: on_payment_window,
    DeadlineKind.SHIP_BY: on_ship_by,
    DeadlineKind.CANCELLATION_ANSWER: on_cancellation_answer,
    DeadlineKind.PROTECTION_END: on_protection_end,
}


def register_all() -> None:
    for kind, handler in HANDLERS.items():
        register(kind, handler)
        register(reminder_kind(kind), _reminder_handler(kind))
