"""The order state machine (ORD-2), declared once.

`MOVES` lists every allowed move: (from, to) → who may make it. The
transition function in orders.transitions is the only code that changes
Order.state; it consults this table, records an OrderEvent and re-arms the
deadlines that `ARMS` names for the new state.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class State(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", gettext_lazy("Awaiting payment")
    PAYMENT_PROCESSING = "payment_processing", gettext_lazy("Payment processing")
    PAYMENT_VERIFYING = "payment_verifying", gettext_lazy("Payment being verified")
    AWAITING_SHIPMENT = "awaiting_shipment", gettext_lazy("Awaiting shipment")
    SHIPPED = "shipped", gettext_lazy("The seller has shipped your order")
    COMPLETED = "completed", gettext_lazy("Completed")
    CLOSED = "closed", gettext_lazy("Closed")


class Actor(models.TextChoices):
    BUYER = "buyer", gettext_lazy("Buyer")
    SELLER = "seller", gettext_lazy("Seller")
    STAFF = "staff", gettext_lazy("Staff")
    SYSTEM = "system", gettext_lazy("System")


class CloseReason(models.TextChoices):
    BUYER_CANCELLED_UNPAID = "buyer_cancelled_unpaid", gettext_lazy("Cancelled by the buyer before payment")
    PAYMENT_TIMEOUT = "payment_timeout", gettext_lazy("Not paid in time")
    SELLER_SHIP_TIMEOUT = "seller_ship_timeout", gettext_lazy("Seller ship timeout")
    CANCELLED_BY_SELLER_AGREEMENT = "cancelled_by_agreement", gettext_lazy("Cancelled: the seller agreed")
    CANCELLATION_UNANSWERED = "cancellation_unanswered", gettext_lazy(
        "Cancelled: the seller did not answer in time")
    SECURITY_COUPON_REUSE = "security_coupon_reuse", gettext_lazy(
        "Security review: coupon already used by this buyer")
    SECURITY_INCOMPLETE_NAME = (
        "security_incomplete_name",
        gettext_lazy("Security review: incomplete name in the shipping address"),
    )
    PAYMENT_REJECTED = "payment_rejected", gettext_lazy("Payment verification rejected")


class DeadlineKind(models.TextChoices):
    PAYMENT_WINDOW = "payment_window", gettext_lazy("Pay by")
    SHIP_BY = "ship_by", gettext_lazy("Ship by")
    CANCELLATION_ANSWER = "cancellation_answer", gettext_lazy("Answer the cancellation request by")
    PROTECTION_END = "protection_end", gettext_lazy("Buyer protection ends")


S = State
A = Actor

# (from, to) → the actors allowed to make the move.
MOVES: dict[tuple[State, State], frozenset[Actor]] = {
    (S.AWAITING_PAYMENT, S.PAYMENT_PROCESSING): frozenset({A.BUYER, A.SYSTEM}),
    (S.AWAITING_PAYMENT, S.AWAITING_SHIPMENT): frozenset({A.SYSTEM}),
    (S.AWAITING_PAYMENT, S.PAYMENT_VERIFYING): frozenset({A.SYSTEM}),
    (S.AWAITING_PAYMENT, S.CLOSED): frozenset({A.BUYER, A.SYSTEM}),
    (S.PAYMENT_PROCESSING, S.AWAITING_SHIPMENT): frozenset({A.SYSTEM}),
    (S.PAYMENT_PROCESSING, S.AWAITING_PAYMENT): frozenset({A.SYSTEM}),
    (S.PAYMENT_PROCESSING, S.PAYMENT_VERIFYING): frozenset({A.SYSTEM}),
    (S.PAYMENT_PROCESSING, S.CLOSED): frozenset({A.SYSTEM}),
    (S.PAYMENT_VERIFYING, S.AWAITING_SHIPMENT): frozenset({A.STAFF, A.SYSTEM}),
    (S.PAYMENT_VERIFYING, S.CLOSED): frozenset({A.STAFF, A.SYSTEM}),
    (S.AWAITING_SHIPMENT, S.SHIPPED): frozenset({A.SELLER}),
    (S.AWAITING_SHIPMENT, S.CLOSED): frozenset({A.SELLER, A.SYSTEM, A.STAFF}),
    (S.SHIPPED, S.COMPLETED): frozenset({A.SYSTEM}),
}

# The deadline each state arms on entry. Leaving the state disarms it.
ARMS: dict[State, DeadlineKind] = {
    S.AWAITING_PAYMENT: DeadlineKind.PAYMENT_WINDOW,
    S.AWAITING_SHIPMENT: DeadlineKind.SHIP_BY,
    S.SHIPPED: DeadlineKind.PROTECTION_END,
}

TERMINAL = frozenset({S.COMPLETED, S.CLOSED})


def allowed(from_state: str, to_state: str, actor: str) -> bool:
    return actor in MOVES.get((State(from_state), State(to_state)), frozenset())
