"""Who is told what about an order (NTF-1). Each notice is keyed by the event that caused it."""

from __future__ import annotations

import datetime as dt

from core.money import Money
from notifications.services import notify_many
from orders.models import Order


def buyer_url(order: Order) -> str:
    return f"/orders/{order.number}/"


def seller_url(order: Order) -> str:
    return f"/seller/orders/{order.number}/"


def _when(instant: dt.datetime | None) -> str:
    return f"{instant:%Y-%m-%d %H:%M} UTC" if instant else "—"


def _for_buyer(order: Order, kind: str, key: str, subject: str, body: str) -> dict:
    return {
        "user_id": order.buyer_id,
        "kind": kind,
        "event_key": f"order:{order.pk}:{key}",
        "subject": subject,
        "body": body,
        "url": buyer_url(order),
    }


def _for_seller(order: Order, kind: str, key: str, subject: str, body: str) -> dict:
    return {
        "user_id": order.store.owner_id,
        "kind": kind,
        "event_key": f"order:{order.pk}:{key}",
        "subject": subject,
        "body": body,
        "url": seller_url(order),
    }


def _to_buyer(order: Order, kind: str, key: str, subject: str, body: str, now: dt.datetime) -> None:
    notify_many([_for_buyer(order, kind, key, subject, body)], now=now)


def _to_seller(order: Order, kind: str, key: str, subject: str, body: str, now: dt.datetime) -> None:
    notify_many([_for_seller(order, kind, key, subject, body)], now=now)


def order_paid(order: Order, *, now: dt.datetime) -> None:
    _to_buyer(
        order,
        "order_paid",
        "paid",
        f"Payment received for order {order.number}",
        f"We hold your payment of {order.total} until buyer protection ends. "
        f"{order.store.name} ships by {_when(order.ship_by)}.",
        now,
    )
    _to_seller(
        order,
        "order_paid",
        "paid",
        f"New order {order.number}: ship by {_when(order.ship_by)}",
        f"Order {order.number} is paid. Ship it with a tracking number by {_when(order.ship_by)}, "
        "or it closes by itself and the buyer is refunded.",
        now,
    )


def order_closed(order: Order, *, refund, now: dt.datetime) -> None:
    reason = order.get_close_reason_display()
    refund_text = (
        f" A refund of {Money(refund.amount_minor, refund.currency)} is on its way." if refund else ""
    )
    subject = f"Order {order.number} was closed"
    notify_many(  # both parties in one statement
        [
            _for_buyer(order, "order_closed", "closed", subject, f"Reason: {reason}.{refund_text}"),
            _for_seller(order, "order_closed", "closed", subject, f"Reason: {reason}."),
        ],
        now=now,
    )


def cancellation_requested(order: Order, request, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "cancellation_requested",
        f"cancel_req:{request.pk}",
        f"The buyer asks to cancel order {order.number}",
        f"Reason given: {request.reason}\nAnswer by {_when(request.answer_due_at)}; without an "
        "answer the order is cancelled and the buyer refunded.",
        now,
    )


def cancellation_refused(order: Order, request, *, now: dt.datetime) -> None:
    _to_buyer(
        order,
        "cancellation_refused",
        f"cancel_refused:{request.pk}",
        f"The seller refused to cancel order {order.number}",
        f"{request.seller_note or 'No note was given.'} You can message the seller; the order goes on.",
        now,
    )


def order_shipped(order: Order, *, now: dt.datetime) -> None:
    _to_buyer(
        order,
        "order_shipped",
        "shipped",
        f"The seller has shipped your order {order.number}",
        f"Carrier: {order.carrier}, tracking number {order.tracking_number}. Promised delivery by "
        f"{_when(order.promised_delivery_at)}.",
        now,
    )


def receipt_confirmed(order: Order, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "receipt_confirmed",
        "received",
        f"Order {order.number} was received",
        f"The buyer confirmed receipt. Buyer protection ends {_when(order.protection_ends_at)}.",
        now,
    )


def extension_requested(order: Order, request, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "extension_requested",
        f"ext_req:{request.pk}",
        f"The buyer asks for {request.days} more days of protection on order {order.number}",
        f"{request.reason or 'The parcel has not arrived yet.'} Accept to move the promised delivery "
        "time and protection end, or refuse.",
        now,
    )


def extension_answered(order: Order, request, *, now: dt.datetime) -> None:
    verb = "accepted" if request.status == "accepted" else "refused"
    _to_buyer(
        order,
        "extension_answered",
        f"ext_answer:{request.pk}",
        f"The seller {verb} your extension request on order {order.number}",
        f"Buyer protection now ends {_when(order.protection_ends_at)}.",
        now,
    )


REMINDERS = {
    "payment_window": (
        "buyer",
        "Pay order {n} within 24 hours",
        "Order {n} closes by itself at {due} if it is not paid.",
    ),
    "ship_by": (
        "seller",
        "Ship order {n} within 24 hours",
        "Order {n} closes with a full refund to the buyer at {due} unless you ship it.",
    ),
    "cancellation_answer": (
        "seller",
        "Answer the cancellation request on order {n}",
        "Without an answer by {due}, order {n} is cancelled and refunded.",
    ),
    "protection_end": (
        "buyer",
        "Buyer protection on order {n} ends in 24 hours",
        "If something is wrong with order {n}, open a dispute before {due}.",
    ),
}


def reminder(order: Order, kind: str, due: dt.datetime, *, now: dt.datetime) -> None:
    party, subject, body = REMINDERS[kind]
    n, text = order.number, body.format(n=order.number, due=_when(due))
    send = _to_buyer if party == "buyer" else _to_seller
    send(order, "reminder", f"remind:{kind}:{due.isoformat()}", subject.format(n=n), text, now)
