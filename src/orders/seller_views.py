"""The seller's order pages (ORD-4, ORD-5, ORD-6, BP-4), under /seller/orders/.

`order_list` shows the store's orders by tab; the default tab lists the orders
to ship, the soonest ship-by deadline first, each with what the seller must
answer and by when. `order_detail` shows one order (lines, the buyer's
shipping address, the timeline, tracking, the countdowns) and the seller's
actions: each is offered only when orders.rules allows it, and otherwise the
rule's reason is shown instead — the same functions the services enforce.

Every page needs a signed-in store owner; an order of another store is a 404.
Actions post normal forms (redirect after success) and, with htmx, swap the
order panel in place. Errors come back on the form, never as a 500.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Store
from core import clock
from core.errors import DomainError
from orders import services
from orders.carriers import tracking_links
from orders.forms_seller import (
    CancellationAnswerForm,
    ExtensionAnswerForm,
    ShipForm,
    TrackingEventForm,
)
from orders.models import CancellationRequest, ExtensionRequest, Order, RequestStatus, TrackingEvent
from orders.rules import check_add_tracking, check_answer_cancellation, check_answer_extension, check_ship
from orders.states import Actor, CloseReason, State

ORDERS_PER_PAGE = 25
UNPAID = (State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING, State.PAYMENT_VERIFYING)

# (key, label) of the list's tabs, in the order shown.
TABS = [
    ("to_ship", gettext_lazy("Awaiting shipment")),
    ("cancellation", gettext_lazy("Cancellation requests")),
    ("extension", gettext_lazy("Extension requests")),
    ("shipped", gettext_lazy("Shipped")),
    ("unpaid", gettext_lazy("Not paid yet")),
    ("completed", gettext_lazy("Completed")),
    ("closed", gettext_lazy("Closed")),
]
TAB_KEYS = {key for key, _ in TABS}

EVENT_LABELS = {
    "placed": gettext_lazy("Order placed"),
    "paid": gettext_lazy("Payment received"),
    "shipped": gettext_lazy("Marked as shipped"),
    "cancellation_requested": gettext_lazy("The buyer asked to cancel"),
    "cancellation_refused": gettext_lazy("Cancellation refused"),
    "extension_requested": gettext_lazy("The buyer asked for more protection time"),
    "extension_accepted": gettext_lazy("Extension accepted"),
    "extension_refused": gettext_lazy("Extension refused"),
    "receipt_confirmed": gettext_lazy("The buyer confirmed receipt"),
    "security_review": gettext_lazy("Closed by the security review"),
    "protection_ended": gettext_lazy("Buyer protection ended; order completed"),
}
# The state names are written for buyers ("The seller has shipped your order"); sellers read these.
SELLER_STATE_LABELS = {State.SHIPPED: gettext_lazy("Shipped")}


def event_label(kind: str) -> str | None:
    if kind in CloseReason.values:
        return gettext("Closed: %(reason)s") % {"reason": CloseReason(kind).label}
    return EVENT_LABELS.get(kind)


def state_label(state: str) -> str:
    return SELLER_STATE_LABELS.get(state) or State(state).label


ACTOR_LABELS = {
    Actor.BUYER: gettext_lazy("by the buyer"),
    Actor.SELLER: gettext_lazy("by you"),
    Actor.STAFF: gettext_lazy("by our staff"),
    Actor.SYSTEM: gettext_lazy("automatically"),
}


# --- access -------------------------------------------------------------------------------------


def _store_of(user) -> Store | None:
    return Store.objects.filter(owner=user).first()


def _with_store(*, list_page: bool):
    """Sign-in required; the view gets the person's store. Without a store: the seller center
    home for the list, a 404 for an order (an order is never shown to anyone but its seller)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            store = _store_of(request.user)
            if store is None:
                if list_page:
                    messages.info(request, gettext("Open your store first; your orders will be listed here."))
                    return redirect("sellercenter:home")
                raise Http404("No such order")
            return view(request, *args, store=store, **kwargs)

        return wrapper

    return decorate


seller_list_view = _with_store(list_page=True)
seller_order_view = _with_store(list_page=False)


def _order(store: Store, number: str) -> Order:
    order = (
        Order.objects.select_related("store", "shipping_method", "buyer")
        .filter(store=store, number=number)
        .first()
    )
    if order is None:
        raise Http404("No such order")
    return order


# --- the list -----------------------------------------------------------------------------------


def _annotated(store: Store):
    pending_cancel = CancellationRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
    pending_ext = ExtensionRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
    return Order.objects.filter(store=store).annotate(
        cancel_due=Subquery(pending_cancel.values("answer_due_at")[:1]),
        extension_days_asked=Subquery(pending_ext.values("days")[:1]),
    )


TAB_FILTERS = {
    "to_ship": (Q(state=State.AWAITING_SHIPMENT), [F("ship_by").asc(nulls_last=True), "pk"]),
    "cancellation": (
        Q(state=State.AWAITING_SHIPMENT, cancel_due__isnull=False), [F("cancel_due").asc(), "pk"]
    ),
    "extension": (
        Q(state=State.SHIPPED, extension_days_asked__isnull=False),
        [F("protection_ends_at").asc(nulls_last=True), "pk"],
    ),
    "shipped": (Q(state=State.SHIPPED), [F("shipped_at").desc(nulls_last=True), "-pk"]),
    "unpaid": (Q(state__in=UNPAID), ["-placed_at", "-pk"]),
    "completed": (Q(state=State.COMPLETED), [F("completed_at").desc(nulls_last=True), "-pk"]),
    "closed": (Q(state=State.CLOSED), [F("closed_at").desc(nulls_last=True), "-pk"]),
}


def seller_order_counts(store: Store) -> dict[str, int]:
    """How many orders each tab holds, in one query."""
    return _annotated(store).aggregate(
        **{key: Count("pk", filter=condition) for key, (condition, _) in TAB_FILTERS.items()}
    )


def seller_orders(store: Store, *, tab: str, q: str = ""):
    condition, ordering = TAB_FILTERS[tab]
    orders = _annotated(store).filter(condition)
    if q:
        orders = orders.filter(Q(number__icontains=q) | Q(tracking_number__iexact=q))
    return orders.prefetch_related("lines").order_by(*ordering)


def order_todo(order: Order) -> dict:
    """What the seller must do about `order` and by when (for the list's rows)."""
    if order.state == State.AWAITING_SHIPMENT:
        if getattr(order, "cancel_due", None):
            return {"text": gettext("Answer the buyer's cancellation request"), "due": order.cancel_due,
                    "rule": "ORD-5", "urgent": True,
                    "note": gettext("Without an answer by then, the order is cancelled and refunded.")}
        return {"text": gettext("Ship with a tracking number"), "due": order.ship_by, "rule": "ORD-4",
                "urgent": True, "note": gettext("Not shipped by then, it closes with a full refund.")}
    if order.state == State.SHIPPED:
        days = getattr(order, "extension_days_asked", None)
        if days:
            return {"text": ngettext("Answer the request for %(days)s more day of protection",
                                     "Answer the request for %(days)s more days of protection",
                                     days) % {"days": days},
                    "due": order.protection_ends_at, "rule": "BP-4",
                    "urgent": True, "note": gettext("The request lapses when buyer protection ends.")}
        return {"text": gettext("Nothing to do; buyer protection ends"), "due": order.protection_ends_at,
                "rule": "BP-2", "urgent": False, "note": ""}
    if order.state in UNPAID:
        return {"text": gettext("Waiting for the buyer's payment: do not ship yet"), "due": None,
                "rule": "ORD-3", "urgent": False, "note": ""}
    if order.state == State.CLOSED:
        return {"text": gettext("Closed: %(reason)s") % {"reason": order.get_close_reason_display()},
                "due": None, "rule": "ORD-2",
                "urgent": False, "note": ""}
    return {"text": gettext("Completed"), "due": None, "rule": "ORD-7", "urgent": False, "note": ""}


@require_GET
@seller_list_view
def order_list(request: HttpRequest, *, store: Store) -> HttpResponse:
    tab = request.GET.get("tab", "to_ship")
    if tab not in TAB_KEYS:
        tab = "to_ship"
    q = "".join(request.GET.get("q", "").split())[:80]
    page = Paginator(seller_orders(store, tab=tab, q=q), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    counts = seller_order_counts(store)
    rows = [{"order": order, "todo": order_todo(order), "lines": list(order.lines.all()),
             "state_label": state_label(order.state)} for order in page.object_list]
    context = {
        "store": store, "tab": tab, "q": q, "page": page, "rows": rows, "now": clock.now(),
        "tabs": [{"key": key, "label": label, "count": counts[key]} for key, label in TABS],
        "tab_label": dict(TABS)[tab],
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "orders/seller/_list.html" if partial else "orders/seller/list.html"
    return render(request, template, context)


# --- one order ----------------------------------------------------------------------------------


def _timeline(order: Order) -> list[dict]:
    return [
        {
            "event": event,
            "label": event_label(event.kind)
            or (event.kind.removeprefix("to_").replace("_", " ").capitalize()),
            "actor": ACTOR_LABELS.get(event.actor, event.actor),
            "change": (state_label(event.from_state), state_label(event.to_state))
            if event.from_state and event.to_state and event.from_state != event.to_state
            else None,
        }
        for event in order.events.select_related("actor_user")
    ]


def _deadlines(order: Order, pending_cancel) -> list[dict]:
    """The countdowns that matter to the seller now (ORD-4, ORD-5, ORD-6, BP-2)."""
    found = []
    if order.state == State.AWAITING_SHIPMENT and order.ship_by:
        found.append({"label": gettext("Ship by"), "at": order.ship_by, "rule": "ORD-4",
                      "note": gettext("Not shipped by then, the order closes and the buyer is refunded "
                                      "in full.")})
    if pending_cancel:
        found.append({"label": gettext("Answer the cancellation request by"),
                      "at": pending_cancel.answer_due_at, "rule": "ORD-5",
                      "note": gettext("Without an answer, the order is cancelled and refunded.")})
    if order.state == State.SHIPPED:
        if order.promised_delivery_at:
            found.append({"label": gettext("Promised delivery"), "at": order.promised_delivery_at,
                          "rule": "ORD-6", "note": gettext("Shipment time plus the delivery estimate.")})
        if order.protection_ends_at:
            found.append({"label": gettext("Buyer protection ends"), "at": order.protection_ends_at,
                          "rule": "BP-2",
                          "note": gettext("Then the order completes and the payment is released.")})
    return found


def _detail_context(request: HttpRequest, store: Store, order: Order, now: dt.datetime, *,
                    forms: dict | None = None, notice: str = "", error: str = "") -> dict:
    forms = forms or {}
    pending_cancel = order.cancellation_requests.filter(status=RequestStatus.PENDING).first()
    pending_ext = order.extension_requests.filter(status=RequestStatus.PENDING).first()
    suggested = order.shipping_method.carrier if order.shipping_method else ""
    return {
        "store": store,
        "order": order,
        "state_label": state_label(order.state),
        "now": now,
        "notice": notice,
        "error": error,
        "lines": list(order.lines.all()),
        "timeline": _timeline(order),
        "deadlines": _deadlines(order, pending_cancel),
        "tracking_events": list(order.tracking_events.all()),
        "tracking_links": tracking_links(order.carrier, order.tracking_number),
        "pending_cancel": pending_cancel,
        "pending_ext": pending_ext,
        "answered_cancels": order.cancellation_requests.exclude(status=RequestStatus.PENDING),
        "answered_exts": order.extension_requests.exclude(status=RequestStatus.PENDING),
        "can": {
            "ship": check_ship(order, now),
            "cancellation": check_answer_cancellation(order, now),
            "extension": check_answer_extension(order, now),
            "tracking": check_add_tracking(order, now),
        },
        "ship_form": forms.get("ship") or ShipForm(suggested_carrier=suggested),
        "cancel_form": forms.get("cancellation") or CancellationAnswerForm(),
        "tracking_form": forms.get("tracking") or TrackingEventForm(now=now),
        "show_tracking_form": "tracking" in forms,
        "unpaid": order.state in UNPAID,
        "dispute": order.disputes.order_by("-is_open", "-opened_at").first(),  # DSP-2: link to it
    }


def _render_detail(request: HttpRequest, store: Store, number: str, now: dt.datetime, *,
                   status: int = 200, **kwargs) -> HttpResponse:
    order = _order(store, number)  # fresh: an action may have changed it
    context = _detail_context(request, store, order, now, **kwargs)
    if request.htmx:
        # htmx swaps only 2xx answers; the panel carries the error itself.
        return render(request, "orders/seller/_detail.html", context)
    return render(request, "orders/seller/detail.html", context, status=status)


@require_GET
@seller_order_view
def order_detail(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    _order(store, number)
    return _render_detail(request, store, number, clock.now())


def _done(request: HttpRequest, store: Store, number: str, now: dt.datetime, notice: str) -> HttpResponse:
    if request.htmx:
        return _render_detail(request, store, number, now, notice=notice)
    messages.success(request, notice)
    return redirect(reverse("seller_orders:detail", args=[number]))


def _act(request: HttpRequest, store: Store, number: str, *, key: str, form, call, notice) -> HttpResponse:
    """Validate `form`, run `call(order, now, **form kwargs)`; show the result or the errors."""
    order = _order(store, number)
    now = clock.now()
    if not form.is_valid():
        return _render_detail(request, store, number, now, forms={key: form}, status=422)
    try:
        call(order, now, **form.service_kwargs())
    except DomainError as error:
        if error.fields:
            form.show_domain_error(error)
            return _render_detail(request, store, number, now, forms={key: form}, status=422)
        return _render_detail(request, store, number, now, error=error.message, status=error.status)
    return _done(request, store, number, now, notice(form))


@require_POST
@seller_order_view
def order_ship(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    """ORD-6: mark shipped with a carrier and a tracking number."""
    return _act(
        request, store, number, key="ship", form=ShipForm(request.POST),
        call=lambda order, now, **kw: services.order_mark_shipped(
            order=order, seller=request.user, now=now, **kw),
        notice=lambda form: gettext("Marked as shipped with %(carrier)s, tracking %(tracking)s. "
                                    "The buyer has been told.") % {
            "carrier": form.cleaned_data["carrier_name"], "tracking": form.cleaned_data["tracking_number"]},
    )


@require_POST
@seller_order_view
def order_cancellation_answer(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    """ORD-5: accept (the order closes, refunded) or refuse the buyer's cancellation request."""
    return _act(
        request, store, number, key="cancellation", form=CancellationAnswerForm(request.POST),
        call=lambda order, now, **kw: services.cancellation_answer(
            order=order, seller=request.user, now=now, **kw),
        notice=lambda form: gettext("You accepted the cancellation: the order is closed and the buyer "
                                    "refunded.")
        if form.cleaned_data["answer"] == "accept"
        else gettext("You refused the cancellation: the order goes on. Ship it before the deadline."),
    )


@require_POST
@seller_order_view
def order_extension_answer(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    """BP-4: accept (promised delivery and protection move by N days) or refuse."""
    return _act(
        request, store, number, key="extension", form=ExtensionAnswerForm(request.POST),
        call=lambda order, now, **kw: services.extension_answer(
            order=order, seller=request.user, now=now, **kw),
        notice=lambda form: gettext("You accepted the extension: the promised delivery time and buyer "
                                    "protection moved.") if form.cleaned_data["answer"] == "accept"
        else gettext("You refused the extension: nothing changes."),
    )


@require_POST
@seller_order_view
def order_tracking_add(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    """ORD-6: record a carrier scan by hand (source "seller")."""
    return _act(
        request, store, number, key="tracking", form=TrackingEventForm(request.POST, now=clock.now()),
        call=lambda order, now, **kw: services.tracking_event_record(
            order=order, now=now, source=TrackingEvent.Source.SELLER, **kw),
        notice=lambda form: gettext("Tracking event added: %(status)s.") % {
            "status": TrackingEvent.Status(form.cleaned_data["status"]).label},
    )
