"""Staff back office for appeals (PAY-3, OPS-1): the queue by review due time, one appeal with
its documents, approve / reject with a note. Anyone but active staff gets 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from appeals import selectors, services
from appeals.views import document_response
from core import clock
from core.errors import DomainError, NotFound


def staff_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.is_active):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def _get(pk: int):
    try:
        return selectors.staff_appeal_get(appeal_id=pk)
    except NotFound:
        raise Http404("No such appeal") from None


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = [
        (a, selectors.countdown(a, now), selectors.is_overdue(a, now)) for a in selectors.review_queue()
    ]
    return render(request, "appeals/backoffice_queue.html", {"rows": rows, "now": now})


def _detail_context(appeal, *, error: str = "", errors=None) -> dict:
    now = clock.now()
    return {
        "appeal": appeal,
        "countdown": selectors.countdown(appeal, now),
        "overdue": selectors.is_overdue(appeal, now),
        "error": error,
        "errors": errors or {},
    }


@staff_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "appeals/backoffice_detail.html", _detail_context(_get(pk)))


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = _get(pk)
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    if decision not in ("approve", "reject"):
        context = _detail_context(appeal, error=_("Choose approve or reject."),
                                  errors={"decision": [_("Choose approve or reject.")]})
        return render(request, "appeals/backoffice_detail.html", context, status=422)
    action = services.appeal_approve if decision == "approve" else services.appeal_reject
    try:
        action(appeal=appeal, staff=request.user, note=note, now=clock.now())
    except DomainError as exc:
        context = _detail_context(_get(pk), error=exc.message, errors=exc.fields)
        return render(request, "appeals/backoffice_detail.html", context, status=exc.status)
    if decision == "approve":
        messages.success(request, _("Appeal %(pk)s approved.") % {"pk": appeal.pk})
    else:
        messages.success(request, _("Appeal %(pk)s rejected.") % {"pk": appeal.pk})
    return redirect("backoffice_appeals:queue")


@staff_required
@require_GET
def document(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    return document_response(_get(pk), doc_id)
