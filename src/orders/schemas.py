"""The shapes of the orders API (orders.api) and the functions that fill them.

Money is always {"amount": <integer minor units>, "currency": "<ISO 4217>"}.
Instants are UTC ("…Z"). `deadlines` lists the countdowns that are running,
each with the rule that sets it and the party who must act; `actions` says,
for each thing the viewer might do, whether they may and — when not — why and
from when, straight from orders.rules (HLP-4): the same functions the services
enforce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AwareDatetime, StrictBool, StrictInt

from core.schemas import MoneyOut
from deadlines.models import Deadline
from orders import rules
from orders.carriers import tracking_links
from orders.models import Checkout, Order, TrackingEvent
from orders.rules import Decision
from orders.selectors import COUNTDOWN_KINDS, refund_arrival
from orders.states import Actor, CloseReason, DeadlineKind, State

# --- input --------------------------------------------------------------------------------


class CheckoutIn(Schema):
    address_id: StrictInt = Field(ge=1, le=2**63 - 1, description="One of your saved addresses.")
    idempotency_key: str = Field(
        description="Any string of 1–64 characters; sending the same key again returns the "
        "same checkout instead of a second set of orders (ORD-1)."
    )
    promotion_ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] | None = Field(
        None, max_length=20,
        description="CPN-5: the discounts you chose (GET /coupons/checkout-preview lists them); "
        "null applies the best allowed combination.",
    )
    codes: list[Annotated[str, Field(max_length=40)]] = Field(
        [], max_length=5, description="Promo codes typed at checkout (case and spaces do not matter)."
    )
    use_refund_coupons: bool = Field(False, description="PAY-4: spend your cash-on-delivery refund coupons.")


class PayIn(Schema):
    token: str = Field(
        "", max_length=200, description="The provider's card token (needed for `method` \"card\")."
    )
    idempotency_key: str = Field(
        min_length=1, max_length=64, description="Repeating a key charges once (PAY-5)."
    )
    save_card: bool = Field(False, description='PAY-1 "Save this card": keep the card for later.')
    method: str = Field(
        "card", max_length=30,
        description="PAY-4: card, paypal, ideal, giropay, payu, przelewy24, sofort, bancontact, "
        "mercadopago, oney, cash, bank_transfer, boleto, western_union or cod — only those offered "
        "for the delivery country and currency (see payments.methods).",
    )
    use_balance: bool = Field(
        False, description="Spend your platform balance first; the method pays the rest, if any."
    )


class CancellationRequestIn(Schema):
    reason: str = Field(description="Why you want to cancel (1–300 characters).")


class ExtensionRequestIn(Schema):
    days: StrictInt = Field(description="More days of protection to ask for (BP-4).")
    reason: str = Field("", max_length=300)


class ShipIn(Schema):
    carrier: str
    tracking_number: str


class CancellationAnswerIn(Schema):
    accept: StrictBool
    note: str = Field("", max_length=300)


class ExtensionAnswerIn(Schema):
    accept: StrictBool


# Literal rather than the model's enum: the OpenAPI schema lists the values inline instead
# of a shared component named "Status" that other apps' enums would overwrite.
TrackingStatus = Literal[tuple(TrackingEvent.Status.values)]
OrderState = Literal[tuple(State.values)]


class TrackingEventIn(Schema):
    status: TrackingStatus
    occurred_at: AwareDatetime = Field(description="When the carrier scanned the parcel, with a UTC "
                                       "offset, e.g. 2026-11-12T08:30:00Z.")
    location: str = Field("", max_length=120)
    description: str = Field("", max_length=300)


# --- output -------------------------------------------------------------------------------






class OrderStoreRef(Schema):
    id: int
    name: str
    slug: str


class DeadlineOut(Schema):
    kind: str
    label: str
    due_at: dt.datetime = Field(description="The instant the countdown ends, UTC.")
    rule: str
    party: str = Field(description='Who must act before it passes: "buyer" or "seller".')


class ActionOut(Schema):
    allowed: bool
    code: str
    reason: str
    available_from: dt.datetime | None = Field(description="When a refused action becomes possible.")
    rule: str


class BuyerActionsOut(Schema):
    cancel: ActionOut
    request_cancellation: ActionOut
    confirm_receipt: ActionOut
    request_extension: ActionOut


class SellerActionsOut(Schema):
    ship: ActionOut
    answer_cancellation: ActionOut
    answer_extension: ActionOut
    add_tracking: ActionOut


class OrderLineOut(Schema):
    id: int
    product_id: int | None
    variant_id: int | None
    product_title: str
    variant_label: str
    unit_price: MoneyOut
    quantity: int
    total: MoneyOut
    processing_days: int


class OrderTotalsOut(Schema):
    items: MoneyOut
    shipping: MoneyOut
    discount: MoneyOut = Field(description="Coupons and discounts taken off (CPN-5).")
    total: MoneyOut


class OrderAddressOut(Schema):
    first_name: str
    last_name: str
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str


class OrderTrackingLinkOut(Schema):
    name: str
    url: str


class OrderShippingOut(Schema):
    method: str
    carrier: str
    tracking_number: str
    delivery_max_days: int
    extension_days: int
    tracking_links: list[OrderTrackingLinkOut]


class RefundOut(Schema):
    id: int
    amount: MoneyOut
    destination: str
    destination_label: str
    state: str
    state_label: str
    reason: str
    arn: str
    created_at: dt.datetime
    processed_at: dt.datetime | None
    arrives_from: dt.datetime = Field(description="RFD-2: earliest arrival, UTC.")
    arrives_by: dt.datetime = Field(description="RFD-2 / ORD-9: latest arrival, UTC.")


class TrackingEventOut(Schema):
    id: int
    status: str
    status_label: str
    occurred_at: dt.datetime
    location: str
    description: str
    source: str


class CancellationRequestOut(Schema):
    id: int
    reason: str
    status: str
    status_label: str
    created_at: dt.datetime
    answer_due_at: dt.datetime
    answered_at: dt.datetime | None
    seller_note: str


class ExtensionRequestOut(Schema):
    id: int
    days: int
    reason: str
    status: str
    status_label: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


class OrderEventOut(Schema):
    at: dt.datetime
    actor: str
    actor_label: str
    kind: str
    from_state: str
    to_state: str
    reason: str
    data: dict


class OrderSummaryOut(Schema):
    number: str
    store: OrderStoreRef
    state: str
    state_label: str
    close_reason: str
    close_reason_label: str
    title: str = Field(description="The first line's product, for lists.")
    item_count: int
    total: MoneyOut
    ship_to: str
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    ship_by: dt.datetime | None
    shipped_at: dt.datetime | None
    protection_ends_at: dt.datetime | None
    pending_cancellation: bool
    pending_extension: bool
    deadlines: list[DeadlineOut]


class OrderOut(Schema):
    number: str
    checkout_id: int | None
    store: OrderStoreRef
    state: str
    state_label: str
    close_reason: str
    close_reason_label: str
    lines: list[OrderLineOut]
    totals: OrderTotalsOut
    address: OrderAddressOut
    shipping: OrderShippingOut
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    ship_by: dt.datetime | None
    shipped_at: dt.datetime | None
    promised_delivery_at: dt.datetime | None = Field(description="PST (ORD-6), UTC.")
    received_at: dt.datetime | None
    protection_ends_at: dt.datetime | None
    closed_at: dt.datetime | None
    completed_at: dt.datetime | None
    refunds: list[RefundOut]
    tracking_events: list[TrackingEventOut]
    cancellation_requests: list[CancellationRequestOut]
    extension_requests: list[ExtensionRequestOut]
    events: list[OrderEventOut] = Field(description="The timeline (ORD-2): who, when, why, old → new.")
    deadlines: list[DeadlineOut]


class BuyerOrderOut(OrderOut):
    actions: BuyerActionsOut


class SellerOrderOut(OrderOut):
    actions: SellerActionsOut


class CheckoutPaymentOut(Schema):
    id: int
    method: str = Field(description='PAY-4 method code; "balance" for the part paid from your balance.')
    amount: MoneyOut
    state: str
    failure_code: str
    created_at: dt.datetime
    succeeded_at: dt.datetime | None


class CheckoutOut(Schema):
    id: int
    created_at: dt.datetime
    totals: list[MoneyOut] = Field(description="What is still to pay, one amount per currency.")
    orders: list[OrderSummaryOut]
    payments: list[CheckoutPaymentOut]


# --- filling them -------------------------------------------------------------------------


def utc(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else instant.astimezone(dt.UTC)


def money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def _store(store) -> dict:
    return {"id": store.pk, "name": store.name, "slug": store.slug}


def deadline_out(deadline: Deadline) -> dict:
    _, rule, party = COUNTDOWN_KINDS[deadline.kind]
    return {
        "kind": deadline.kind,
        "label": str(DeadlineKind(deadline.kind).label),
        "due_at": utc(deadline.due_at),
        "rule": rule,
        "party": party,
    }


def pending_deadlines(order_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The running countdowns of these orders (reminders left out), soonest first, in one query."""
    out: dict[int, list[dict]] = {pk: [] for pk in order_ids}
    rows = Deadline.objects.filter(
        subject_type="order",
        subject_id__in=list(out),
        status="pending",
        kind__in=list(DeadlineKind),
    ).order_by("due_at", "pk")
    for row in rows:
        out[row.subject_id].append(deadline_out(row))
    return out


def decision_out(decision: Decision, default_rule: str) -> dict:
    return {
        "allowed": decision.allowed,
        "code": decision.code,
        "reason": decision.reason,
        "available_from": utc(decision.available_from),
        "rule": decision.rule or default_rule,
    }


def actions_out(order: Order, now: dt.datetime, *, table, party: str | None) -> dict:
    """Each action as its rule decides (HLP-4); someone who is not `party` may do none."""
    out = {}
    for spec in table:
        name, check, rule = spec.name, spec.check, spec.rule
        if party is None:
            out[name] = decision_out(
                Decision(False, "not_party", _("Only a party to the order can do this."), None, rule),
                rule,
            )
        else:
            out[name] = decision_out(check(order, now), rule)
    return out


def refund_out(refund) -> dict:
    arrives_from, arrives_by = refund_arrival(refund)
    return {
        "id": refund.pk,
        "amount": money(refund.amount_minor, refund.currency),
        "destination": refund.destination,
        "destination_label": refund.get_destination_display(),
        "state": refund.state,
        "state_label": refund.get_state_display(),
        "reason": refund.reason,
        "arn": refund.arn,
        "created_at": utc(refund.created_at),
        "processed_at": utc(refund.processed_at),
        "arrives_from": arrives_from,
        "arrives_by": arrives_by,
    }


def _state(order: Order) -> dict:
    return {
        "number": order.number,
        "store": _store(order.store),
        "state": order.state,
        "state_label": str(State(order.state).label),
        "close_reason": order.close_reason,
        "close_reason_label": str(CloseReason(order.close_reason).label) if order.close_reason else "",
        "placed_at": utc(order.placed_at),
        "paid_at": utc(order.paid_at),
        "ship_by": utc(order.ship_by),
        "shipped_at": utc(order.shipped_at),
        "protection_ends_at": utc(order.protection_ends_at),
    }


def order_summary_out(order: Order, deadlines: list[dict]) -> dict:
    """A list row. `order` comes with its lines prefetched and the two `pending_*` annotations."""
    lines = list(order.lines.all())
    return {
        **_state(order),
        "title": lines[0].product_title if lines else "",
        "item_count": sum(line.quantity for line in lines),
        "total": money(order.total_minor, order.currency),
        "ship_to": f"{order.ship_full_name}, {order.ship_country}",
        "pending_cancellation": bool(getattr(order, "pending_cancellation", False)),
        "pending_extension": bool(getattr(order, "pending_extension", False)),
        "deadlines": deadlines,
    }


def _line_out(line, currency: str) -> dict:
    return {
        "id": line.pk,
        "product_id": line.variant.product_id if line.variant_id else None,
        "variant_id": line.variant_id,
        "product_title": line.product_title,
        "variant_label": line.variant_label,
        "unit_price": money(line.unit_price_minor, currency),
        "quantity": line.quantity,
        "total": money(line.total_minor, currency),
        "processing_days": line.processing_days,
    }


def tracking_event_out(event: TrackingEvent) -> dict:
    return {
        "id": event.pk,
        "status": event.status,
        "status_label": event.get_status_display(),
        "occurred_at": utc(event.occurred_at),
        "location": event.location,
        "description": event.description,
        "source": event.source,
    }


def _event_out(event) -> dict:
    return {
        "at": utc(event.at),
        "actor": event.actor,
        "actor_label": str(Actor(event.actor).label),
        "kind": event.kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "data": event.data or {},
    }


def order_out(order: Order, *, now: dt.datetime, side: str, is_party: bool) -> dict:
    """The order page's data for the buyer (`side="buyer"`) or the seller (`side="seller"`)."""
    c = order.currency
    table = rules.BUYER_ACTIONS if side == "buyer" else rules.SELLER_ACTIONS
    return {
        **_state(order),
        "checkout_id": order.checkout_id,
        "lines": [_line_out(line, c) for line in order.lines.all()],
        "totals": {
            "items": money(order.items_total_minor, c),
            "shipping": money(order.shipping_total_minor, c),
            "discount": money(order.discount_total_minor, c),
            "total": money(order.total_minor, c),
        },
        "address": {
            "first_name": order.ship_first_name,
            "last_name": order.ship_last_name,
            "full_name": order.ship_full_name,
            "line1": order.ship_line1,
            "line2": order.ship_line2,
            "city": order.ship_city,
            "region": order.ship_region,
            "postal_code": order.ship_postal_code,
            "country": order.ship_country,
            "phone": order.ship_phone,
        },
        "shipping": {
            "method": order.shipping_method.name if order.shipping_method else "",
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "delivery_max_days": order.delivery_max_days,
            "extension_days": order.extension_days,
            "tracking_links": [
                {"name": name, "url": url}
                for name, url in tracking_links(order.carrier, order.tracking_number)
            ],
        },
        "promised_delivery_at": utc(order.promised_delivery_at),
        "received_at": utc(order.received_at),
        "closed_at": utc(order.closed_at),
        "completed_at": utc(order.completed_at),
        "refunds": [refund_out(r) for r in order.refunds.all()],
        "tracking_events": [tracking_event_out(e) for e in order.tracking_events.all()],
        "cancellation_requests": [
            {
                "id": r.pk,
                "reason": r.reason,
                "status": r.status,
                "status_label": r.get_status_display(),
                "created_at": utc(r.created_at),
                "answer_due_at": utc(r.answer_due_at),
                "answered_at": utc(r.answered_at),
                "seller_note": r.seller_note,
            }
            for r in order.cancellation_requests.all()
        ],
        "extension_requests": [
            {
                "id": r.pk,
                "days": r.days,
                "reason": r.reason,
                "status": r.status,
                "status_label": r.get_status_display(),
                "created_at": utc(r.created_at),
                "answered_at": utc(r.answered_at),
            }
            for r in order.extension_requests.all()
        ],
        "events": [_event_out(e) for e in order.events.all()],
        "deadlines": pending_deadlines([order.pk])[order.pk],
        "actions": actions_out(order, now, table=table, party=side if is_party else None),
    }


def checkout_out(checkout: Checkout, orders: list[Order], deadlines: dict[int, list[dict]]) -> dict:
    due: dict[str, int] = {}
    for order in orders:
        if order.state == State.AWAITING_PAYMENT:
            due[order.currency] = due.get(order.currency, 0) + order.total_minor
    return {
        "id": checkout.pk,
        "created_at": utc(checkout.created_at),
        "totals": [money(due[c], c) for c in sorted(due)],
        "orders": [order_summary_out(o, deadlines.get(o.pk, [])) for o in orders],
        "payments": [
            {
                "id": p.pk,
                "method": p.method,
                "amount": money(p.amount_minor, p.currency),
                "state": p.state,
                "failure_code": p.failure_code,
                "created_at": utc(p.created_at),
                "succeeded_at": utc(p.succeeded_at),
            }
            for p in checkout.payments.order_by("pk")
        ],
    }

