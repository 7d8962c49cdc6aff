"""The order state machine (ORD-2), declared once.

`MOVES` lists every allowed move: (from, to) → who may make it. The
transition function in orders.transitions is the only code that changes
Order.state; it consults this table, records an OrderEvent and re-arms the
deadlines that `ARMS` names for the new state.
"""

from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    PAYMENT_PROCESSING = "payment_processing", "Payment processing"
    PAYMENT_VERIFYING = "payment_verifying", "Payment being verified"
    AWAITING_SHIPMENT = "awaiting_shipment", "Awaiting shipment"
    SHIPPED = "shipped", "The seller has shipped your order"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"


class Actor(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class CloseReason(models.TextChoices):
    BUYER_CANCELLED_UNPAID = "buyer_cancelled_unpaid", "Cancelled by the buyer before payment"
    PAYMENT_TIMEOUT = "payment_timeout", "Not paid in time"
    SELLER_SHIP_TIMEOUT = "seller_ship_timeout", "Seller ship timeout"
    CANCELLED_BY_SELLER_AGREEMENT = "cancelled_by_agreement", "Cancelled: the seller agreed"
    CANCELLATION_UNANSWERED = "cancellation_unanswered", "Cancelled: the seller did not answer in time"
    SECURITY_COUPON_REUSE = "security_coupon_reuse", "Security review: coupon already used by this buyer"
    SECURITY_INCOMPLETE_NAME = (
        "security_incomplete_name",
        "Security review: incomplete name in the shipping address",
    )
    PAYMENT_REJECTED = "payment_rejected", "Payment verification rejected"


class DeadlineKind(models.TextChoices):
    PAYMENT_WINDOW = "payment_window", "Pay by"
    SHIP_BY = "ship_by", "Ship by"
    CANCELLATION_ANSWER = "cancellation_answer", "Answer the cancellation request by"
    PROTECTION_END = "protection_end", "Buyer protection ends"


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
