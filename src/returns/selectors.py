"""Reads of Free Returns: who may see which return, the refund arithmetic (RET-4), the
order page's Free Return block (HLP-4) and the lists of the seller center and back office."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from orders.models import Order
from orders.rules import Decision
from returns import rules
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from returns.providers import ReturnProvider, provider_for_country
from returns.states import OPEN, ReturnState


def order_has_open_return(order) -> bool:
    """RET-4: a return not finished yet keeps the order's payment in escrow (a ledger
    release blocker, registered in ReturnsConfig.ready)."""
    order_id = getattr(order, "pk", order)
    return ReturnRequest.objects.filter(order_id=order_id, state__in=OPEN).exists()


def _detail_qs() -> QuerySet[ReturnRequest]:
    related = ReturnRequest.objects.select_related("order__store", "buyer", "refund", "inspected_by")
    return related.prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("pk")),
        Prefetch("events", queryset=ReturnEvent.objects.order_by("at", "pk")),
    )


def _is_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_staff", False) and user.is_active)


def return_for_viewer(*, user, return_id: int) -> tuple[ReturnRequest, str]:
    """The return and how `user` sees it: "buyer", "seller" or "staff". Anyone else → NotFound
    (whether or not it exists)."""
    request = _detail_qs().filter(pk=return_id).first()
    if request is not None and user is not None and user.is_authenticated:
        if request.buyer_id == user.pk:
            return request, "buyer"
        if request.order.store.owner_id == user.pk:
            return request, "seller"
        if _is_staff(user):
            return request, "staff"
    raise NotFound(gettext("There is no such return in your account."))


def buyer_return_get(*, buyer, return_id: int) -> ReturnRequest:
    request = _detail_qs().filter(pk=return_id, buyer_id=getattr(buyer, "pk", None)).first()
    if request is None:
        raise NotFound(gettext("There is no such return in your account."))
    return request


def seller_return_get(*, store, return_id: int) -> ReturnRequest:
    request = _detail_qs().filter(pk=return_id, order__store=store).first()
    if request is None:
        raise NotFound(gettext("There is no such return for your store."))
    return request


def staff_return_get(*, return_id: int) -> ReturnRequest:
    request = _detail_qs().filter(pk=return_id).first()
    if request is None:
        raise NotFound(gettext("No such return."))
    return request


def order_returns(*, order: Order) -> QuerySet[ReturnRequest]:
    return _detail_qs().filter(order=order).order_by("created_at", "pk")


def seller_returns(*, store, state: str = "") -> QuerySet[ReturnRequest]:
    qs = _detail_qs().filter(order__store=store).order_by("-created_at", "-pk")
    if state == "open":
        qs = qs.filter(state__in=OPEN)
    elif state in ReturnState.values:
        qs = qs.filter(state=state)
    return qs


def inspection_queue() -> QuerySet[ReturnRequest]:
    """Back office: parcels handed over and not inspected yet, the oldest first."""
    handed = (ReturnState.DROPPED_OFF, ReturnState.IN_TRANSIT, ReturnState.RECEIVED)
    return _detail_qs().filter(state__in=handed).order_by("created_at", "pk")


# --- RET-4: the refund of an inspected return ---------------------------------------------------


def paid_for_items_minor(order: Order) -> int:
    """What the buyer paid for the goods: the order total less its shipping (so any discount
    that lowered the total lowers each unit's share too)."""
    return max(0, min(order.items_total_minor, order.total_minor - order.shipping_total_minor))


def refund_for_units(*, order: Order, units: list[tuple[int, int]]) -> int:
    """RET-4: the refund for `units` [(unit price, units in good condition)]: each good unit's
    share of what was paid for the goods, rounded down to a whole minor unit (so returns of
    the same order never add up to more than was paid). No good unit → 0."""
    value = sum(price * good for price, good in units)
    if value <= 0 or order.items_total_minor <= 0:
        return 0
    return value * paid_for_items_minor(order) // order.items_total_minor


# --- the order page's Free Return block (RET-1, RET-2, RET-3, HLP-4) ----------------------------


@dataclass(frozen=True)
class ReturnableLine:
    line: object  # orders.OrderLine
    units_left: int


@dataclass
class FreeReturnBlock:
    decision: Decision
    window_ends_at: dt.datetime | None
    next_is_free: bool
    provider: ReturnProvider | None
    lines: list[ReturnableLine] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    has_free_items: bool = False

    @property
    def shown(self) -> bool:
        """Only orders with a Free Return item (or a return already) show the block."""
        return self.has_free_items or bool(self.returns)


def free_return_block(*, order: Order, now: dt.datetime) -> FreeReturnBlock:
    free_lines = rules.free_return_lines(order)
    if not free_lines and not order.returns.exists():  # most orders: nothing to show, two queries
        return FreeReturnBlock(
            decision=Decision(False, "not_free_return", "", None, "RET-1"), window_ends_at=None,
            next_is_free=False, provider=None,
        )
    left = rules.returnable_units(order) if free_lines else {}
    return FreeReturnBlock(
        decision=rules.check_request_return(order, now),
        window_ends_at=rules.window_end(order),
        next_is_free=rules.next_return_is_free(order),
        provider=provider_for_country(order.ship_country),
        lines=[ReturnableLine(line, left.get(line.pk, 0)) for line in free_lines],
        returns=list(order_returns(order=order)),
        has_free_items=bool(free_lines),
    )


# --- the status timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    state: str
    label: str
    at: dt.datetime | None
    done: bool


def return_steps(request: ReturnRequest) -> list[Step]:
    """The return's progress for its page: code issued → dropped off → in transit → received →
    inspected, each with its time once reached (an ended return shows how it ended)."""
    if request.state in (ReturnState.EXPIRED, ReturnState.CANCELLED):
        ended = ReturnState(request.state)
        return [
            Step(ReturnState.CODE_ISSUED, ReturnState.CODE_ISSUED.label, request.created_at, True),
            Step(ended, ended.label, request.closed_at, True),
        ]
    stamps = [
        (ReturnState.CODE_ISSUED, request.created_at),
        (ReturnState.DROPPED_OFF, request.dropped_off_at),
        (ReturnState.IN_TRANSIT, request.in_transit_at),
        (ReturnState.RECEIVED, request.received_at),
        (ReturnState.INSPECTED, request.inspected_at),
    ]
    return [Step(state, state.label, at, at is not None) for state, at in stamps]


EVENT_LABELS = {
    "code_issued": _("Return code issued"),
    "cancelled": _("Cancelled by the buyer"),
    "expired": _("Return code expired unused"),
    "provider_update": _("Update from the return provider"),
    "provider_update_ignored": _("Late update from the return provider (already further along)"),
    "inspected": _("Checked by the warehouse"),
}


def event_label(event: ReturnEvent):
    if event.kind in EVENT_LABELS:
        return EVENT_LABELS[event.kind]
    return event.kind.replace("_", " ").capitalize()
