"""Who may start, cancel and inspect a Free Return, and when — with the reason when not (HLP-4).

Each `check_*` returns an orders.rules.Decision (allowed, code, reason, available_from,
rule). The services raise when a decision says no; the order page and the API show the
same decision's reason and date, so the explanation never disagrees with the enforcement.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from core.countries import country_name
from core.policy import policy
from orders.models import Order, OrderLine
from orders.rules import OK, Decision
from orders.states import State
from returns.models import ReturnLine, ReturnRequest
from returns.providers import provider_for_country
from returns.states import ReturnState

# Returns that no longer hold their units or their free slot: nothing was handed over.
GIVEN_UP = (ReturnState.EXPIRED, ReturnState.CANCELLED)


def _no(code: str, reason: str, rule: str, available_from: dt.datetime | None = None) -> Decision:
    return Decision(False, code, reason, available_from, rule)


def _date(instant: dt.datetime) -> str:
    return date_format(localtime(instant, dt.UTC), "j M Y, H:i") + " UTC"


def receipt_anchor(order: Order) -> dt.datetime | None:
    """RET-1: when the items count as received — the confirmed receipt, or the promised
    delivery time (PST) if that came first (the anchor of buyer protection, BP-2)."""
    anchors = [t for t in (order.received_at, order.promised_delivery_at) if t is not None]
    return min(anchors) if anchors else None


def window_end(order: Order) -> dt.datetime | None:
    """RET-1: the Free Return window closes this long after receipt."""
    anchor = receipt_anchor(order)
    return None if anchor is None else anchor + policy.free_return_window


def free_return_lines(order: Order) -> list[OrderLine]:
    """The order's lines whose product offers Free Return (the catalog flag, RET-1)."""
    return [
        line for line in order.lines.select_related("variant__product").order_by("pk")
        if line.variant is not None and line.variant.product.free_return
    ]


def units_in_returns(order: Order) -> dict[int, int]:
    """Order line id → units already in a return that was not given up."""
    rows = (
        ReturnLine.objects.filter(request__order=order)
        .exclude(request__state__in=GIVEN_UP)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def returnable_units(order: Order) -> dict[int, int]:
    """RET-1 / RET-2: Free Return line id → units that may still be returned: not in a return, and
    not refunded or claimed by a dispute (orders.selectors.units_claimable; 0 when none is left)."""
    from orders.selectors import units_claimable

    left = units_claimable(order)
    return {line.pk: left.get(line.pk, 0) for line in free_return_lines(order)}


def lines_taken_by_disputes(order: Order) -> set[int]:
    """Free Return line ids some of whose units a dispute refunded or claims (not only returns):
    the refusal then says so (DSP-1 / RET-1)."""
    from orders.selectors import units_claimable

    left, in_returns = units_claimable(order), units_in_returns(order)
    return {
        line.pk for line in free_return_lines(order)
        if left.get(line.pk, 0) < max(0, line.quantity - in_returns.get(line.pk, 0))
    }


def next_return_is_free(order: Order) -> bool:
    """RET-2: one free return per order; a code that expired or was cancelled unused gives it back."""
    used = order.returns.filter(is_free=True).exclude(state__in=GIVEN_UP).count()
    return used < policy.free_returns_per_order


def dispute_open(order: Order) -> bool:
    """Whether a dispute is open on the order (the disputes app's own selector, when installed)."""
    from django.apps import apps

    if not apps.is_installed("disputes"):
        return False
    from disputes.selectors import order_has_open_dispute

    return order_has_open_dispute(order)


def check_request_return(order: Order, now: dt.datetime) -> Decision:
    """RET-1: Free Return items, for any reason, within the window after receipt."""
    if order.state in (State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING):
        return _no("not_paid", _("This order is not paid yet, so there is nothing to return."), "RET-1")
    if order.state == State.AWAITING_SHIPMENT:
        return _no(
            "not_shipped",
            _("The seller has not shipped this order yet. Before shipment you can ask to cancel it instead."),
            "RET-1",
        )
    if order.state == State.CLOSED:
        return _no("order_closed", _("This order is closed, so it cannot be returned."), "RET-1")
    if not free_return_lines(order):
        return _no(
            "not_free_return",
            _("None of the items in this order offers Free Return. If something is wrong with them, "
              "open a dispute instead."),
            "RET-1",
        )
    if provider_for_country(order.ship_country) is None:
        return _no(
            "no_provider",
            _("Free Return is not offered for deliveries to %(country)s: no return provider serves it. "
              "If something is wrong with the items, open a dispute instead.")
            % {"country": country_name(order.ship_country)},
            "RET-3",
        )
    anchor, end = receipt_anchor(order), window_end(order)
    if anchor is None or now < anchor:
        return _no(
            "not_received_yet",
            _("A return can start once the items have arrived: confirm receipt on this page, or wait "
              "until the promised delivery time."),
            "RET-1",
            available_from=anchor,
        )
    if now >= end:
        return _no(
            "window_passed",
            _("The Free Return window ended on %(date)s: items may be returned within %(days)s days "
              "of receipt.") % {"date": _date(end), "days": policy.free_return_window.days},
            "RET-1",
        )
    if order.state != State.SHIPPED:
        return _no(
            "order_completed",
            _("Buyer protection has ended and this order is completed, so it can no longer be returned."),
            "RET-1",
        )
    if dispute_open(order):
        return _no(
            "dispute_open",
            _("A dispute is open on this order: it settles the refund, so a return cannot start "
              "alongside it."),
            "RET-1",
        )
    if not any(returnable_units(order).values()):
        if lines_taken_by_disputes(order):
            return _no(
                "nothing_left",
                _("Every Free Return item of this order is already in a return or was refunded in a "
                  "dispute."),
                "RET-2",
            )
        return _no(
            "nothing_left",
            _("Every Free Return item of this order is already in a return."),
            "RET-2",
        )
    return OK


def check_cancel_return(request: ReturnRequest, now: dt.datetime) -> Decision:
    """RET-3: the buyer may give up a return until the parcel is dropped off."""
    if request.state == ReturnState.CODE_ISSUED:
        return OK
    if request.state in (ReturnState.EXPIRED, ReturnState.CANCELLED, ReturnState.INSPECTED):
        return _no("return_finished", _("This return is already finished."), "RET-3")
    return _no(
        "handed_over",
        _("The parcel has already been handed to the return provider; the return goes on."),
        "RET-3",
    )


def check_inspect(request: ReturnRequest, now: dt.datetime) -> Decision:
    """RET-4: the warehouse reports what arrived once the parcel is on its way or received."""
    if request.state in (ReturnState.DROPPED_OFF, ReturnState.IN_TRANSIT, ReturnState.RECEIVED):
        return OK
    if request.state == ReturnState.CODE_ISSUED:
        return _no("not_dropped_off", _("The parcel has not been dropped off yet."), "RET-4")
    if request.state == ReturnState.INSPECTED:
        return _no("already_inspected", _("This return was already inspected and its refund decided."),
                   "RET-4")
    return _no("return_finished", _("This return ended without a parcel: nothing to inspect."), "RET-4")
