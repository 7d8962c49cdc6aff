"""Buyer pages of Free Return (RET-1…RET-4): start a return from the order page's block,
the return page (code, return point, status timeline, refund) and cancelling before drop-off.
Thin: parse, call one service or selector, render. Another person's return is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core import clock
from core.errors import DomainError, NotFound
from orders import selectors as order_selectors
from orders.views import buyer_required
from returns import selectors, services
from returns.rules import check_cancel_return
from returns.templatetags.returns_tags import block_context

BLOCK = "returns/_free_return_block.html"


def _own_order(request: HttpRequest, number: str):
    try:
        return order_selectors.buyer_order_get(buyer=request.user, number=number)
    except NotFound:
        raise Http404("No such order") from None


def _own_return(request: HttpRequest, pk: int):
    try:
        return selectors.buyer_return_get(buyer=request.user, return_id=pk)
    except NotFound:
        raise Http404("No such return") from None


def _parse_lines(request: HttpRequest) -> tuple[dict[int, int], dict[int, str], dict[str, list[str]]]:
    """The form's qty_<line id> fields: ({line id: units > 0}, {line id: raw value}, errors)."""
    chosen, raw, errors = {}, {}, {}
    for name, value in request.POST.items():
        if not name.startswith("qty_"):
            continue
        key = name.removeprefix("qty_")
        if not key.isdigit() or len(key) > 18:
            continue
        line_id = int(key)
        raw[line_id] = value
        text = (value or "").strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 6:
            errors[f"lines.{line_id}"] = [_("Enter a whole number of units, 0 or more.")]
            continue
        if int(text):
            chosen[line_id] = int(text)
    if not chosen and not errors:
        errors["lines"] = [_("Choose at least one unit to send back.")]
    return chosen, raw, errors


@buyer_required
@require_POST
def return_start(request: HttpRequest, number: str) -> HttpResponse:
    """RET-1…RET-3: start a return; success goes to the return page with its code."""
    order = _own_order(request, number)
    chosen, raw, errors = _parse_lines(request)
    error = ""
    if not errors:
        try:
            created = services.return_request_create(
                order=order, buyer=request.user, lines=chosen, now=clock.now(),
                accept_paid_shipping=request.POST.get("accept_paid_shipping") in ("1", "on", "true"),
            )
        except DomainError as exc:
            errors = dict(exc.fields)
            if not exc.fields:
                error = exc.message
        else:
            url = reverse("returns:detail", args=[created.pk])
            done = _("Your return code is ready: %(code)s.") % {"code": created.return_code}
            messages.success(request, done)
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = block_context(request=request, order=order, errors=errors, values=raw, error=error)
    if request.htmx:  # htmx swaps 2xx answers only
        return render(request, BLOCK, context)
    return render(request, "returns/start.html", context, status=422)  # the form again, with its errors


def _detail_context(request: HttpRequest, ret, *, error: str = "") -> dict:
    now = clock.now()
    return {
        "ret": ret,
        "order": ret.order,
        "now": now,
        "steps": selectors.return_steps(ret),
        "events": [(e, selectors.event_label(e)) for e in ret.events.all()],
        "can_cancel": check_cancel_return(ret, now),
        "error": error,
        "viewer": "buyer",
    }


@buyer_required
@require_GET
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "returns/return_detail.html", _detail_context(request, _own_return(request, pk)))


@buyer_required
@require_POST
def return_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    ret = _own_return(request, pk)
    try:
        services.return_cancel(request=ret, buyer=request.user, now=clock.now())
    except DomainError as exc:
        context = _detail_context(request, _own_return(request, pk), error=exc.message)
        return render(request, "returns/return_detail.html", context, status=exc.status)
    messages.success(
        request, _("The return is cancelled. You can start another one while the window is open.")
    )
    return redirect("returns:detail", pk=pk)
