"""Orders API (ORD-1…ORD-8, BP-1, BP-4), mounted under /api/v1/. Shapes: orders.schemas.

Buyer (`router`, mounted at /api/v1/):

    POST /checkout {"address_id", "idempotency_key"}         201 (200: the same key again)
    GET  /checkout/{id}
    POST /checkout/{id}/pay {"token", "idempotency_key", "save_card"}   200; 402 a PAY-2 code
                                                             (payments.declines)
    GET  /orders?state=&page=&page_size=                     paginated, newest first
    GET  /orders/{number}
    POST /orders/{number}/cancel                             ORD-3 (unpaid)
    POST /orders/{number}/cancellation-request {"reason"}    ORD-5
    POST /orders/{number}/confirm-receipt                    ORD-7
    POST /orders/{number}/extension-request {"days", "reason"}   BP-4

Seller (`seller_router`, mounted at /api/v1/seller/orders):

    GET  /seller/orders?state=&q=&needs_answer=&sort=        paginated; by default the orders
                                                             to ship first, soonest ship-by first
    GET  /seller/orders/{number}
    POST /seller/orders/{number}/ship {"carrier", "tracking_number"}          ORD-6
    POST /seller/orders/{number}/cancellation-request/answer {"accept", "note"}   ORD-5
    POST /seller/orders/{number}/extension-request/answer {"accept"}          BP-4
    POST /seller/orders/{number}/tracking-events {"status", "occurred_at", "location",
                                                  "description"}              ORD-6, 201

Who may do what (object permissions): a buyer reads and acts on their own
orders, a seller on their store's; staff may read any order (GET) but the
actions stay with the parties (403 not_party); an order that is not yours is
404, whether or not it exists; no credentials is 401. Every action answers
with the order as it now is; refusals come from orders.rules with the same
reason the `actions` block shows (HLP-4).
"""

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Literal

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext
from ninja import Field, Router, Status
from ninja.pagination import paginate

from accounts.models import Address
from core import clock
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.pagination import PagePagination
from core.schemas import ErrorOut
from orders import schemas, services
from orders.models import (
    CancellationRequest,
    Checkout,
    ExtensionRequest,
    Order,
    OrderEvent,
    OrderLine,
    RequestStatus,
    TrackingEvent,
)
from orders.schemas import (
    BuyerOrderOut,
    CancellationAnswerIn,
    CancellationRequestIn,
    CheckoutIn,
    CheckoutOut,
    ExtensionAnswerIn,
    ExtensionRequestIn,
    OrderState,
    OrderSummaryOut,
    PayIn,
    SellerOrderOut,
    ShipIn,
    TrackingEventIn,
    TrackingEventOut,
)
from orders.states import State
from payments.declines import decline_error
from payments.models import Payment
from sellercenter.selectors import store_of

router = Router(tags=["orders"])
seller_router = Router(tags=["seller orders"])

PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Number = Annotated[str, Field(max_length=40)]

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}

BUYER, SELLER = "buyer", "seller"


# --- who may see and do what --------------------------------------------------------------


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and user.is_active)


def _order_for(request, number: str, *, side: str, acting: bool) -> tuple[Order, bool]:
    """The order `number` as `side` sees it, and whether the person is that party.

    Not the person's order → 404 (its existence is not revealed), except that staff
    may read any order; staff who are not the party may not act (403).
    """
    user = request.auth
    order = Order.objects.filter(number=number).select_related("store").first()
    if order is not None:
        owner_id = order.buyer_id if side == BUYER else order.store.owner_id
        if owner_id == user.pk:
            return order, True
        if _is_staff(user):
            if acting:
                raise NotAllowed(gettext(
                    "Only the %(side)s of this order can do this.") % {"side": side}, code="not_party")
            return order, False
    raise NotFound(gettext("There is no such order in your account."))


def _detail_qs() -> QuerySet[Order]:
    return Order.objects.select_related("store", "shipping_method").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("variant").order_by("pk")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("at", "pk")),
        "refunds",
        Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")),
        Prefetch("cancellation_requests", queryset=CancellationRequest.objects.order_by("-created_at")),
        Prefetch("extension_requests", queryset=ExtensionRequest.objects.order_by("-created_at")),
    )


def _detail(order: Order, *, side: str, is_party: bool, now: dt.datetime | None = None) -> dict:
    """The order as it now is, with the actions decided at `now` (default: the clock)."""
    fresh = _detail_qs().get(pk=order.pk)
    return schemas.order_out(fresh, now=now or clock.now(), side=side, is_party=is_party)


def _annotated(orders: QuerySet[Order]) -> QuerySet[Order]:
    """List rows: store, lines and whether a request waits for the seller's answer."""
    return (
        orders.select_related("store")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .annotate(
            pending_cancellation=Exists(
                CancellationRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
            ),
            pending_extension=Exists(
                ExtensionRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
            ),
        )
    )


class OrderRows(Sequence):
    """A queryset of orders seen as list rows, each with its running countdowns.

    Sliced lazily by PagePagination: only the page asked for is read, and the
    countdowns of the whole page come in one query.
    """

    def __init__(self, queryset: QuerySet[Order]):
        self.queryset = queryset

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        orders = list(self.queryset[index])
        deadlines = schemas.pending_deadlines(o.pk for o in orders)
        return [schemas.order_summary_out(o, deadlines[o.pk]) for o in orders]


# --- checkout (ORD-1) ---------------------------------------------------------------------------


def _own_checkout(request, checkout_id: int) -> Checkout:
    checkout = Checkout.objects.filter(pk=checkout_id, buyer=request.auth).first()
    if checkout is None:
        raise NotFound(gettext("There is no such checkout in your account."))
    return checkout


def _checkout_out(checkout: Checkout) -> dict:
    orders = list(_annotated(checkout.orders.order_by("pk")))
    return schemas.checkout_out(checkout, orders, schemas.pending_deadlines(o.pk for o in orders))


@router.post(
    "/checkout",
    response={200: CheckoutOut, 201: CheckoutOut, **ERRORS},
    summary=gettext("Place the cart: one order per store (ORD-1)"),
)
def checkout_create(request, payload: CheckoutIn):
    """Turns the whole cart into one order per store, shipped to one of your saved addresses
    (create one with POST /addresses). Stock is reserved now; pay within the payment window
    (the `payment_window` countdown of each order, ORD-3). Sending the same `idempotency_key`
    again answers 200 with the same checkout and creates nothing.

    A cart line that cannot be bought (no longer sold, not enough stock) is reported in
    `fields` under `items.<variant_id>`, and nothing is created."""
    buyer = request.auth
    key = payload.idempotency_key
    existing = Checkout.objects.filter(buyer=buyer, idempotency_key=key).first() if key else None
    if existing is not None:
        return Status(200, _checkout_out(existing))
    address = Address.objects.filter(pk=payload.address_id, user=buyer).first()
    if address is None:
        message = gettext("Not one of your saved addresses.")
        raise DomainError(
            gettext("Choose one of your own addresses."),
            code="invalid_address",
            fields={"address_id": [message]},
            status=422,
        )
    try:
        checkout = services.checkout_place(
            buyer=buyer, address=address, idempotency_key=key, now=clock.now(),
            promotion_ids=payload.promotion_ids, codes=payload.codes,
            use_refund_coupons=payload.use_refund_coupons,
        )
    except Conflict as error:
        if error.code == "cart_problems":
            error.fields = {
                f"items.{variant_id}": [text] if isinstance(text, str) else list(text)
                for variant_id, text in error.fields.items()
            }
        raise
    return Status(201, _checkout_out(checkout))


@router.get("/checkout/{checkout_id}", response={200: CheckoutOut, **READ_ERRORS})
def checkout_get(request, checkout_id: PathId):
    """One of your checkouts with its orders and payments."""
    return _checkout_out(_own_checkout(request, checkout_id))


@router.post(
    "/checkout/{checkout_id}/pay",
    response={200: CheckoutOut, 402: ErrorOut, **ERRORS},
    summary=gettext("Pay every unpaid order of a checkout"),
)
def checkout_pay(request, checkout_id: PathId, payload: PayIn):
    """Charges the card token once per currency. Repeating the same `idempotency_key`
    charges nothing more and answers as the first call did (PAY-5). A refused card answers
    402 with the PAY-2 code of payments.declines (e.g. `insufficient_funds`, `wrong_cvv`;
    `payment_failed` when the provider gives no reason) and the orders keep waiting for
    payment; try again with another key. `verification_required` (402) moves the orders to
    "payment being verified" (PAY-3). `token` is a provider card token or one of your saved
    cards' tokens; `save_card` keeps the card (PAY-1). `method` picks another way to pay
    (PAY-4; 422 `unknown_method` / `method_not_available`): bank transfer, cash, Boleto and
    Western Union leave the orders in "payment processing" until the money arrives;
    `use_balance` spends your platform balance first."""
    checkout = _own_checkout(request, checkout_id)
    key = payload.idempotency_key
    if payload.method == "card" and not payload.token and not payload.use_balance:
        raise DomainError(
            gettext("Give a card token to pay by card."), code="validation_error",
            fields={"token": [gettext("Give a card token to pay by card.")]}, status=422,
        )
    try:
        payments = services.checkout_pay(
            checkout=checkout, token=payload.token, idempotency_key=key, now=clock.now(),
            save_card=payload.save_card, method=payload.method, use_balance=payload.use_balance,
        )
    except Conflict as error:
        replay = list(
            Payment.objects.filter(checkout=checkout, idempotency_key__startswith=f"{key}:")
        )
        if error.code != "nothing_to_pay" or not replay:
            raise
        payments = replay
    failed = [p for p in payments if p.state in (Payment.State.FAILED, Payment.State.VERIFYING)]
    if failed:  # PAY-2: the decline's own code, message and next step, 402
        prefix = (gettext("Part of this checkout was paid; the rest was not.")
                  if len(failed) < len(payments) else "")
        raise decline_error(failed[0].failure_code, prefix=prefix)
    return _checkout_out(checkout)


# --- the buyer's orders ----------------------------------------------------------------------------


@router.get("/orders", response={200: list[OrderSummaryOut], **READ_ERRORS}, summary=gettext("My orders"))
@paginate(PagePagination)
def orders_list(request, state: OrderState | None = None):
    """Your orders, newest first, each with the countdowns running on it (BP-1)."""
    orders = Order.objects.filter(buyer=request.auth)
    if state is not None:
        orders = orders.filter(state=state)
    return OrderRows(_annotated(orders).order_by("-placed_at", "-pk"))


@router.get("/orders/{number}", response={200: BuyerOrderOut, **READ_ERRORS})
def order_get(request, number: Number):
    """The order page: lines, totals, address, timeline, refunds, tracking, `deadlines` and
    what you may do (`actions`, each with the reason and the date when it is not possible)."""
    order, is_party = _order_for(request, number, side=BUYER, acting=False)
    return _detail(order, side=BUYER, is_party=is_party)


@router.post("/orders/{number}/cancel", response={200: BuyerOrderOut, **ERRORS})
def order_cancel(request, number: Number):
    """Cancel an order that is not paid yet (ORD-3). A paid order: request cancellation."""
    order, _ = _order_for(request, number, side=BUYER, acting=True)
    now = clock.now()
    services.order_cancel_unpaid(order=order, buyer=request.auth, now=now)
    return _detail(order, side=BUYER, is_party=True, now=now)


@router.post("/orders/{number}/cancellation-request", response={200: BuyerOrderOut, **ERRORS})
def order_request_cancellation(request, number: Number, payload: CancellationRequestIn):
    """Ask the seller to cancel a paid order that has not shipped (ORD-5). Without an answer
    by the `cancellation_answer` deadline, the order is cancelled and refunded."""
    order, _ = _order_for(request, number, side=BUYER, acting=True)
    now = clock.now()
    services.order_request_cancellation(
        order=order, buyer=request.auth, reason=payload.reason, now=now
    )
    return _detail(order, side=BUYER, is_party=True, now=now)


@router.post("/orders/{number}/confirm-receipt", response={200: BuyerOrderOut, **ERRORS})
def order_confirm_receipt(request, number: Number):
    """Confirm you received a shipped order (ORD-7): protection then ends 15 days after the
    earlier of now and the promised delivery time (BP-2)."""
    order, _ = _order_for(request, number, side=BUYER, acting=True)
    now = clock.now()
    services.order_confirm_receipt(order=order, buyer=request.auth, now=now)
    return _detail(order, side=BUYER, is_party=True, now=now)


@router.post("/orders/{number}/extension-request", response={200: BuyerOrderOut, **ERRORS})
def order_request_extension(request, number: Number, payload: ExtensionRequestIn):
    """Ask the seller for more days of protection on a shipped order that is late (BP-4)."""
    order, _ = _order_for(request, number, side=BUYER, acting=True)
    now = clock.now()
    services.extension_request(
        order=order, buyer=request.auth, days=payload.days, reason=payload.reason, now=now
    )
    return _detail(order, side=BUYER, is_party=True, now=now)


# --- the seller's orders ----------------------------------------------------------------------------

SellerSort = Literal["ship_by", "-placed_at", "placed_at"]


def _seller_store(request):
    store = store_of(user=request.auth)
    if store is None:
        raise Conflict(gettext("Open your store first (POST /api/v1/seller/store)."), code="no_store")
    return store


@seller_router.get(
    "", response={200: list[OrderSummaryOut], **READ_ERRORS, 409: ErrorOut},
    summary=gettext("My store's orders"),
)
@paginate(PagePagination)
def seller_orders_list(
    request,
    state: OrderState | None = None,
    q: Annotated[str, Field(max_length=40)] = "",
    needs_answer: bool | None = None,
    sort: SellerSort | None = None,
):
    """Your store's orders. By default the orders to ship come first, the soonest ship-by
    deadline first (ORD-4), then every other order, newest first. `state` keeps one state,
    `q` matches the order number, `needs_answer=true` keeps orders with a cancellation or
    extension request waiting for you, `sort` orders by `ship_by` or `placed_at`."""
    orders = _annotated(Order.objects.filter(store=_seller_store(request)))
    if state is not None:
        orders = orders.filter(state=state)
    if q.strip():
        orders = orders.filter(number__icontains=q.strip())
    if needs_answer is not None:
        waiting = Q(pending_cancellation=True) | Q(pending_extension=True)
        orders = orders.filter(waiting) if needs_answer else orders.exclude(waiting)
    if sort == "ship_by":
        orders = orders.order_by(F("ship_by").asc(nulls_last=True), "-placed_at", "-pk")
    elif sort == "placed_at":
        orders = orders.order_by("placed_at", "pk")
    elif sort == "-placed_at":
        orders = orders.order_by("-placed_at", "-pk")
    else:
        to_ship = Case(When(state=State.AWAITING_SHIPMENT, then=Value(0)), default=Value(1),
                       output_field=IntegerField())
        ship_by = Case(When(state=State.AWAITING_SHIPMENT, then=F("ship_by")), default=None)
        orders = orders.order_by(to_ship, ship_by.asc(nulls_last=True), "-placed_at", "-pk")
    return OrderRows(orders)


@seller_router.get("/{number}", response={200: SellerOrderOut, **READ_ERRORS})
def seller_order_get(request, number: Number):
    """One of your store's orders, with what you may do (`actions`) and the countdowns."""
    order, is_party = _order_for(request, number, side=SELLER, acting=False)
    return _detail(order, side=SELLER, is_party=is_party)


@seller_router.post("/{number}/ship", response={200: SellerOrderOut, **ERRORS})
def seller_order_ship(request, number: Number, payload: ShipIn):
    """Mark the order shipped with its carrier and tracking number (ORD-6)."""
    order, _ = _order_for(request, number, side=SELLER, acting=True)
    now = clock.now()
    services.order_mark_shipped(
        order=order,
        seller=request.auth,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        now=now,
    )
    return _detail(order, side=SELLER, is_party=True, now=now)


@seller_router.post(
    "/{number}/cancellation-request/answer", response={200: SellerOrderOut, **ERRORS}
)
def seller_cancellation_answer(request, number: Number, payload: CancellationAnswerIn):
    """Accept (the order closes and the buyer is refunded) or refuse the buyer's
    cancellation request (ORD-5)."""
    order, _ = _order_for(request, number, side=SELLER, acting=True)
    now = clock.now()
    services.cancellation_answer(
        order=order, seller=request.auth, accept=payload.accept, note=payload.note, now=now
    )
    return _detail(order, side=SELLER, is_party=True, now=now)


@seller_router.post("/{number}/extension-request/answer", response={200: SellerOrderOut, **ERRORS})
def seller_extension_answer(request, number: Number, payload: ExtensionAnswerIn):
    """Accept (the promised delivery time and protection move by the days asked) or refuse
    the buyer's extension request (BP-4)."""
    order, _ = _order_for(request, number, side=SELLER, acting=True)
    now = clock.now()
    services.extension_answer(order=order, seller=request.auth, accept=payload.accept, now=now)
    return _detail(order, side=SELLER, is_party=True, now=now)


@seller_router.post("/{number}/tracking-events", response={201: TrackingEventOut, **ERRORS})
def seller_tracking_event(request, number: Number, payload: TrackingEventIn):
    """Add a carrier scan to a shipped order by hand (ORD-6); the buyer sees it on the order."""
    order, _ = _order_for(request, number, side=SELLER, acting=True)
    event, _ = services.tracking_event_record(
        order=order,
        status=payload.status,
        occurred_at=payload.occurred_at,
        location=payload.location,
        description=payload.description,
        source=TrackingEvent.Source.SELLER,
        now=clock.now(),
    )
    return Status(201, schemas.tracking_event_out(event))
