"""Back office for Free Return (RET-4, OPS-1): the parcels handed over and not yet inspected,
the oldest first, and one return with the warehouse inspection form (units in good condition
per line → the refund). Staff only (anyone else gets 404); every inspection is audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from appeals.backoffice_views import staff_required
from core import clock
from core.errors import DomainError, NotFound
from returns import selectors, services
from returns.rules import check_inspect
from returns.states import ReturnActor


def _get(pk: int):
    try:
        return selectors.staff_return_get(return_id=pk)
    except NotFound:
        raise Http404("No such return") from None


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    context = {"rows": selectors.inspection_queue(), "now": clock.now()}
    return render(request, "returns/backoffice_queue.html", context)


def _context(ret, *, errors=None, values=None, error: str = "", note: str = "") -> dict:
    now = clock.now()
    errors, values = errors or {}, values or {}
    return {
        "ret": ret, "order": ret.order, "now": now, "viewer": "staff",
        "steps": selectors.return_steps(ret),
        "events": [(e, selectors.event_label(e)) for e in ret.events.all()],
        "can_inspect": check_inspect(ret, now),
        "rows": [
            {"line": line, "value": values.get(line.pk, ""), "errors": errors.get(f"lines.{line.pk}", [])}
            for line in ret.lines.all()
        ],
        "errors": errors, "error": error, "note": note,
    }


@staff_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "returns/backoffice_detail.html", _context(_get(pk)))


@staff_required
@require_POST
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    ret = _get(pk)
    raw, units, errors = {}, {}, {}
    for line in ret.lines.all():
        text = (request.POST.get(f"good_{line.pk}") or "").strip()
        raw[line.pk] = text
        if not text.isdigit() or len(text) > 6:
            message = _("Enter the units in good condition: a whole number from 0 to %(n)s.")
            errors[f"lines.{line.pk}"] = [message % {"n": line.quantity}]
        else:
            units[line.pk] = int(text)
    note = request.POST.get("note", "")
    if not errors:
        try:
            services.return_inspect(
                request=ret, units_good=units, actor=ReturnActor.STAFF, staff=request.user, note=note,
                now=clock.now(),
            )
        except DomainError as exc:
            errors = dict(exc.fields)
            context = _context(_get(pk), errors=errors, values=raw, error=exc.message, note=note)
            return render(request, "returns/backoffice_detail.html", context, status=exc.status)
        done = _("Return %(code)s inspected; the refund is made.") % {"code": ret.return_code}
        messages.success(request, done)
        return redirect("backoffice_returns:detail", pk=pk)
    context = _context(ret, errors=errors, values=raw, error=_("Some fields are invalid."), note=note)
    return render(request, "returns/backoffice_detail.html", context, status=422)
