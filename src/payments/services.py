"""Payment and refund services (minimal: the payments issue completes them)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from payments.models import Payment, Refund


def order_refundable_minor(order) -> int:
    """RFD-1: what was paid for the order minus what was already refunded."""
    refunded = order.refunds.exclude(state=Refund.State.FAILED).aggregate(s=Sum("amount_minor"))["s"] or 0
    return max(0, order.total_minor - refunded) if order.paid_at else 0


def refund_order_full(*, order, reason: str, event_key: str, now: dt.datetime) -> Refund | None:
    """Refund everything still refundable on `order`, once per `event_key`.

    The Refund row and its task are written in the caller's transaction: both
    commit or neither does. Nothing is refunded for an unpaid order.
    """
    existing = Refund.objects.filter(idempotency_key=event_key).first()
    if existing:
        return existing
    amount = order_refundable_minor(order)
    if amount <= 0:
        return None
    payment = (
        Payment.objects.filter(checkout_id=order.checkout_id, state=Payment.State.SUCCEEDED).first()
        if order.checkout_id
        else None
    )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount_minor=amount,
        currency=order.currency,
        destination=Refund.Destination.ORIGINAL,
        reason=reason,
        idempotency_key=event_key,
        created_at=now,
    )
    from payments.tasks import refund_execute

    refund_execute.enqueue(refund.pk)
    return refund
