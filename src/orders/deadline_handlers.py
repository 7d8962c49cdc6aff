"""What each order deadline does when it fires (registered in OrdersConfig.ready).

Each handler locks the order and re-checks that it is still in the state
that armed the deadline; if it moved on, the firing is skipped.

`prepare_orders` runs once per batch before the firings: it locks all of the
batch's orders in one SELECT … FOR UPDATE SKIP LOCKED (with the store, whose
owner the notices address) and loads, one query each, their lines (a closing
gives them back to stock), their refunds and payments (a closing refunds what is
left, where it was paid from) and their pending deadlines into the batch
(deadlines.batch), so a firing reads nothing again. An order another
transaction holds (a seller shipping it right now) is left, with its deadline
untouched, for a later batch: the holder may be disarming that very deadline,
and waiting for it while holding the deadline row would deadlock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection

from deadlines.batch import current as current_batch
from deadlines.models import Deadline, Status
from deadlines.registry import register
from deadlines.rows import ids_in
from deadlines.services import deadline_due_at
from orders import notices
from orders.models import Order, OrderLine, RequestStatus
from orders.states import Actor, CloseReason, DeadlineKind, State
from orders.transitions import SUBJECT, order_locked, order_transition, reminder_kind


def prepare_orders(deadlines: list[Deadline], now: dt.datetime) -> set[int]:
    """Lock the batch's orders at once; returns the ids of deadlines to leave for a later batch.

    Each locked order's batch data holds "lines" [(variant_id, quantity)] for a closing's
    restock, and "refunds" [Refund] and "payments" [succeeded Payment] for
    payments.services.refund_order_full.
    """
    from payments.models import Payment, Refund

    batch = current_batch()
    wanted = sorted({d.subject_id for d in deadlines})
    query = Order.objects.filter(pk__in=ids_in(wanted)).select_related("store").order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    locked = {order.pk: order for order in query}
    data = {pk: batch.subject_locked(SUBJECT, pk, order) for pk, order in locked.items()}
    for entry in data.values():
        entry["lines"], entry["refunds"] = [], []
    ids = list(locked)
    lines = OrderLine.objects.filter(order_id__in=ids_in(ids))
    for order_id, variant_id, quantity in lines.values_list("order_id", "variant_id", "quantity"):
        data[order_id]["lines"].append((variant_id, quantity))
    for refund in Refund.objects.filter(order_id__in=ids_in(ids)):
        data[refund.order_id]["refunds"].append(refund)
    # The succeeded payments of their checkouts, in the order's currency (what
    # payments.services.order_payments reads), in id order.
    by_checkout = defaultdict(list)
    checkouts = {order.checkout_id for order in locked.values() if order.checkout_id}
    paid = Payment.objects.filter(checkout_id__in=ids_in(checkouts), state=Payment.State.SUCCEEDED)
    for payment in paid.order_by("pk"):
        by_checkout[payment.checkout_id].append(payment)
    for pk, order in locked.items():
        data[pk]["payments"] = [p for p in by_checkout[order.checkout_id] if p.currency == order.currency]
    batch.know_pending(
        SUBJECT,
        ids,
        Deadline.objects.filter(subject_type=SUBJECT, subject_id__in=ids_in(ids), status=Status.PENDING)
        .values_list("pk", "kind", "subject_id", "due_at"),
    )
    missing = [pk for pk in wanted if pk not in locked]
    if not missing:
        return set()
    # Skipped because another transaction holds them (an order that no longer exists fires,
    # and its handler records "skipped").
    busy = set(Order.objects.filter(pk__in=missing).values_list("pk", flat=True))
    return {d.pk for d in deadlines if d.subject_id in busy}


def _locked_order(deadline: Deadline) -> Order | None:
    try:
        return order_locked(deadline.subject_id)
    except Order.DoesNotExist:
        return None


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
    """BP-2 / ORD-7: protection ends with nothing holding the order's money → the order completes.

    While a release blocker says so (an open dispute or warranty request, DSP-6; an open Free
    Return, RET-4 — ledger.services.order_release_blocked) the firing is skipped: the case's
    closing completes the order instead (`order_complete_after_case`)."""
    from ledger.services import order_release_blocked

    order = _locked_order(deadline)
    if not _still(order, deadline):
        return "skipped: order moved on"
    if order_release_blocked(order):  # BP-2: closing the last case completes the order
        return "skipped: case open"
    return _complete(order, now, reason="Buyer protection ended")


def _complete(order: Order, now: dt.datetime, *, reason: str) -> str:
    """Protection is over and nothing blocks the release: completed, escrow to the seller."""
    from ledger.services import ledger_release_order

    order.extension_requests.filter(status=RequestStatus.PENDING).update(
        status=RequestStatus.EXPIRED, answered_at=now
    )
    order_transition(
        order=order,
        to=State.COMPLETED,
        actor=Actor.SYSTEM,
        now=now,
        kind="protection_ended",
        reason=reason,
    )
    # BP-2: escrow → seller − commission (the blockers were just checked under the order's lock)
    if ledger_release_order(order=order, now=now, blockers_checked=True) is not None:
        return "completed: released"
    return "completed"


def order_complete_after_case(*, order: Order, now: dt.datetime, reason: str) -> str:
    """BP-2: a dispute, warranty request or Free Return closed; call with the order locked.

    The one path every case takes when it ends: once no release blocker holds the order any
    more, an order whose protection has ended (its protection-end firing was skipped while the
    case was open) completes and its escrow goes to the seller; an order already completed has
    what its escrow still holds released. Otherwise nothing happens.
    """
    from ledger.services import ledger_release_order, order_release_blocked

    if order.state not in (State.SHIPPED, State.COMPLETED) or order_release_blocked(order):
        return "skipped"
    if order.state == State.SHIPPED:
        if order.protection_ends_at is None or now < order.protection_ends_at:
            return "skipped: protection running"
        return _complete(order, now, reason=reason)
    if ledger_release_order(order=order, now=now, blockers_checked=True) is not None:
        return "released"
    return "completed"


def _reminder_handler(kind: str):
    def on_reminder(deadline: Deadline, now: dt.datetime) -> str:
        """NTF-1: remind the party whose deadline this is, 24 h before it passes."""
        order = _locked_order(deadline)
        if not _still(order, deadline):
            return "skipped: order moved on"
        due = deadline_due_at(subject_type=SUBJECT, subject_id=order.pk, kind=kind)
        if due is None:
            return "skipped: deadline no longer pending"
        notices.reminder(order, kind, due, now=now)
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
        register(kind, handler, prepare=prepare_orders)
        register(reminder_kind(kind), _reminder_handler(kind), prepare=prepare_orders)
