"""What each order deadline does when it fires (registered in OrdersConfig.ready).

Each handler locks the order and re-checks that it is still in the state
that armed the deadline; if it moved on, the firing is skipped.
"""

from __future__ import annotations

import datetime as dt

from deadlines.models import Deadline
from deadlines.registry import register
from orders.models import Order
from orders.states import Actor, CloseReason, DeadlineKind, State
from orders.transitions import order_transition


def _locked_order(deadline: Deadline) -> Order | None:
    return Order.objects.select_for_update().filter(pk=deadline.subject_id).first()


def _still(order: Order | None, deadline: Deadline) -> bool:
    return order is not None and order.state == deadline.armed_state


def on_payment_window(deadline: Deadline, now: dt.datetime) -> str:
    """ORD-3: an unpaid order closes by itself when the payment window ends."""
    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order_transition(order=order, to=State.CLOSED, actor=Actor.SYSTEM, now=now,
                     close_reason=CloseReason.PAYMENT_TIMEOUT, kind="payment_timeout")
    return "closed: payment timeout"


def on_ship_by(deadline: Deadline, now: dt.datetime) -> str:
    """ORD-4: an order not shipped by the ship-by deadline closes with a full refund."""
    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order_transition(order=order, to=State.CLOSED, actor=Actor.SYSTEM, now=now,
                     close_reason=CloseReason.SELLER_SHIP_TIMEOUT, kind="seller_ship_timeout",
                     data={"refund": "full"})
    return "closed: seller ship timeout"


def on_protection_end(deadline: Deadline, now: dt.datetime) -> str:
    """BP-2 / ORD-7: protection ends with no open dispute → the order completes."""
    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    order_transition(order=order, to=State.COMPLETED, actor=Actor.SYSTEM, now=now,
                     kind="protection_ended")
    return "completed"


def register_all() -> None:
    register(DeadlineKind.PAYMENT_WINDOW, on_payment_window)
    register(DeadlineKind.SHIP_BY, on_ship_by)
    register(DeadlineKind.PROTECTION_END, on_protection_end)
