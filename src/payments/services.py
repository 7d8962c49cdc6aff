"""Payment and refund services (minimal: the payments issue completes them)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from deadlines.batch import enqueue, insert_unless_exists
from payments.models import Payment, Refund


def order_refundable_minor(order) -> int:
    """RFD-1: what was paid for the order minus what was already refunded."""
    refunded = order.refunds.exclude(state=Refund.State.FAILED).aggregate(s=Sum("amount_minor"))["s"] or 0
    return max(0, order.total_minor - refunded) if order.paid_at else 0


def refund_order_full(*, order, reason: str, event_key: str, now: dt.datetime) -> Refund | None:
    """Refund everything still refundable on `order`, once per `event_key`.

    The Refund row and its task are written in the caller's transaction: both
    commit or neither does. Nothing is refunded for an unpaid order.

    A deadline batch prefetches the orders' refunds (order.refunds.all() then costs no
    query), and the payment the refund returns to is looked up inside the INSERT.
    """
    if not order.paid_at:  # nothing was paid, so no refund was ever made for it either
        return None
    refunds = list(order.refunds.all())
    for refund in refunds:
        if refund.idempotency_key == event_key:
            return refund
    refunded = sum(r.amount_minor for r in refunds if r.state != Refund.State.FAILED)
    amount = max(0, order.total_minor - refunded)
    if amount <= 0:
        return Refund.objects.filter(idempotency_key=event_key).first()
    refund = Refund(
        order=order,
        amount_minor=amount,
        currency=order.currency,
        destination=Refund.Destination.ORIGINAL,
        reason=reason,
        idempotency_key=event_key,
        created_at=now,
    )
    payment = (
        Payment.objects.filter(checkout_id=order.checkout_id, state=Payment.State.SUCCEEDED)
        .order_by("pk")
        .values("pk")[:1]
    )
    if (
        insert_unless_exists(
            refund, unique=["idempotency_key"], subqueries={"payment": payment} if order.checkout_id else {}
        )
        is None
    ):
        return Refund.objects.get(idempotency_key=event_key)  # another order's event used this key
    # The order's prefetched refunds no longer tell the whole story.
    getattr(order, "_prefetched_objects_cache", {}).pop("refunds", None)
    from payments.tasks import refund_execute

    enqueue(refund_execute, refund.pk)
    return refund
