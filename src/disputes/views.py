"""The buyer's dispute pages (BP-3, DSP-1…DSP-7, WAR-1, HLP-4): open a dispute or a warranty
request from an order, follow it (status, countdowns, both proposals, the timeline with messages
and evidence) and act on it (update the proposal, accept the counter-proposal, withdraw, send the
return tracking, write with files).

Thin: parse with disputes.forms, call one disputes.services function, render. Whether an action is
offered comes from disputes.rules, the code the services enforce, so a missing button comes with
its reason (HLP-4). Forms work without JavaScript (redirect after success, the page again with its
errors otherwise, 422) and with htmx (the panel swapped in place). Someone else's order or dispute
is a 404; anonymous visitors are sent to sign in.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.errors import DomainError, NotFound
from core.policy import policy
from disputes import selectors, services
from disputes.forms import (
    DisputeOpenForm,
    MessageForm,
    ProposalUpdateForm,
    ReopenForm,
    ReturnTrackingForm,
    WarrantyForm,
    form_show_error,
    minor_to_text,
)
from disputes.models import Dispute
from disputes.rules import (
    check_accept_counter,
    check_buyer_update,
    check_message,
    check_return_tracking,
    check_warranty_outcome,
    check_withdraw,
)
from disputes.states import DisputeActor, DisputeState
from disputes.views_common import (
    dispute_page_context,
    evidence_download,
    order_dispute_block,
    role_of,
    visible_dispute,
    why_not,
)
from orders import selectors as order_selectors
from orders.views import buyer_required

A = DisputeActor


def _order_or_404(request: HttpRequest, number: str):
    try:
        return order_selectors.buyer_order_get(buyer=request.user, number=number)
    except NotFound:
        raise Http404("No such order") from None


def _refundable(order) -> int:
    from payments.services import order_refundable_minor

    return order_refundable_minor(order)


# --- from the order page -------------------------------------------------------------------------


@buyer_required
@require_GET
def order_dispute(request: HttpRequest, number: str) -> HttpResponse:
    """/orders/<number>/dispute/: the order's open dispute, else its latest, else the form."""
    order = _order_or_404(request, number)
    dispute = selectors.order_open_dispute(order) or selectors.order_disputes(order).first()
    if dispute is None:
        return redirect("order_disputes:open", number=order.number)
    return redirect("disputes:detail", pk=dispute.pk)


def _open_context(request: HttpRequest, order, form, now, *, error: str = "") -> dict:
    return {
        "order": order,
        "form": form,
        "dispute_block": order_dispute_block(order=order, now=now, always=True),
        "answer_days": policy.seller_dispute_answer_window.days,
        "max_files": policy.evidence_max_files,
        "max_mb": f"{policy.evidence_max_bytes / (1024 * 1024):g}",
        "error": error,
    }


@buyer_required
@require_http_methods(["GET", "POST"])
def dispute_open(request: HttpRequest, number: str) -> HttpResponse:
    """DSP-1: the dispute form, offered when BP-3 allows (otherwise it says why and from when)."""
    order = _order_or_404(request, number)
    now = clock.now()
    refundable = _refundable(order)
    if request.method == "GET":
        form = DisputeOpenForm(
            order=order,
            currency=order.currency,
            refundable_minor=refundable,
            initial={
                "amount": minor_to_text(refundable, order.currency),
                "reason": request.GET.get("reason", "")[:30],
            },
        )
        return render(request, "disputes/open.html", _open_context(request, order, form, now))
    form = DisputeOpenForm(
        request.POST, request.FILES, order=order, currency=order.currency, refundable_minor=refundable
    )
    status = 422
    if form.is_valid():
        try:
            dispute = services.dispute_open(order=order, buyer=request.user, now=now, **form.service_kwargs())
        except DomainError as exc:
            status = exc.status if exc.status >= 400 else 422
            if exc.status == 403 and not exc.fields:  # BP-3 says no for this reason (now)
                form.add_error("reason", exc.message)
            else:
                form_show_error(form, exc)
        else:
            messages.success(
                request,
                _("Your dispute is open. The seller has been told and has %(days)s days to answer.")
                % {"days": policy.seller_dispute_answer_window.days}
                if dispute.state == DisputeState.AWAITING_SELLER
                else _("Your dispute is open and our dispute team is looking at it."),
            )
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/open.html", _open_context(request, order, form, now), status=status)


@buyer_required
@require_GET
def dispute_open_amount(request: HttpRequest, number: str) -> HttpResponse:
    """DSP-1 (htmx): the amount field again, its value suggested from the quantities chosen."""
    order = _order_or_404(request, number)
    quantities = {}
    for line in order.lines.all():
        raw = request.GET.get(f"qty_{line.pk}", "")
        quantities[line.pk] = int(raw) if raw.strip().isdigit() and len(raw) < 6 else 0
    suggested = selectors.suggested_amount_minor(order, quantities)
    form = DisputeOpenForm(
        order=order,
        currency=order.currency,
        refundable_minor=_refundable(order),
        initial={"amount": minor_to_text(suggested, order.currency)},
    )
    return render(request, "disputes/_open_amount.html", {"form": form, "order": order})


@buyer_required
@require_http_methods(["GET", "POST"])
def warranty_open(request: HttpRequest, number: str) -> HttpResponse:
    """WAR-1: a warranty request (repair, replacement or refund) on the order's warranty items."""
    order = _order_or_404(request, number)
    now = clock.now()
    decision = selectors.warranty_can_open(order, now)
    context = {"order": order, "decision": decision, "answer_days": policy.warranty_seller_answer_window.days}
    if request.method == "GET":
        form = WarrantyForm(order=order, currency=order.currency, refundable_minor=order.total_minor)
        return render(request, "disputes/warranty.html", {**context, "form": form})
    form = WarrantyForm(
        request.POST, request.FILES, order=order, currency=order.currency, refundable_minor=order.total_minor
    )
    status = 422
    if form.is_valid():
        try:
            dispute = services.warranty_open(
                order=order, buyer=request.user, now=now, **form.service_kwargs()
            )
        except DomainError as exc:
            status = exc.status if exc.status >= 400 else 422
            form_show_error(form, exc)
        else:
            messages.success(request, _("Your warranty request was sent to the seller."))
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/warranty.html", {**context, "form": form}, status=status)


# --- My disputes ---------------------------------------------------------------------------------


@buyer_required
@require_GET
def dispute_list(request: HttpRequest) -> HttpResponse:
    disputes = list(selectors.disputes_of_buyer(user=request.user).select_related("order__store"))
    return render(request, "disputes/list.html", {"disputes": disputes, "now": clock.now()})


# --- the dispute page ----------------------------------------------------------------------------


def _own(request: HttpRequest, pk: int) -> Dispute:
    dispute = visible_dispute(request, pk)
    if role_of(dispute, request.user) != A.BUYER:
        raise Http404("No such dispute")
    return dispute


def _context(
    request: HttpRequest, dispute: Dispute, *, forms: dict | None = None, notice: str = "", error: str = ""
) -> dict:
    now = clock.now()
    forms = forms or {}
    order = dispute.order
    refundable = _refundable(order)
    decisions = {
        "update": check_buyer_update(dispute, now),
        "accept": check_accept_counter(dispute, now),
        "withdraw": check_withdraw(dispute, now),
        "tracking": check_return_tracking(dispute, now),
        "outcome": check_warranty_outcome(dispute, now),
        "message": check_message(dispute, now),
    }
    labels = {
        "update": _("Change your proposal"),
        "accept": _("Accept the counter-proposal"),
        "withdraw": _("Withdraw the dispute"),
        "tracking": _("Send the return tracking"),
        "outcome": _("Confirm the repaired or replacement item"),
        "message": _("Write a message"),
    }
    update_initial = {
        "solution": dispute.solution,
        "amount": minor_to_text(dispute.amount_minor, order.currency),
    }
    return {
        **dispute_page_context(dispute, viewer_role=A.BUYER, now=now),
        "can": decisions,
        "why_not": why_not({labels[k]: d for k, d in decisions.items()}) if dispute.is_open else [],
        "update_form": forms.get("update")
        or ProposalUpdateForm(currency=order.currency, refundable_minor=refundable, initial=update_initial),
        "tracking_form": forms.get("tracking") or ReturnTrackingForm(),
        "reopen_form": forms.get("reopen") or ReopenForm(),
        "message_form": forms.get("message") or MessageForm(),
        "open_form": next(iter(forms), ""),
        "notice": notice,
        "error": error,
        "answer_days": policy.seller_dispute_answer_window.days,
        "paypal_days": policy.paypal_dispute_window.days,
    }


def _render(request: HttpRequest, pk: int, *, status: int = 200, **kwargs) -> HttpResponse:
    dispute = _own(request, pk)  # fresh: an action may have changed it
    context = _context(request, dispute, **kwargs)
    if request.htmx:  # htmx swaps only 2xx answers; the panel carries its errors
        return render(request, "disputes/_buyer_panel.html", context)
    return render(request, "disputes/detail.html", context, status=status)


@buyer_required
@require_GET
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = visible_dispute(request, pk)
    role = role_of(dispute, request.user)
    if role == A.SELLER:
        return redirect("seller_disputes:detail", pk=dispute.pk)
    if role == A.STAFF:
        return redirect("backoffice_disputes:detail", pk=dispute.pk)
    return _render(request, pk)


def _act(request: HttpRequest, pk: int, *, key: str, form, call, done: str) -> HttpResponse:
    dispute = _own(request, pk)
    now = clock.now()
    if form is not None and not form.is_valid():
        return _render(request, pk, forms={key: form}, status=422)
    try:
        call(dispute, now, **(form.service_kwargs() if form is not None else {}))
    except DomainError as exc:
        status = exc.status if exc.status >= 400 else 422
        if form is not None and exc.fields:
            form_show_error(form, exc)
            return _render(request, pk, forms={key: form}, status=status)
        return _render(request, pk, error=exc.message, status=status)
    if request.htmx:
        return _render(request, pk, notice=done)
    messages.success(request, done)
    return redirect("disputes:detail", pk=pk)


def _update_form(request: HttpRequest, dispute_pk: int) -> ProposalUpdateForm:
    dispute = _own(request, dispute_pk)
    return ProposalUpdateForm(
        request.POST, request.FILES, currency=dispute.currency, refundable_minor=_refundable(dispute.order)
    )


@buyer_required
@require_POST
def dispute_update(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-4: a new proposal after the seller's refusal; the seller's 5 days start again."""
    return _act(
        request,
        pk,
        key="update",
        form=_update_form(request, pk),
        call=lambda d, now, **kw: services.dispute_buyer_update(dispute=d, buyer=request.user, now=now, **kw),
        done=_("Your new proposal was sent. The seller has %(days)s days to answer.")
        % {"days": policy.seller_dispute_answer_window.days},
    )


@buyer_required
@require_POST
def dispute_accept_counter(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-4: accept the seller's counter-proposal; the system carries it out."""
    return _act(
        request,
        pk,
        key="accept",
        form=None,
        call=lambda d, now: services.dispute_buyer_accept_counter(dispute=d, buyer=request.user, now=now),
        done=_("You accepted the seller's counter-proposal."),
    )


@buyer_required
@require_POST
def dispute_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-6: withdraw the dispute."""
    return _act(
        request,
        pk,
        key="withdraw",
        form=None,
        call=lambda d, now: services.dispute_withdraw(dispute=d, buyer=request.user, now=now),
        done=_("You withdrew the dispute."),
    )


@buyer_required
@require_POST
def dispute_return_tracking(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-3: the return parcel's tracking; the seller then has 30 days to confirm receipt."""
    return _act(
        request,
        pk,
        key="tracking",
        form=ReturnTrackingForm(request.POST),
        call=lambda d, now, **kw: services.return_tracking_submit(
            dispute=d, buyer=request.user, now=now, **kw
        ),
        done=_("Return tracking sent. The seller has %(days)s days to confirm the goods arrived.")
        % {"days": policy.seller_return_confirm_window.days},
    )


@buyer_required
@require_POST
def warranty_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """WAR-1: the repaired or replacement item is fine: the request closes as resolved."""
    return _act(
        request,
        pk,
        key="outcome",
        form=None,
        call=lambda d, now: services.warranty_outcome_confirm(dispute=d, buyer=request.user, now=now),
        done=_("Thank you: the warranty request is resolved."),
    )


@buyer_required
@require_POST
def warranty_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """WAR-1: the repaired or replacement item is not right: our dispute team takes the request."""
    return _act(
        request,
        pk,
        key="reopen",
        form=ReopenForm(request.POST),
        call=lambda d, now, **kw: services.warranty_reopen(dispute=d, buyer=request.user, now=now, **kw),
        done=_("Your request went to our dispute team."),
    )


@buyer_required
@require_POST
def dispute_message(request: HttpRequest, pk: int) -> HttpResponse:
    """DSP-6: a message with evidence files."""
    return _act(
        request,
        pk,
        key="message",
        form=MessageForm(request.POST, request.FILES),
        call=lambda d, now, **kw: services.dispute_message(dispute=d, user=request.user, now=now, **kw),
        done=_("Message sent."),
    )


@require_GET
def evidence(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    """DSP-1: an evidence file, to the buyer, the seller and staff only."""
    return evidence_download(request, pk, evidence_id)


def dispute_url(dispute: Dispute) -> str:
    return reverse("disputes:detail", args=[dispute.pk])
