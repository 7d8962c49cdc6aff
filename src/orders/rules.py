"""Who may do what to an order, and when — with the reason when not (HLP-4).

Each `check_*` returns a Decision. The services call the same functions and
raise when a decision says no, and the pages and the API show the decision's
reason and `available_from`, so the explanation can never disagree with the
enforcement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.policy import policy
from orders.models import Order, RequestStatus
from orders.states import State


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = "ok"
    reason: str = ""
    available_from: dt.datetime | None = None
    rule: str = ""

    def __bool__(self) -> bool:
        return self.allowed


OK = Decision(True)


def _no(code: str, reason: str, rule: str, available_from: dt.datetime | None = None) -> Decision:
    return Decision(False, code, reason, available_from, rule)


def _pending(order: Order, related: str) -> bool:
    return getattr(order, related).filter(status=RequestStatus.PENDING).exists()


def check_cancel_unpaid(order: Order, now: dt.datetime) -> Decision:
    """ORD-3: the buyer cancels an unpaid order directly."""
    if order.state == State.AWAITING_PAYMENT:
        return OK
    if order.state in (State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING):
        return _no(
            "payment_in_progress",
            _("The payment is being processed or verified; you can cancel once its status updates."),
            "ORD-5",
        )
    return _no(
        "already_paid_or_closed", _(
            "Only an order that has not been paid can be cancelled directly."), "ORD-3"
    )


def check_request_cancellation(order: Order, now: dt.datetime) -> Decision:
    """ORD-5: a paid, unshipped order: the buyer asks, the seller answers."""
    if order.state in (State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING):
        return _no(
            "payment_in_progress",
            _("An order cannot be cancelled while its payment is being processed or verified. "
            "Try again once the status updates."),
            "ORD-5",
        )
    if order.state == State.AWAITING_PAYMENT:
        return _no("not_paid", _("This order is not paid yet: cancel it directly instead."), "ORD-3")
    if order.state == State.SHIPPED:
        return _no(
            "already_shipped",
            _("The seller has already shipped this order. If it does not arrive or has a "
            "problem, open a dispute instead."),
            "ORD-5",
        )
    if order.state != State.AWAITING_SHIPMENT:
        return _no("order_finished", _("This order is already closed or completed."), "ORD-5")
    if _pending(order, "cancellation_requests"):
        return _no(
            "request_pending",
            _("You have already asked to cancel this order; the seller has until the deadline shown to "
                "answer."),
            "ORD-5",
        )
    return OK


def check_answer_cancellation(order: Order, now: dt.datetime) -> Decision:
    pending = None
    if order.state == State.AWAITING_SHIPMENT:
        pending = order.cancellation_requests.filter(status=RequestStatus.PENDING).first()
    if pending is None:
        return _no("no_pending_request", _(
            "There is no cancellation request waiting for an answer."), "ORD-5")
    if now >= pending.answer_due_at:
        return _no(
            "answer_window_passed",
            _("The time to answer has ended: the cancellation goes through by itself and the buyer "
            "is refunded."),
            "ORD-5",
        )
    return OK


def check_ship(order: Order, now: dt.datetime) -> Decision:
    """ORD-6: the seller ships a paid order."""
    if order.state == State.AWAITING_SHIPMENT:
        if _pending(order, "cancellation_requests"):
            return _no(
                "cancellation_pending",
                _("The buyer has asked to cancel this order: accept or refuse the request before shipping."),
                "ORD-5",
            )
        if order.ship_by and now >= order.ship_by:
            return _no(
                "ship_by_passed",
                _("The ship-by deadline has passed: the order closes by itself and the buyer is refunded."),
                "ORD-4",
            )
        return OK
    if order.state in (State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING):
        return _no("not_paid", _("This order is not paid yet; do not ship it."), "ORD-6")
    if order.state == State.SHIPPED:
        return _no("already_shipped", _("This order is already marked as shipped."), "ORD-6")
    return _no("order_finished", _("This order is closed or completed and cannot be shipped."), "ORD-6")


def check_confirm_receipt(order: Order, now: dt.datetime) -> Decision:
    """ORD-7: the buyer confirms receipt of a shipped order."""
    if order.state == State.SHIPPED and order.received_at is None:
        return OK
    if order.state == State.SHIPPED:
        return _no("already_confirmed", _("You have already confirmed receipt."), "ORD-7")
    if order.state in (State.COMPLETED, State.CLOSED):
        return _no("order_finished", _("This order is already closed or completed."), "ORD-7")
    return _no("not_shipped", _("You can confirm receipt once the seller has shipped the order."), "ORD-7")


def check_request_extension(order: Order, now: dt.datetime) -> Decision:
    """BP-4: on a shipped order that is late (its promised delivery time has passed)."""
    if order.state != State.SHIPPED:
        return _no(
            "not_shipped",
            _("Protection can be extended only on a shipped order that has not completed."),
            "BP-4",
        )
    if order.received_at is not None:
        return _no("received", _("You confirmed receipt, so there is nothing to extend."), "BP-4")
    if order.promised_delivery_at and now < order.promised_delivery_at:
        return _no(
            "not_late_yet",
            _("The order is still within its promised delivery time; you can ask "
            "for more protection time if it has not arrived by then."),
            "BP-4",
            available_from=order.promised_delivery_at,
        )
    if _pending(order, "extension_requests"):
        return _no(
            "request_pending",
            _("You have already asked for an extension; the seller has not answered yet."),
            "BP-4",
        )
    return OK


def check_answer_extension(order: Order, now: dt.datetime) -> Decision:
    if order.state != State.SHIPPED or not _pending(order, "extension_requests"):
        return _no("no_pending_request", _("There is no extension request waiting for an answer."), "BP-4")
    if order.protection_ends_at and now >= order.protection_ends_at:
        return _no(
            "protection_ended",
            _("Buyer protection has ended, so the request lapses: the order completes as it is."),
            "BP-4",
        )
    return OK


def check_extension_days(days: int) -> Decision:
    low, high = policy.extension_min_days, policy.extension_max_days
    if not low <= days <= high:
        return _no("invalid_days", _(
            "Choose from %(low)s to %(high)s days.") % {"low": low, "high": high}, "BP-4")
    return OK


def check_add_tracking(order: Order, now: dt.datetime) -> Decision:
    """ORD-6: tracking events (carrier webhook or the seller's form) belong to a shipped order."""
    if order.state in (State.SHIPPED, State.COMPLETED):
        return OK
    if order.state == State.CLOSED:
        return _no("order_finished", _("This order is closed; it has no parcel to track."), "ORD-6")
    return _no("not_shipped", _("Tracking can be added once the order is marked as shipped."), "ORD-6")


# --- the actions each side sees, one table for the pages and the API ---------------------------------


@dataclass(frozen=True)
class ActionSpec:
    """One action on an order: its name in the API, its button label, the check that both
    enforces and explains it, and the rule it comes from (HLP-4)."""

    name: str
    label: object  # a lazy translation: the label is rendered in the reader's language
    check: object  # (order, now) -> Decision
    rule: str


BUYER_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("cancel", gettext_lazy("Cancel the order"), check_cancel_unpaid, "ORD-3"),
    ActionSpec(
        "request_cancellation", gettext_lazy("Request cancellation"), check_request_cancellation, "ORD-5"
    ),
    ActionSpec("confirm_receipt", gettext_lazy("Confirm receipt"), check_confirm_receipt, "ORD-7"),
    ActionSpec(
        "request_extension", gettext_lazy("Ask for more protection time"), check_request_extension, "BP-4"
    ),
)
SELLER_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("ship", gettext_lazy("Ship the order"), check_ship, "ORD-6"),
    ActionSpec(
        "answer_cancellation",
        gettext_lazy("Answer the cancellation request"),
        check_answer_cancellation,
        "ORD-5",
    ),
    ActionSpec(
        "answer_extension", gettext_lazy("Answer the extension request"), check_answer_extension, "BP-4"
    ),
    ActionSpec("add_tracking", gettext_lazy("Add a tracking event"), check_add_tracking, "ORD-6"),
)
