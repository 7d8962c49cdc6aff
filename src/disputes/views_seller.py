"""The seller center's dispute pages (DSP-2, DSP-3, DSP-4, DSP-6, WAR-1), under /seller/disputes/.

The list shows the store's open disputes, the soonest deadline first, then the closed ones. The
dispute page shows the buyer's request, the countdowns, the timeline with messages and evidence,
and the seller's actions — agree; refuse with a counter-proposal (solution, amount, note, files);
confirm the returned goods arrived or object; write — each offered only when disputes.rules allows
it, else with the rule's reason. Every page needs a signed-in store owner; another store's
dispute is a 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Store
from core import clock
from core.errors import DomainError
from core.policy import policy
from disputes import selectors, services
from disputes.forms import (
    AgreeForm,
    CounterProposalForm,
    MessageForm,
    ReshipForm,
    ReturnObjectionForm,
    form_show_error,
)
from disputes.models import Dispute
from disputes.rules import (
    check_message,
    check_return_receipt,
    check_seller_answer,
    check_warranty_reship,
    is_repair,
)
from disputes.states import DisputeActor, Kind, Solution
from disputes.views_common import dispute_list_countdown, dispute_page_context, why_not

A = DisputeActor
DISPUTES_PER_PAGE = 50


def _store_of(user) -> Store | None:
    return Store.objects.filter(owner=user).first()


def _with_store(*, list_page: bool):
    """Sign-in required; the view gets the person's store. Without a store: the seller center home
    for the list, a 404 for a dispute."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            store = _store_of(request.user)
            if store is None:
                if list_page:
                    messages.info(request, _("Open your store first; its disputes will be listed here."))
                    return redirect("sellercenter:home")
                raise Http404("No such dispute")
            return view(request, *args, store=store, **kwargs)

        return wrapper

    return decorate


seller_list_view = _with_store(list_page=True)
seller_dispute_view = _with_store(list_page=False)


def _dispute(store: Store, pk: int) -> Dispute:
    dispute = (
        Dispute.objects.select_related("order", "order__store", "buyer")
        .filter(pk=pk, order__store=store)
        .first()
    )
    if dispute is None:
        raise Http404("No such dispute")
    return dispute


# --- the list ------------------------------------------------------------------------------------


TABS = [("open", gettext_lazy("Open")), ("closed", gettext_lazy("Closed"))]


@require_GET
@seller_list_view
def dispute_list(request: HttpRequest, *, store: Store) -> HttpResponse:
    """The store's disputes: open ones by deadline (soonest first), or the closed ones."""
    tab = request.GET.get("tab", "open")
    if tab not in dict(TABS):
        tab = "open"
    now = clock.now()
    disputes = selectors.disputes_of_seller(user=request.user).filter(order__store=store)
    counts = {"open": disputes.filter(is_open=True).count(), "closed": disputes.filter(is_open=False).count()}
    chosen = disputes.filter(is_open=(tab == "open")).select_related("order", "buyer")
    page = Paginator(chosen, DISPUTES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"dispute": d, "countdown": dispute_list_countdown(d, now)} for d in page.object_list]
    context = {
        "store": store,
        "tab": tab,
        "rows": rows,
        "page": page,
        "now": now,
        "tabs": [{"key": k, "label": label, "count": counts[k]} for k, label in TABS],
    }
    template = (
        "disputes/seller/_list.html"
        if request.htmx and not request.htmx.history_restore_request
        else "disputes/seller/list.html"
    )
    return render(request, template, context)


@require_GET
@seller_dispute_view
def order_dispute(request: HttpRequest, number: str, *, store: Store) -> HttpResponse:
    """/seller/orders/<number>/dispute/: the order's open dispute, else its latest."""
    dispute = (
        Dispute.objects.filter(order__store=store, order__number=str(number)[:20])
        .order_by("-is_open", "-opened_at")
        .first()
    )
    if dispute is None:
        raise Http404("No such dispute")
    return redirect("seller_disputes:detail", pk=dispute.pk)


# --- one dispute ---------------------------------------------------------------------------------


def _context(
    store: Store, dispute: Dispute, *, forms: dict | None = None, notice: str = "", error: str = ""
) -> dict:
    from payments.services import order_refundable_minor

    now = clock.now()
    forms = forms or {}
    order = dispute.order
    warranty = dispute.kind == Kind.WARRANTY
    decisions = {
        "answer": check_seller_answer(dispute, now),
        "return": check_return_receipt(dispute, now),
        "reship": check_warranty_reship(dispute, now),
        "message": check_message(dispute, now),
    }
    labels = {
        "answer": _("Answer the request"),
        "return": _("Confirm the returned goods"),
        "reship": _("Send the repaired or replacement item"),
        "message": _("Write a message"),
    }
    refundable = order_refundable_minor(order)
    counter_initial = {"counter_solution": Solution.REFUND_ONLY}
    return {
        **dispute_page_context(dispute, viewer_role=A.SELLER, now=now),
        "store": store,
        "can": decisions,
        "why_not": why_not({labels[k]: d for k, d in decisions.items()}) if dispute.is_open else [],
        "agree_form": forms.get("agree") or AgreeForm(),
        "refuse_form": forms.get("refuse")
        or CounterProposalForm(
            currency=order.currency, refundable_minor=refundable, warranty=warranty, initial=counter_initial
        ),
        "object_form": forms.get("object") or ReturnObjectionForm(),
        "reship_form": forms.get("reship") or ReshipForm(),
        "is_repair": is_repair(dispute),
        "reship_days": policy.warranty_reship_window.days,
        "message_form": forms.get("message") or MessageForm(),
        "open_form": next(iter(forms), ""),
        "notice": notice,
        "error": error,
        "settle_days": policy.disagreement_escalation_window.days,
        "return_days": policy.return_shipping_window.days,
    }


def _render(request: HttpRequest, store: Store, pk: int, *, status: int = 200, **kwargs) -> HttpResponse:
    dispute = _dispute(store, pk)  # fresh: an action may have changed it
    context = _context(store, dispute, **kwargs)
    if request.htmx:
        return render(request, "disputes/seller/_panel.html", context)
    return render(request, "disputes/seller/detail.html", context, status=status)


@require_GET
@seller_dispute_view
def dispute_detail(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    _dispute(store, pk)
    return _render(request, store, pk)


def _act(request: HttpRequest, store: Store, pk: int, *, key: str, form, call, done: str) -> HttpResponse:
    dispute = _dispute(store, pk)
    now = clock.now()
    if form is not None and not form.is_valid():
        return _render(request, store, pk, forms={key: form}, status=422)
    try:
        call(dispute, now, **(form.service_kwargs() if form is not None else {}))
    except DomainError as exc:
        status = exc.status if exc.status >= 400 else 422
        if form is not None and exc.fields:
            form_show_error(form, exc)
            return _render(request, store, pk, forms={key: form}, status=status)
        return _render(request, store, pk, error=exc.message, status=status)
    if request.htmx:
        return _render(request, store, pk, notice=done)
    messages.success(request, done)
    return redirect("seller_disputes:detail", pk=pk)


@require_POST
@seller_dispute_view
def dispute_agree(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """DSP-2: agree to the buyer's request (refund only → refunded; return → the buyer ships back)."""
    dispute = _dispute(store, pk)
    if dispute.solution == Solution.RETURN_AND_REFUND:
        done = _(
            "You agreed to the return. The buyer now sends the goods back; confirm here when they arrive."
        )
    elif dispute.solution in (Solution.REPAIR, Solution.REPLACEMENT):
        done = _("You agreed to the %(solution)s.") % {"solution": dispute.get_solution_display().lower()}
    else:
        done = _("You agreed: the buyer is refunded and the dispute is closed.")
    return _act(
        request,
        store,
        pk,
        key="agree",
        form=AgreeForm(request.POST),
        call=lambda d, now, **kw: services.dispute_seller_agree(
            dispute=d, seller=request.user, now=now, **kw
        ),
        done=done,
    )


@require_POST
@seller_dispute_view
def dispute_refuse(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """DSP-2 / DSP-4: refuse with a counter-proposal (a warranty request goes to the dispute team)."""
    dispute = _dispute(store, pk)
    from payments.services import order_refundable_minor

    form = CounterProposalForm(
        request.POST,
        request.FILES,
        currency=dispute.currency,
        refundable_minor=order_refundable_minor(dispute.order),
        warranty=dispute.kind == Kind.WARRANTY,
    )
    done = _(
        "You refused. The buyer may accept your counter-proposal or change theirs; if it is not settled "
        "within %(days)s days, our dispute team decides."
    ) % {"days": policy.disagreement_escalation_window.days}
    if dispute.kind == Kind.WARRANTY:
        done = _("You refused the warranty request; our dispute team will decide.")
    return _act(
        request,
        store,
        pk,
        key="refuse",
        form=form,
        call=lambda d, now, **kw: services.dispute_seller_refuse(
            dispute=d, seller=request.user, now=now, **kw
        ),
        done=done,
    )


@require_POST
@seller_dispute_view
def dispute_confirm_return(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """DSP-3: the returned goods arrived; the agreed refund is made."""
    return _act(
        request,
        store,
        pk,
        key="confirm",
        form=None,
        call=lambda d, now: services.return_receipt_confirm(dispute=d, seller=request.user, now=now),
        done=_("You confirmed the item arrived. Send it back repaired, or a replacement, with tracking.")
        if is_repair(_dispute(store, pk))
        else _("You confirmed the returned goods arrived; the buyer is refunded."),
    )


@require_POST
@seller_dispute_view
def warranty_reship(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """WAR-1: the repaired or replacement item goes back to the buyer, with tracking."""
    return _act(
        request,
        store,
        pk,
        key="reship",
        form=ReshipForm(request.POST),
        call=lambda d, now, **kw: services.warranty_reship(dispute=d, seller=request.user, now=now, **kw),
        done=_("Sent. The buyer now confirms the item or reopens the request."),
    )


@require_POST
@seller_dispute_view
def dispute_object_return(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """DSP-3: object to what came back (or that nothing came); the dispute team decides."""
    return _act(
        request,
        store,
        pk,
        key="object",
        form=ReturnObjectionForm(request.POST, request.FILES),
        call=lambda d, now, **kw: services.return_receipt_object(
            dispute=d, seller=request.user, now=now, **kw
        ),
        done=_("Your objection was sent; our dispute team will decide."),
    )


@require_POST
@seller_dispute_view
def dispute_message(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    """DSP-6: a message with evidence files."""
    return _act(
        request,
        store,
        pk,
        key="message",
        form=MessageForm(request.POST, request.FILES),
        call=lambda d, now, **kw: services.dispute_message(dispute=d, user=request.user, now=now, **kw),
        done=_("Message sent."),
    )
