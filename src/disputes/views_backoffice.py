"""The dispute team's back office (DSP-5, OPS-1), under /backoffice/disputes/.

The queue lists open disputes by deadline (the soonest first; those without one by how long they
have waited), filtered: escalated to the team, awaiting evidence, or every open dispute. The
dispute page shows the full timeline with both sides' evidence and messages, and lets the team ask
one side for more evidence by a deadline, decide (full, partial or no refund, with or without
return) — carried out by disputes.services, which audit every staff action — and write to both
sides. Anonymous visitors are sent to sign in; anyone but active staff gets a 404.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.errors import DomainError
from disputes import selectors, services
from disputes.forms import DecisionForm, EvidenceRequestForm, MessageForm, form_show_error
from disputes.models import Dispute
from disputes.rules import check_message, check_team_decide, check_team_request_evidence
from disputes.states import DisputeActor, DisputeState
from disputes.views_common import dispute_list_countdown, dispute_page_context, sign_in_redirect, why_not
from orders.seller_views import state_label as seller_state_label

A = DisputeActor
QUEUE_PAGE_SIZE = 50

# key → (label, the states it shows; None = every open dispute)
FILTERS = {
    "escalated": (gettext_lazy("Escalated to the team"), (DisputeState.TEAM_REVIEW,)),
    "evidence": (gettext_lazy("Awaiting evidence"), (DisputeState.AWAITING_EVIDENCE,)),
    "open": (gettext_lazy("All open"), None),
}


def staff_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return sign_in_redirect(request)
        if not (user.is_staff and user.is_active):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def queue_disputes(*, key: str):
    """OPS-1: open disputes of the filter, by deadline: the soonest due first, then those with no
    running deadline by how long they have been with the team (oldest first)."""
    states = FILTERS[key][1]
    disputes = selectors.team_queue()
    if states is not None:
        disputes = disputes.filter(state__in=states)
    return disputes.order_by(
        F("due_at").asc(nulls_last=True), F("escalated_at").asc(nulls_last=True), "opened_at", "pk"
    )


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("filter", "escalated")
    filter_error = ""
    if key not in FILTERS:
        filter_error = _("There is no such filter; showing the escalated disputes.")
        key = "escalated"
    now = clock.now()
    page = Paginator(queue_disputes(key=key), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"dispute": d, "countdown": dispute_list_countdown(d, now)} for d in page.object_list]
    counts = {k: queue_disputes(key=k).count() for k in FILTERS}
    context = {
        "rows": rows,
        "page": page,
        "now": now,
        "filter": key,
        "filter_error": filter_error,
        "filters": [{"key": k, "label": label, "count": counts[k]} for k, (label, _s) in FILTERS.items()],
    }
    template = (
        "disputes/backoffice/_queue.html"
        if request.htmx and not request.htmx.history_restore_request
        else "disputes/backoffice/queue.html"
    )
    return render(request, template, context)


def _get(pk: int) -> Dispute:
    dispute = (
        Dispute.objects.select_related("order", "order__store", "order__store__owner", "buyer")
        .filter(pk=pk)
        .first()
    )
    if dispute is None:
        raise Http404("No such dispute")
    return dispute


def _context(dispute: Dispute, *, forms: dict | None = None, notice: str = "", error: str = "") -> dict:
    from payments.services import order_refundable_minor

    now = clock.now()
    forms = forms or {}
    order = dispute.order
    decisions = {
        # the rule itself; any future deadline will do to ask whether the state allows it
        "evidence": check_team_request_evidence(dispute, now, now + dt.timedelta(days=1)),
        "decide": check_team_decide(dispute, now),
        "message": check_message(dispute, now),
    }
    labels = {
        "evidence": _("Ask for more evidence"),
        "decide": _("Decide"),
        "message": _("Write to both sides"),
    }
    return {
        **dispute_page_context(dispute, viewer_role=A.STAFF, now=now),
        "can": decisions,
        "why_not": why_not({labels[k]: d for k, d in decisions.items()}) if dispute.is_open else [],
        "evidence_form": forms.get("evidence") or EvidenceRequestForm(now=now),
        "decision_form": forms.get("decide")
        or DecisionForm(currency=order.currency, refundable_minor=order_refundable_minor(order)),
        "message_form": forms.get("message") or MessageForm(),
        "open_form": next(iter(forms), ""),
        "notice": notice,
        "error": error,
        "audit": _audit_rows(dispute),
        "order_state_label": seller_state_label(order.state),  # "Shipped", not the buyer's wording
    }


def _audit_rows(dispute: Dispute) -> list:
    """OPS-1: the staff actions recorded for this dispute."""
    from core.models import AuditLog

    return list(
        AuditLog.objects.filter(action__startswith="dispute.", data__dispute=dispute.pk)
        .select_related("actor")
        .order_by("at", "pk")
    )


def _render(request: HttpRequest, pk: int, *, status: int = 200, **kwargs) -> HttpResponse:
    context = _context(_get(pk), **kwargs)
    if request.htmx:
        return render(request, "disputes/backoffice/_panel.html", context)
    return render(request, "disputes/backoffice/detail.html", context, status=status)


@staff_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _get(pk)
    return _render(request, pk)


def _act(request: HttpRequest, pk: int, *, key: str, form, call, done: str) -> HttpResponse:
    dispute = _get(pk)
    now = clock.now()
    if not form.is_valid():
        return _render(request, pk, forms={key: form}, status=422)
    try:
        call(dispute, now, **form.service_kwargs())
    except DomainError as exc:
        status = exc.status if exc.status >= 400 else 422
        if exc.fields:
            form_show_error(form, exc)
            return _render(request, pk, forms={key: form}, status=status)
        return _render(request, pk, error=exc.message, status=status)
    if request.htmx:
        return _render(request, pk, notice=done)
    messages.success(request, done)
    return redirect("backoffice_disputes:detail", pk=pk)


@staff_required
@require_POST
def request_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-5: ask the buyer or the seller for more evidence by a deadline (audited)."""
    now = clock.now()
    return _act(
        request,
        pk,
        key="evidence",
        form=EvidenceRequestForm(request.POST, now=now),
        call=lambda d, now, **kw: services.team_request_evidence(
            dispute=d, staff=request.user, now=now, **kw
        ),
        done=_("Evidence asked for; the dispute waits for it until the deadline."),
    )


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-5: full, partial or no refund, with or without return; the system carries it out (audited)."""
    from payments.services import order_refundable_minor

    dispute = _get(pk)
    form = DecisionForm(
        request.POST, currency=dispute.currency, refundable_minor=order_refundable_minor(dispute.order)
    )
    return _act(
        request,
        pk,
        key="decide",
        form=form,
        call=lambda d, now, **kw: services.team_decide(dispute=d, staff=request.user, now=now, **kw),
        done=_("Decision recorded and carried out."),
    )


@staff_required
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-6: the team writes to both sides, with files (audited by the service)."""
    return _act(
        request,
        pk,
        key="message",
        form=MessageForm(request.POST, request.FILES),
        call=lambda d, now, **kw: services.dispute_message(dispute=d, user=request.user, now=now, **kw),
        done=_("Message sent to both sides."),
    )
