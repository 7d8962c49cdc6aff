"""The seller center's returns (RET-3, RET-4), under /seller/returns/: the store's returns with
their state, and one return read-only (the warehouse decides the refund, not the seller).
A return of another store is a 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import clock
from core.errors import NotFound
from returns import selectors
from returns.states import ReturnState
from sellercenter.selectors import store_of

PER_PAGE = 25


def _with_store(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        store = store_of(user=request.user)
        if store is None:
            if "pk" in kwargs:
                raise Http404("No such return")
            messages.info(request, _("Open your store first; its returns will be listed here."))
            return redirect("sellercenter:home")
        return view(request, *args, store=store, **kwargs)

    return wrapper


@_with_store
@require_GET
def return_list(request: HttpRequest, *, store) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in ("open", "all", *ReturnState.values):
        state = "open"
    returns = selectors.seller_returns(store=store, state=state)
    page = Paginator(returns, PER_PAGE).get_page(request.GET.get("page"))
    filters = [("open", _("Open")), ("all", _("All"))] + [(s.value, s.label) for s in ReturnState]
    return render(request, "returns/seller_list.html", {
        "store": store, "page": page, "state": state, "filters": filters,
    })


@_with_store
@require_GET
def return_detail(request: HttpRequest, pk: int, *, store) -> HttpResponse:
    try:
        ret = selectors.seller_return_get(store=store, return_id=pk)
    except NotFound:
        raise Http404("No such return") from None
    return render(request, "returns/seller_detail.html", {
        "store": store, "ret": ret, "order": ret.order, "now": clock.now(),
        "steps": selectors.return_steps(ret),
        "events": [(e, selectors.event_label(e)) for e in ret.events.all()],
        "viewer": "seller",
    })
