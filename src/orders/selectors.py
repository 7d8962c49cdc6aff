"""Order reads for the buyer pages and the API (ORD-1, ORD-3…ORD-7, BP-1, BP-4, RFD-2, HLP-4).

Keyword-only functions, each usable from a page or an API endpoint: the lists
and objects a buyer may see (another person's order is simply not found), the
countdown that matters for an order, every countdown of the order page, the
action decisions of orders.rules, the timeline, refunds with their arrival
window, tracking links and the checkout preview. Functions that depend on time
take `now`; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.calendar import add_business_days
from core.errors import NotFound
from core.money import Money, convert
from core.policy import policy
from orders import rules
from orders.models import (
    CancellationRequest,
    Checkout,
    ExtensionRequest,
    Order,
    OrderEvent,
    RequestStatus,
    TrackingEvent,
)
from orders.states import Actor, CloseReason, DeadlineKind, State

# --- lists and single orders ------------------------------------------------------------------

# My Orders filters: key → (label, the states it shows). "" shows every order.
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "unpaid": (
        "Awaiting payment",
        (State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING),
    ),
    "to_ship": ("Awaiting shipment", (State.AWAITING_SHIPMENT,)),
    "shipped": ("Shipped", (State.SHIPPED,)),
    "completed": ("Completed", (State.COMPLETED,)),
    "closed": ("Closed", (State.CLOSED,)),
}


def _pending_cancellations() -> Prefetch:
    return Prefetch(
        "cancellation_requests",
        queryset=CancellationRequest.objects.filter(status=RequestStatus.PENDING),
        to_attr="pending_cancellations",
    )


def buyer_orders(*, buyer, status: str = "") -> QuerySet[Order]:
    """The buyer's orders, newest first, with store, lines and any pending cancellation request.

    `status` is a key of STATUS_FILTERS or "" for all. An unknown key raises ValueError so the
    caller can say so (the pages show every order with a message; an API answers 422).
    """
    orders = Order.objects.filter(buyer=buyer)
    if status:
        if status not in STATUS_FILTERS:
            raise ValueError(f"Unknown status filter {status!r}")
        orders = orders.filter(state__in=STATUS_FILTERS[status][1])
    return (
        orders.select_related("store")
        .prefetch_related("lines", _pending_cancellations())
        .order_by("-placed_at", "-pk")
    )


def buyer_order_get(*, buyer, number: str) -> Order:
    """One of the buyer's orders by number, with what the order page shows.

    Another person's order, or a number that does not exist, raises NotFound (pages: 404).
    """
    order = (
        Order.objects.filter(buyer=buyer, number=str(number)[:20])
        .select_related("store", "shipping_method")
        .prefetch_related(
            "lines",
            _pending_cancellations(),
            Prefetch("cancellation_requests", queryset=CancellationRequest.objects.order_by("-created_at")),
            Prefetch("extension_requests", queryset=ExtensionRequest.objects.order_by("-created_at")),
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor_user").order_by("at", "pk")),
        )
        .first()
    )
    if order is None:
        raise NotFound(_("There is no such order in your account."))
    return order


def buyer_checkout_get(*, buyer, checkout_id) -> Checkout:
    """One of the buyer's checkouts; someone else's is not found."""
    try:
        return Checkout.objects.get(pk=int(checkout_id), buyer=buyer)
    except (Checkout.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no such checkout in your account.")) from None


def checkout_by_key(*, buyer, idempotency_key: str) -> Checkout | None:
    """The checkout this buyer already placed with this key (a double submit), if any."""
    if not idempotency_key:
        return None
    return Checkout.objects.filter(buyer=buyer, idempotency_key=idempotency_key[:64]).first()


def checkout_orders(*, checkout: Checkout) -> QuerySet[Order]:
    return checkout.orders.select_related("store").prefetch_related("lines").order_by("pk")


# --- countdowns (BP-1, ORD-3, ORD-4, ORD-5) ---------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    """A deadline shown to a person: what it is, when (UTC), which rule, whose move it is."""

    kind: str
    label: str
    due_at: dt.datetime
    rule: str
    party: str  # "buyer" | "seller" | "" (nobody needs to act: it just happens)
    left: str = ""  # the remaining time at `now`, for pages without JavaScript
    now: dt.datetime | None = None  # the instant `left` was computed at (the site's clock)

    @property
    def passed(self) -> bool:
        return self.left == PASSED


PASSED = gettext_lazy("Time is up")


def remaining_text(due_at: dt.datetime, now: dt.datetime) -> str:
    """'2 days 4 hours left', '35 minutes left' … or 'Time is up' (in the active language)."""
    seconds = int((due_at - now).total_seconds())
    if seconds <= 0:
        return str(PASSED)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60

    day = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    hour = ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    minute = ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    if days:
        parts = [day] + ([hour] if hours else [])
    elif hours:
        parts = [hour] + ([minute] if minutes else [])
    elif minutes:
        parts = [minute]
    else:
        return _("Less than a minute left")
    return _("%(time)s left") % {"time": " ".join(parts)}


def pay_by(order: Order) -> dt.datetime:
    """ORD-3: the instant an unpaid order closes by itself (the payment window deadline)."""
    return order.placed_at + policy.payment_window


def pending_cancellation(order: Order) -> CancellationRequest | None:
    """The pending cancellation request (from the prefetch when the selector loaded one)."""
    if hasattr(order, "pending_cancellations"):
        return order.pending_cancellations[0] if order.pending_cancellations else None
    return order.cancellation_requests.filter(status=RequestStatus.PENDING).first()


# kind → (what the page calls it, the rule that sets it, the party who must act before it passes).
# One table for the pages (here) and the API (orders.schemas.deadline_out).
COUNTDOWN_KINDS: dict[str, tuple[object, str, str]] = {
    DeadlineKind.PAYMENT_WINDOW: (gettext_lazy("Pay by"), "ORD-3", "buyer"),
    DeadlineKind.SHIP_BY: (gettext_lazy("Seller ships by"), "ORD-4", "seller"),
    DeadlineKind.CANCELLATION_ANSWER: (
        gettext_lazy("Seller answers your cancellation request by"), "ORD-5", "seller"
    ),
    DeadlineKind.PROTECTION_END: (gettext_lazy("Buyer protection ends"), "BP-1", "buyer"),  # BP-2 sets it
    "promised_delivery": (gettext_lazy("Promised delivery time (PST)"), "ORD-6", ""),  # nobody acts
}


def _countdown(kind: str, due: dt.datetime, now: dt.datetime) -> Countdown:
    label, rule, party = COUNTDOWN_KINDS[kind]
    left = remaining_text(due, now)
    return Countdown(kind=kind, label=str(label), due_at=due, rule=rule, party=party, left=left, now=now)


def order_countdown(*, order: Order, now: dt.datetime) -> Countdown | None:
    """The one countdown that matters now for a buyer's order (My Orders, BP-1).

    awaiting payment → pay by; awaiting shipment → the cancellation answer due when a
    request is pending, else ship by; shipped → protection end; otherwise none.
    """
    if order.state == State.AWAITING_PAYMENT:
        return _countdown(DeadlineKind.PAYMENT_WINDOW, pay_by(order), now)
    if order.state == State.AWAITING_SHIPMENT:
        request = pending_cancellation(order)
        if request is not None:
            return _countdown(DeadlineKind.CANCELLATION_ANSWER, request.answer_due_at, now)
        if order.ship_by:
            return _countdown(DeadlineKind.SHIP_BY, order.ship_by, now)
    if order.state == State.SHIPPED and order.protection_ends_at:
        return _countdown(DeadlineKind.PROTECTION_END, order.protection_ends_at, now)
    return None


def order_countdowns(*, order: Order, now: dt.datetime) -> list[Countdown]:
    """Every running countdown of the order page: the one that matters first, then PST."""
    out = []
    main = order_countdown(order=order, now=now)
    if main is not None:
        out.append(main)
    waiting_answer = main is not None and main.kind == DeadlineKind.CANCELLATION_ANSWER
    if waiting_answer and order.ship_by:  # the ship-by deadline still runs while the seller decides
        out.append(_countdown(DeadlineKind.SHIP_BY, order.ship_by, now))
    if order.state == State.SHIPPED and order.promised_delivery_at:
        out.append(_countdown("promised_delivery", order.promised_delivery_at, now))
    return out


# --- what the buyer may do (HLP-4) --------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One buyer action on an order with the rules' decision (allowed, or why not and from when)."""

    name: str  # "cancel" | "request_cancellation" | "confirm_receipt" | "request_extension"
    label: str
    decision: rules.Decision


def order_buyer_actions(*, order: Order, now: dt.datetime) -> list[Action]:
    """The buyer's actions on the order, each with the decision the services enforce."""
    return [Action(spec.name, str(spec.label), spec.check(order, now)) for spec in rules.BUYER_ACTIONS]


# --- timeline (ORD-2) ---------------------------------------------------------------------------------

EVENT_TEXT = {
    "placed": gettext_lazy("Order placed"),
    "paid": gettext_lazy("Payment received"),
    "security_review": gettext_lazy("Closed by the security review"),
    "shipped": gettext_lazy("Marked as shipped"),
    "cancellation_requested": gettext_lazy("Cancellation requested"),
    "cancellation_refused": gettext_lazy("Cancellation request refused"),
    "receipt_confirmed": gettext_lazy("Receipt confirmed"),
    "extension_requested": gettext_lazy("Protection extension requested"),
    "extension_accepted": gettext_lazy("Protection extension accepted"),
    "extension_refused": gettext_lazy("Protection extension refused"),
    "protection_ended": gettext_lazy("Buyer protection ended; order completed"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    who: str
    what: str
    why: str
    from_state: str  # the state labels; "" when the state did not change
    to_state: str
    event: OrderEvent


def _state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


def _who(event: OrderEvent, order: Order, viewer) -> str:
    if event.actor == Actor.BUYER:
        return _("You") if viewer is not None and event.actor_user_id == viewer.pk else _("The buyer")
    if event.actor == Actor.SELLER:
        return _("The seller (%(store)s)") % {"store": order.store.name}
    if event.actor == Actor.STAFF:
        return _("Hmong Artisans staff")
    return _("Automatic (Hmong Artisans)")


def event_text(kind: str) -> str:
    if kind in EVENT_TEXT:
        return str(EVENT_TEXT[kind])
    if kind in CloseReason.values:
        return _("Closed: %(reason)s") % {"reason": CloseReason(kind).label}
    return kind.replace("_", " ").capitalize()


def order_timeline(*, order: Order, viewer=None) -> list[TimelineEntry]:
    """Every OrderEvent of the order, oldest first: when, who, what, why, old → new state."""
    entries = []
    for event in order.events.all():
        changed = bool(event.to_state) and event.from_state != event.to_state
        entries.append(
            TimelineEntry(
                at=event.at,
                who=_who(event, order, viewer),
                what=event_text(event.kind),
                why=event.reason,
                from_state=_state_label(event.from_state) if changed and event.from_state else "",
                to_state=_state_label(event.to_state) if changed else "",
                event=event,
            )
        )
    return entries


# --- refunds (RFD-2, ORD-9) --------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundView:
    refund: object  # payments.models.Refund
    arrives_from: dt.datetime
    arrives_by: dt.datetime

    @property
    def amount(self) -> Money:
        return Money(self.refund.amount_minor, self.refund.currency)


def refund_arrival(refund) -> tuple[dt.datetime, dt.datetime]:
    """When a refund is expected to reach the buyer: (earliest, latest), in business days (RFD-2)."""
    start = refund.processed_at or refund.created_at
    return (
        add_business_days(start, policy.refund_arrival_min_days),
        add_business_days(start, policy.refund_arrival_max_days),
    )


def order_refunds(*, order: Order) -> list[RefundView]:
    """The order's refunds, newest first, each with its expected arrival window (business days)."""
    return [
        RefundView(refund, *refund_arrival(refund))
        for refund in order.refunds.order_by("-created_at", "-pk")
    ]


# --- tracking (ORD-6) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackingLink:
    label: str
    url: str


def tracking_links(*, carrier: str, tracking_number: str) -> list[TrackingLink]:
    """Links to follow the parcel: the carrier's own page when orders.carriers knows it, then
    Cainiao and 17track. The person follows them; we never fetch them."""
    from orders.carriers import tracking_links as carrier_links

    return [TrackingLink(label, url) for label, url in carrier_links(carrier, tracking_number)]


# --- the checkout preview (ORD-1) ----------------------------------------------------------------------


@dataclass
class StorePreview:
    """One future order: a store's part of the cart, shipped to the chosen address."""

    group: object  # cart.selectors.StoreCartView (lines with price changes and stock problems)
    currency: str
    method: object | None = None  # catalog.ShippingMethod
    estimate: object | None = None  # catalog.DeliveryEstimate
    processing_days: int = 0
    items: Money | None = None
    shipping: Money | None = None
    total: Money | None = None

    @property
    def store(self):
        return self.group.store

    @property
    def delivers(self) -> bool:
        return self.method is not None


@dataclass
class CheckoutPreview:
    stores: list[StorePreview] = field(default_factory=list)
    totals: list[Money] = field(default_factory=list)  # one per currency
    has_problems: bool = False  # stock, vanished items (from the cart selector)
    undeliverable: list[str] = field(default_factory=list)  # store names that do not deliver there

    @property
    def is_empty(self) -> bool:
        return not self.stores

    @property
    def can_place(self) -> bool:
        return not self.is_empty and not self.has_problems and not self.undeliverable


def checkout_preview(*, buyer, country: str | None, locale: str = "en_US") -> CheckoutPreview:
    """The cart as the orders it will become (one per store, ORD-1), shipped to `country`.

    Uses the same shipping choice and currency conversion as orders.services.checkout_place:
    the cheapest method every product of the store offers, and prices converted to the
    store's currency. Lines with a problem are shown but not counted.
    """
    from cart.selectors import cart_summary
    from orders.services import _shipping_for  # the very choice checkout_place makes

    cart = cart_summary(user=buyer, locale=locale)
    preview = CheckoutPreview(has_problems=cart.has_problems)
    totals: dict[str, int] = defaultdict(int)
    for group in cart.stores:
        store = group.store
        sellable = [view for view in group.lines if view.problem is None]
        store_preview = StorePreview(group=group, currency=store.currency)
        preview.stores.append(store_preview)
        if not sellable:
            continue
        items = sum(
            convert(Money(view.variant.price_minor, view.product.currency), store.currency).amount
            * view.quantity
            for view in sellable
        )
        store_preview.items = Money(items, store.currency)
        store_preview.processing_days = max(view.product.processing_days for view in sellable)
        shipping = _shipping_for(store, [view.product for view in sellable], country) if country else None
        if shipping is None:
            if country:
                preview.undeliverable.append(store.name)
            continue
        store_preview.method, store_preview.estimate = shipping
        store_preview.shipping = convert(store_preview.method.price, store.currency)
        store_preview.total = Money(items + store_preview.shipping.amount, store.currency)
        totals[store.currency] += store_preview.total.amount
    preview.totals = [Money(totals[c], c) for c in sorted(totals)]
    return preview


# --- units still claimable per line (DSP-1 / RET-1 / RET-2): a unit is refunded at most once ------

# One statement: the order's lines, then the units each claim holds. Dispute lines count while the
# dispute is open or once it refunded anything; a refunding (or open) dispute that lists no line
# holds the whole order ("w"); returns count unless given up (expired or cancelled unused).
_CLAIMS_SQL = (
    'SELECT \'q\', l."id", l."quantity" FROM "orders_orderline" l WHERE l."order_id" = %s'
    ' UNION ALL'
    ' SELECT \'d\', dl."order_line_id", dl."quantity" FROM "disputes_disputeline" dl'
    ' JOIN "disputes_dispute" d ON d."id" = dl."dispute_id"'
    ' WHERE d."order_id" = %s AND (d."is_open" = %s OR d."refunded_minor" > 0)'
    ' UNION ALL'
    ' SELECT \'w\', d."id", 0 FROM "disputes_dispute" d'
    ' WHERE d."order_id" = %s AND (d."is_open" = %s OR d."refunded_minor" > 0)'
    ' AND NOT EXISTS (SELECT 1 FROM "disputes_disputeline" dl WHERE dl."dispute_id" = d."id")'
    ' UNION ALL'
    ' SELECT \'r\', rl."order_line_id", rl."quantity" FROM "returns_returnline" rl'
    ' JOIN "returns_returnrequest" r ON r."id" = rl."request_id"'
    ' WHERE r."order_id" = %s AND r."state" NOT IN (%s, %s)'
)


def units_claimable(order: Order) -> dict[int, int]:
    """Order line id → units not yet refunded or claimed (DSP-1, RET-1/RET-2), for every line of the
    order, in one query. Both the Free Return request (returns.rules.returnable_units) and the dispute
    opening (disputes.services) limit the units chosen by it, so a unit is refunded at most once
    whichever way.

    A unit is taken when it is
    - in a dispute (or warranty request) that is open, or closed having refunded something
      (Dispute.refunded_minor > 0): all the units its lines list count, even when the refund was an
      amount smaller than what those units cost (an amount-only partial refund records no units, so
      we cannot tell which units it paid for: conservatively, all of them). A dispute closed without
      a refund (closed_no_refund, withdrawn, resolved by repair) takes nothing. A refunding or open
      dispute that lists no line at all takes every unit of the order;
    - in a Free Return that was not given up (not expired or cancelled): open, or inspected — the
      units were sent back and their refund decided (pro rata, maybe 0), so they cannot be claimed
      again.

    It lives in orders.selectors because both apps already import orders (orders imports neither):
    it reads the two apps' tables by their SQL names, so no import cycle arises.
    """
    from deadlines.rows import sql_rows

    oid = order.pk
    rows = sql_rows(_CLAIMS_SQL, [oid, oid, True, oid, True, oid, "expired", "cancelled"])
    left: dict[int, int] = {}
    whole_order = False
    for source, key, units in rows:
        if source == "q":
            left[key] = left.get(key, 0) + units
        elif source == "w":
            whole_order = True
        else:
            left[key] = left.get(key, 0) - units
    if whole_order:
        return dict.fromkeys(left, 0)
    return {key: max(0, units) for key, units in left.items()}
