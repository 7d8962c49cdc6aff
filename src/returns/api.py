"""Free Return API (RET-1…RET-4), mounted at /api/v1/.

    GET  /orders/{number}/returns        the order's returns and whether one may start now (HLP-4)
    POST /orders/{number}/returns {"lines": [{"line_id", "quantity"}], "accept_paid_shipping"}  201
    GET  /returns/{id}
    POST /returns/{id}/cancel            before the parcel is dropped off

Who may do what: the buyer reads and acts on their own order's returns; the seller of the
order's store and staff may read them, but the actions stay with the buyer (403 not_party);
anyone else gets 404 (a return that is not yours is not revealed); no credentials is 401.
Refusals come from returns.rules with the same reason the `eligibility` block shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from core import clock
from core.errors import NotAllowed, NotFound
from core.schemas import ErrorOut
from orders.models import Order
from returns import selectors, services
from returns.models import ReturnRequest

router = Router(tags=["returns"])

PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Number = Annotated[str, Field(max_length=40)]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ReturnLineIn(Schema):
    line_id: int = Field(ge=1, le=2**63 - 1, description="An order line (an item of a Free Return product).")
    quantity: int = Field(ge=1, le=10_000, description="Units of that line to send back.")


class ReturnCreateIn(Schema):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    accept_paid_shipping: bool = Field(
        False, description="Required (true) when the order already used its free return (RET-2)."
    )


class ReturnableLineOut(Schema):
    line_id: int
    product_title: str
    quantity: int
    units_left: int


class EligibilityOut(Schema):
    allowed: bool
    code: str
    reason: str
    rule: str
    available_from: dt.datetime | None
    window_ends_at: dt.datetime | None
    next_is_free: bool = Field(description="RET-2: false → a new return is at the buyer's cost.")
    provider: str | None
    provider_name: str | None
    lines: list[ReturnableLineOut]


class ReturnLineOut(Schema):
    id: int
    order_line_id: int
    product_title: str
    variant_label: str
    unit_price_minor: int
    quantity: int
    units_good: int | None


class ReturnEventOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    actor: str
    from_state: str
    to_state: str
    reason: str
    location: str


class ReturnOut(Schema):
    id: int
    order: str
    state: str
    state_label: str
    is_free: bool
    buyer_pays_shipping: bool
    buyer_accepted_cost_at: dt.datetime | None
    provider: str
    provider_name: str
    country: str
    return_code: str
    return_point: str
    currency: str
    created_at: dt.datetime
    code_expires_at: dt.datetime
    dropped_off_at: dt.datetime | None
    in_transit_at: dt.datetime | None
    received_at: dt.datetime | None
    inspected_at: dt.datetime | None
    closed_at: dt.datetime | None
    refund_minor: int | None
    lines: list[ReturnLineOut]
    events: list[ReturnEventOut]


class OrderReturnsOut(Schema):
    eligibility: EligibilityOut
    returns: list[ReturnOut]


def return_out(request: ReturnRequest) -> dict:
    return {
        "id": request.pk,
        "order": request.order.number,
        "state": request.state,
        "state_label": str(request.get_state_display()),
        "is_free": request.is_free,
        "buyer_pays_shipping": request.buyer_pays_shipping,
        "buyer_accepted_cost_at": request.buyer_accepted_cost_at,
        "provider": request.provider,
        "provider_name": request.get_provider_name(),
        "country": request.country,
        "return_code": request.return_code,
        "return_point": request.return_point,
        "currency": request.currency,
        "created_at": request.created_at,
        "code_expires_at": request.code_expires_at,
        "dropped_off_at": request.dropped_off_at,
        "in_transit_at": request.in_transit_at,
        "received_at": request.received_at,
        "inspected_at": request.inspected_at,
        "closed_at": request.closed_at,
        "refund_minor": request.refund_minor,
        "lines": [
            {
                "id": line.pk,
                "order_line_id": line.order_line_id,
                "product_title": line.order_line.product_title,
                "variant_label": line.order_line.variant_label,
                "unit_price_minor": line.order_line.unit_price_minor,
                "quantity": line.quantity,
                "units_good": line.units_good,
            }
            for line in request.lines.all()
        ],
        "events": [
            {
                "at": e.at, "kind": e.kind, "label": str(selectors.event_label(e)), "actor": e.actor,
                "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
                "location": e.location,
            }
            for e in request.events.all()
        ],
    }


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and user.is_active)


def _order_for(request, number: str, *, acting: bool) -> Order:
    """The order as its buyer (may act), its seller or staff (read only: 403 to act) see it."""
    user = request.auth
    order = Order.objects.filter(number=number).select_related("store").first()
    if order is not None:
        if order.buyer_id == user.pk:
            return order
        if order.store.owner_id == user.pk or _is_staff(user):
            if acting:
                raise NotAllowed(_("Only the buyer of this order can do this."), code="not_party")
            return order
    raise NotFound(_("There is no such order in your account."))


def _return_for(request, return_id: int, *, acting: bool) -> ReturnRequest:
    found, side = selectors.return_for_viewer(user=request.auth, return_id=return_id)
    if acting and side != "buyer":
        raise NotAllowed(_("Only the buyer of this order can do this."), code="not_party")
    return found


def _fresh(return_id: int) -> dict:
    return return_out(selectors.staff_return_get(return_id=return_id))


@router.get(
    "/orders/{number}/returns", response={200: OrderReturnsOut, **READ_ERRORS},
    summary=_("An order's returns and whether one may start (RET-1…RET-3)"),
)
def order_returns(request, number: Number):
    """The order's returns, oldest first, and `eligibility`: whether a return may start now,
    else why and from when (HLP-4), when the Free Return window ends, whether the next return
    is free (RET-2), the provider serving the shipping country (RET-3) and the units left."""
    order = _order_for(request, number, acting=False)
    block = selectors.free_return_block(order=order, now=clock.now())
    decision = block.decision
    return {
        "eligibility": {
            "allowed": decision.allowed,
            "code": decision.code,
            "reason": str(decision.reason),
            "rule": decision.rule,
            "available_from": decision.available_from,
            "window_ends_at": block.window_ends_at,
            "next_is_free": block.next_is_free,
            "provider": block.provider.slug if block.provider else None,
            "provider_name": block.provider.name if block.provider else None,
            "lines": [
                {"line_id": r.line.pk, "product_title": r.line.product_title, "quantity": r.line.quantity,
                 "units_left": r.units_left}
                for r in block.lines
            ],
        },
        "returns": [return_out(r) for r in block.returns],
    }


@router.post(
    "/orders/{number}/returns", response={201: ReturnOut, **ERRORS},
    summary=_("Start a return: get a return code (RET-1…RET-3)"),
)
def order_return_create(request, number: Number, payload: ReturnCreateIn):
    """Send back Free Return items, for any reason, within the window after receipt (RET-1):
    answers 201 with the return code, the provider's local return point and the code's expiry.
    The order's first return is free; a later one is at your cost and needs
    `accept_paid_shipping: true` (422 `paid_return_not_accepted` otherwise, RET-2). When a
    return may not start, 403 with the rule's code and reason (e.g. `window_passed`,
    `not_received_yet`); a bad line or quantity is 422 with a message under `lines.<line id>`."""
    order = _order_for(request, number, acting=True)
    created = services.return_request_create(
        order=order, buyer=request.auth, now=clock.now(),
        lines=[{"line_id": line.line_id, "quantity": line.quantity} for line in payload.lines],
        accept_paid_shipping=payload.accept_paid_shipping,
    )
    return Status(201, _fresh(created.pk))


@router.get("/returns/{return_id}", response={200: ReturnOut, **READ_ERRORS}, summary=_("One return"))
def return_get(request, return_id: PathId):
    """A return with its lines, the units found in good condition once inspected, the refund
    and the status timeline (the provider's updates, RET-3)."""
    return return_out(_return_for(request, return_id, acting=False))


@router.post("/returns/{return_id}/cancel", response={200: ReturnOut, **ERRORS}, summary=_("Cancel a return"))
def return_cancel(request, return_id: PathId):
    """Give up the return before the parcel is dropped off (403 `handed_over` once it was)."""
    found = _return_for(request, return_id, acting=True)
    services.return_cancel(request=found, buyer=request.auth, now=clock.now())
    return _fresh(found.pk)
