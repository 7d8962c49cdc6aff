"""Payment and refund services (minimal: the payments issue completes them)."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import Sum

from deadlines.batch import at_batch_end, enqueue
from deadlines.batch import current as current_batch
from deadlines.rows import rows_insert_unless_exist
from payments.models import Payment, Refund


def order_refundable_minor(order) -> int:
    """RFD-1: what was paid for the order minus what was already refunded."""
    refunded = order.refunds.exclude(state=Refund.State.FAILED).aggregate(s=Sum("amount_minor"))["s"] or 0
    return max(0, order.total_minor - refunded) if order.paid_at else 0


@functools.cache
def _payment_sql() -> str:
    """The checkout's first successful payment (what the ORM would write for it)."""
    meta, quote = Payment._meta, connection.ops.quote_name
    pk, checkout, state = meta.pk.column, meta.get_field("checkout").column, meta.get_field("state").column
    return (
        f"SELECT {quote(pk)} FROM {quote(meta.db_table)} WHERE {quote(checkout)} = %s "
        f"AND {quote(state)} = %s ORDER BY {quote(pk)} LIMIT 1"
    )


def refund_order_full(*, order, reason: str, event_key: str, now: dt.datetime) -> Refund | None:
    """Refund everything still refundable on `order`, once per `event_key`.

    The Refund row and its task are written in the caller's transaction: both
    commit or neither does. Nothing is refunded for an unpaid order.

    A deadline batch that locked the order loaded its refunds already (its data "refunds",
    see orders.deadline_handlers.prepare_orders); in a firing the refund is then written at
    the end of the batch, and returned before that without its pk. The payment the refund
    returns to is looked up by the database inside the INSERT.
    """
    if not order.paid_at:  # nothing was paid, so no refund was ever made for it either
        return None
    batch = current_batch()
    known = batch.data("order", order.pk) if batch is not None else None
    refunds = known["refunds"] if known is not None and "refunds" in known else list(order.refunds.all())
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
    # The payment it returns to is looked up by the database inside the INSERT.
    payment = (
        {"payment": (_payment_sql(), [order.checkout_id, Payment.State.SUCCEEDED.value])}
        if order.checkout_id
        else {}
    )
    if known is not None and "refunds" in known:
        known["refunds"].append(refund)  # keep the batch's view of the order's refunds exact
        if batch.deferring and batch.firing is not None:
            # A deadline firing: written with the batch's other refunds in one INSERT at its
            # end, then drawn from the escrow and queued (its pk is set then). The provider
            # clearing account every refund moves is so locked only for the moment of the
            # batch's commit, not from the first closing on (other workers and checkouts wait
            # on it). A refusal there fires the batch again, this closing failing alone.
            at_batch_end("payments.refunds", _refunds_write, (refund, payment, now))
            return refund
    if not rows_insert_unless_exist([refund], unique=["idempotency_key"], subqueries=[payment]):
        return Refund.objects.get(idempotency_key=event_key)  # another order's event used this key
    _refunds_draw_and_queue([(refund, now)])
    return refund


def _refunds_write(items: list[tuple[Refund, dict, dt.datetime]]) -> None:
    created = rows_insert_unless_exist(
        [refund for refund, _, _ in items], unique=["idempotency_key"], subqueries=[p for _, p, _ in items]
    )
    written = {id(refund) for refund in created}
    _refunds_draw_and_queue([(refund, now) for refund, _, now in items if id(refund) in written])


def _refunds_draw_and_queue(items: list[tuple[Refund, dt.datetime]]) -> None:
    """RFD-1: each new refund is drawn from its order's escrow (or refused, which rolls the
    whole transaction back), then its provider call is queued (outbox)."""
    from ledger.services import ledger_refund
    from payments.tasks import refund_execute

    for refund, now in items:
        ledger_refund(refund=refund, now=now)
        enqueue(refund_execute, refund.pk)


def refund_order_amount(
    *, order, amount_minor: int, reason: str, event_key: str, now: dt.datetime, destination: str = ""
) -> Refund:
    """A partial (or full) refund of `amount_minor` on a paid order, once per `event_key` (RFD-1).

    The order row is locked first; the amount may not exceed what was paid minus what was
    already refunded, and the ledger draws it from the order's escrow in the same
    transaction (refused once the payment was released). `destination` defaults to the
    original card or account (PAY-4).
    """
    from django.db import transaction

    from core.errors import Conflict, DomainError
    from orders.models import Order

    fields = {}
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        fields["amount_minor"] = ["Give a positive whole number of minor units."]
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        fields["reason"] = ["Give a reason of 1–200 characters."]
    if not event_key or len(event_key) > 100:
        fields["event_key"] = ["Give an idempotency key of 1–100 characters."]
    destination = destination or Refund.Destination.ORIGINAL
    if destination not in Refund.Destination.values:
        fields["destination"] = [f"One of: {', '.join(Refund.Destination.values)}."]
    if fields:
        raise DomainError("Some fields are invalid.", code="validation_error", fields=fields, status=422)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk if hasattr(order, "pk") else order)
        existing = Refund.objects.filter(idempotency_key=event_key).first()
        if existing is not None:
            if existing.order_id != locked.pk or existing.amount_minor != amount_minor:
                raise Conflict("This refund key was already used for another refund.", code="key_reused")
            return existing
        refundable = order_refundable_minor(locked)
        if amount_minor > refundable:
            message = f"At most {refundable} minor units of this order can still be refunded."
            raise DomainError(
                message, code="refund_too_large", fields={"amount_minor": [message]}, status=409
            )
        refund = Refund.objects.create(
            order=locked,
            payment=Payment.objects.filter(checkout_id=locked.checkout_id, state=Payment.State.SUCCEEDED)
            .order_by("pk")
            .first()
            if locked.checkout_id
            else None,
            amount_minor=amount_minor,
            currency=locked.currency,
            destination=destination,
            reason=reason,
            idempotency_key=event_key,
            created_at=now,
        )
        from ledger.services import ledger_refund
        from payments.tasks import refund_execute

        ledger_refund(refund=refund, now=now)
        enqueue(refund_execute, refund.pk)
        return refund
