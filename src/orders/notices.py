"""Who is told what about an order (NTF-1). Each notice is keyed by the event that caused it."""

from __future__ import annotations

import datetime as dt

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

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


def _text(template: str, **values) -> str:
    """A notice text, translated later into the recipient's language (notifications.services)."""
    return format_lazy(template, **values)


def order_paid(order: Order, *, now: dt.datetime, languages: dict[int, str] | None = None) -> None:
    """`languages`: the buyer's and seller's chosen languages when the caller read them already
    (notifications.services.notify_many)."""
    when = _when(order.ship_by)
    notify_many(  # buyer and seller in one statement
        [
            _for_buyer(
                order,
                "order_paid",
                "paid",
                _text(gettext_lazy("Payment received for order {number}"), number=order.number),
                _text(gettext_lazy("We hold your payment of {total} until buyer protection ends. "
                                   "{store} ships by {when}."),
                      total=order.total, store=order.store.name, when=when),
            ),
            _for_seller(
                order,
                "order_paid",
                "paid",
                _text(gettext_lazy("New order {number}: ship by {when}"), number=order.number, when=when),
                _text(gettext_lazy("Order {number} is paid. Ship it with a tracking number by {when}, "
                                   "or it closes by itself and the buyer is refunded."),
                      number=order.number, when=when),
            ),
        ],
        now=now,
        languages=languages,
    )


def order_closed(order: Order, *, refund, now: dt.datetime) -> None:
    reason = order.get_close_reason_display()
    subject = _text(gettext_lazy("Order {number} was closed"), number=order.number)
    if refund:
        buyer_body = _text(gettext_lazy("Reason: {reason}. A refund of {amount} is on its way."),
                           reason=reason, amount=Money(refund.amount_minor, refund.currency))
    else:
        buyer_body = _text(gettext_lazy("Reason: {reason}."), reason=reason)
    notify_many(  # both parties in one statement
        [
            _for_buyer(order, "order_closed", "closed", subject, buyer_body),
            _for_seller(order, "order_closed", "closed", subject,
                        _text(gettext_lazy("Reason: {reason}."), reason=reason)),
        ],
        now=now,
    )


def cancellation_requested(order: Order, request, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "cancellation_requested",
        f"cancel_req:{request.pk}",
        _text(gettext_lazy("The buyer asks to cancel order {number}"), number=order.number),
        _text(gettext_lazy("Reason given: {reason}\nAnswer by {when}; without an answer the order "
                           "is cancelled and the buyer refunded."),
              reason=request.reason, when=_when(request.answer_due_at)),
        now,
    )


def cancellation_refused(order: Order, request, *, now: dt.datetime) -> None:
    _to_buyer(
        order,
        "cancellation_refused",
        f"cancel_refused:{request.pk}",
        _text(gettext_lazy("The seller refused to cancel order {number}"), number=order.number),
        _text(gettext_lazy("{note} You can message the seller; the order goes on."),
              note=request.seller_note or gettext_lazy("No note was given.")),
        now,
    )


def order_shipped(order: Order, *, now: dt.datetime) -> None:
    _to_buyer(
        order,
        "order_shipped",
        "shipped",
        _text(gettext_lazy("The seller has shipped your order {number}"), number=order.number),
        _text(gettext_lazy("Carrier: {carrier}, tracking number {tracking_number}. "
                           "Promised delivery by {when}."),
              carrier=order.carrier, tracking_number=order.tracking_number,
              when=_when(order.promised_delivery_at)),
        now,
    )


def receipt_confirmed(order: Order, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "receipt_confirmed",
        "received",
        _text(gettext_lazy("Order {number} was received"), number=order.number),
        _text(gettext_lazy("The buyer confirmed receipt. Buyer protection ends {when}."),
              when=_when(order.protection_ends_at)),
        now,
    )


def extension_requested(order: Order, request, *, now: dt.datetime) -> None:
    _to_seller(
        order,
        "extension_requested",
        f"ext_req:{request.pk}",
        _text(gettext_lazy("The buyer asks for {days} more days of protection on order {number}"),
              days=request.days, number=order.number),
        _text(gettext_lazy("{reason} Accept to move the promised delivery time and protection end, "
                           "or refuse."),
              reason=request.reason or gettext_lazy("The parcel has not arrived yet.")),
        now,
    )


def extension_answered(order: Order, request, *, now: dt.datetime) -> None:
    if request.status == "accepted":
        subject = gettext_lazy("The seller accepted your extension request on order {number}")
    else:
        subject = gettext_lazy("The seller refused your extension request on order {number}")
    _to_buyer(
        order,
        "extension_answered",
        f"ext_answer:{request.pk}",
        _text(subject, number=order.number),
        _text(gettext_lazy("Buyer protection now ends {when}."), when=_when(order.protection_ends_at)),
        now,
    )


REMINDERS = {
    "payment_window": (
        "buyer",
        gettext_lazy("Pay order {n} within 24 hours"),
        gettext_lazy("Order {n} closes by itself at {due} if it is not paid."),
    ),
    "ship_by": (
        "seller",
        gettext_lazy("Ship order {n} within 24 hours"),
        gettext_lazy("Order {n} closes with a full refund to the buyer at {due} unless you ship it."),
    ),
    "cancellation_answer": (
        "seller",
        gettext_lazy("Answer the cancellation request on order {n}"),
        gettext_lazy("Without an answer by {due}, order {n} is cancelled and refunded."),
    ),
    "protection_end": (
        "buyer",
        gettext_lazy("Buyer protection on order {n} ends in 24 hours"),
        gettext_lazy("If something is wrong with order {n}, open a dispute before {due}."),
    ),
}


def reminder(order: Order, kind: str, due: dt.datetime, *, now: dt.datetime) -> None:
    party, subject, body = REMINDERS[kind]
    text = _text(body, n=order.number, due=_when(due))
    send = _to_buyer if party == "buyer" else _to_seller
    send(order, "reminder", f"remind:{kind}:{due.isoformat()}", _text(subject, n=order.number), text, now)
