"""Buyer pages: checkout (ORD-1), payment, My Orders (BP-1) and the order page with its actions
(ORD-3, ORD-5, ORD-7, BP-4). Thin: parse, call one service, render.

The clock is read here (core.clock.now) and passed down. Action buttons come from
orders.selectors.order_buyer_actions, i.e. the same orders.rules decisions the services
enforce, so a missing button always comes with the reason and the date it becomes possible
(HLP-4). Every form works without JavaScript (redirect after success, the page re-rendered
with its errors otherwise) and with htmx (the order panel re-rendered in place).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.forms import AddressForm, form_add_service_errors
from accounts.selectors import address_get, address_list
from accounts.services import address_create
from core import clock
from core.countries import country_name, is_country
from core.errors import DomainError, NotFound
from core.policy import policy
from coupons.views_checkout import checkout_coupon_kwargs, checkout_coupons_context
from orders import selectors, services
from orders.forms import (
    CancellationRequestForm,
    CheckoutForm,
    ExtensionRequestForm,
    PayForm,
    new_idempotency_key,
)
from orders.models import Order
from orders.states import State
from payments.declines import decline_get
from payments.providers.simulated import DECLINED_TOKEN, SUCCESS_TOKEN

ORDERS_PAGE_SIZE = 10
NEW_ADDRESS_PREFIX = "new"
# A token the simulated provider declines, offered on the pay page to try the failure path.
DECLINED_TEST_TOKEN = DECLINED_TOKEN


def buyer_required(view):
    """Sign-in required; an htmx request is sent to sign in with HX-Redirect instead of a swap."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        next_url = request.get_full_path()
        if request.htmx and request.htmx.current_url_abs_path:
            next_url = request.htmx.current_url_abs_path
        login = f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}"
        return HttpResponseClientRedirect(login) if request.htmx else redirect(login)

    return wrapper


# --- checkout (ORD-1) ----------------------------------------------------------------------------


def _chosen(request: HttpRequest, addresses: list) -> str:
    """The address choice: what the form says, else the default address, else "new"."""
    data = request.POST if request.method == "POST" else request.GET
    choice = (data.get("address") or "").strip()
    if choice == "new" or (choice.isdigit() and any(str(a.pk) == choice for a in addresses)):
        return choice
    default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    return str(default.pk) if default else "new"


def _country(request: HttpRequest, choice: str, addresses: list) -> str:
    if choice == "new":
        data = request.POST if request.method == "POST" else request.GET
        country = (data.get(f"{NEW_ADDRESS_PREFIX}-country") or "").strip().upper()
        return country or getattr(request, "visitor_country", "")
    return next((a.country for a in addresses if str(a.pk) == choice), "")


_REFRESH_SUMMARY = {
    "hx-trigger": "change",
    "hx-target": "#checkout-summary",
    "hx-swap": "outerHTML",
    "hx-include": "closest form",
}


def _checkout_context(
    request: HttpRequest,
    *,
    form: CheckoutForm | None = None,
    new_form: AddressForm | None = None,
    key: str = "",
    error: str = "",
    problems: list[str] | None = None,
) -> dict:
    addresses = list(address_list(user=request.user))
    choice = _chosen(request, addresses)
    if new_form is None:
        new_form = AddressForm(
            initial={"country": getattr(request, "visitor_country", "")}, prefix=NEW_ADDRESS_PREFIX
        )
    country = _country(request, choice, addresses)
    preview = selectors.checkout_preview(buyer=request.user, country=country, locale=request.money_locale)
    # The country decides the shipping method and estimate: refresh the summary when it changes.
    refresh = {"hx-get": reverse("checkout:start"), **_REFRESH_SUMMARY}
    new_form.fields["country"].widget.attrs.update(refresh)
    return {
        "addresses": addresses,
        "choice": choice,
        "country": country,
        "country_name": country_name(country) if is_country(country) else "",
        "payment_window_hours": int(policy.payment_window.total_seconds() // 3600),
        "preview": preview,
        "form": form,
        "new_form": new_form,
        "idempotency_key": key or new_idempotency_key(),
        "error": error,
        "problems": problems or [],
        **checkout_coupons_context(request, preview),  # CPN-5, CPN-6: discounts into the preview's totals
    }


@buyer_required
@require_http_methods(["GET", "POST"])
def checkout_start(request: HttpRequest) -> HttpResponse:
    """The cart as one order per store, the shipping address, and "Place orders"."""
    if request.method == "GET":
        context = _checkout_context(request)
        if request.htmx:  # the address changed: new delivery estimates and totals
            return render(request, "orders/_checkout_summary.html", context)
        return render(request, "orders/checkout.html", context)

    form = CheckoutForm(request.POST)
    is_new = request.POST.get("address") == "new"
    new_form = AddressForm(request.POST, prefix=NEW_ADDRESS_PREFIX) if is_new else None
    if not form.is_valid():
        key = request.POST.get("idempotency_key", "")[:64]
        context = _checkout_context(request, form=form, new_form=new_form, key=key)
        return render(request, "orders/checkout.html", context, status=422)

    key = form.cleaned_data["idempotency_key"]
    earlier = selectors.checkout_by_key(buyer=request.user, idempotency_key=key)
    if earlier is not None:  # a double submit: the first one already placed the orders
        return redirect("checkout:detail", pk=earlier.pk)

    now = clock.now()
    stage, error, problems = "address", "", []
    try:
        with transaction.atomic():  # a new address is kept only if the orders are placed
            if new_form is not None:
                if not new_form.is_valid():
                    raise DomainError(gettext("Please correct the address."), code="validation_error")
                data = new_form.address_data()
                address = address_create(
                    user=request.user, make_default=new_form.cleaned_data.get("make_default", False), **data
                )
            else:
                address = address_get(user=request.user, address_id=form.cleaned_data["address"])
            stage = "place"
            checkout = services.checkout_place(
                buyer=request.user, address=address, idempotency_key=key, now=now,
                **checkout_coupon_kwargs(request.POST),  # CPN-5: the chosen combination and promo code
            )
    except DomainError as exc:
        status = exc.status if exc.status >= 400 and stage == "place" else 422
        if stage == "address":
            if new_form is not None:
                form_add_service_errors(new_form, exc.fields, exc.message)
            else:
                form.add_error("address", gettext("Choose one of your addresses or add a new one."))
        else:
            error = exc.message
            for name, texts in exc.fields.items():
                texts = texts if isinstance(texts, list) else [str(texts)]
                if name == "address_id":
                    form.add_error("address", " ".join(texts))
                else:  # a cart line (by variant id) or the idempotency key
                    problems.extend(texts)
        context = _checkout_context(
            request, form=form, new_form=new_form, key=key, error=error, problems=problems
        )
        return render(request, "orders/checkout.html", context, status=status)
    count = checkout.orders.count()
    messages.success(
        request,
        ngettext("%(count)s order placed. Pay within %(hours)s hours to keep it.",
                 "%(count)s orders placed. Pay within %(hours)s hours to keep them.", count) % {
            "count": count, "hours": int(policy.payment_window.total_seconds() // 3600)},
    )
    return redirect("checkout:detail", pk=checkout.pk)


def _checkout_or_404(request: HttpRequest, pk: int):
    try:
        return selectors.buyer_checkout_get(buyer=request.user, checkout_id=pk)
    except NotFound:
        raise Http404("No such checkout") from None


def _pay_context(request: HttpRequest, checkout, *, form: PayForm | None = None, error: str = "") -> dict:
    now = clock.now()
    orders = list(selectors.checkout_orders(checkout=checkout))
    unpaid = [o for o in orders if o.state == State.AWAITING_PAYMENT]
    due: dict[str, int] = {}
    for order in unpaid:
        due[order.currency] = due.get(order.currency, 0) + order.total_minor
    return {
        "checkout": checkout,
        "orders": [(o, selectors.order_countdown(order=o, now=now)) for o in orders],
        "unpaid": unpaid,
        "amounts_due": sorted(due.items()),
        "pay_by": min((selectors.pay_by(o) for o in unpaid), default=None),
        "form": form,
        "error": error,
        "idempotency_key": new_idempotency_key(),
        "success_token": SUCCESS_TOKEN,
        "declined_token": DECLINED_TEST_TOKEN,
        **_card_choices(request, checkout),
        **_method_choices(request, unpaid, due),
    }


def _method_choices(request: HttpRequest, unpaid: list, due: dict[str, int]) -> dict:
    """PAY-4: the other methods offered for the delivery country and every currency due, each
    with where its refunds go; the buyer's platform balance that can be spent (DSP-7: the
    PayPal note)."""
    from core.money import Money, format_money
    from payments.methods import methods_available
    from payments.services import buyer_balance_minor

    if not unpaid:
        return {"pay_methods": [], "balances": [], "paypal_dispute_days": 0}
    country = unpaid[0].ship_country
    offered = None
    for currency in due:
        codes = {m.code for m in methods_available(country=country, currency=currency)}
        offered = codes if offered is None else offered & codes
    pay_methods = [
        m for m in methods_available(country=country, currency=next(iter(due)))
        if m.code in (offered or set()) and m.code != "card"
    ]
    balances = []
    for currency in sorted(due):
        held = buyer_balance_minor(user=request.user, currency=currency)
        if held > 0:
            balances.append(format_money(Money(held, currency), request.money_locale))
    return {
        "pay_methods": pay_methods,
        "balances": balances,
        "paypal_dispute_days": policy.paypal_dispute_window.days,
    }


def _card_choices(request: HttpRequest, checkout) -> dict:
    """PAY-1: the buyer's saved cards, the card just entered on the provider's card page
    (its token comes back as ?card=…), and the link to that page."""
    from payments.cards import saved_cards
    from payments.providers import get_provider

    provider = get_provider()
    cards = list(saved_cards(owner=request.user, provider=provider.name))
    token = request.GET.get("card", "")
    entered = None
    if token and len(token) <= 100 and not any(c.token == token for c in cards):
        entered = provider.card_details(token=token)
    return_to = reverse("checkout:detail", args=[checkout.pk])
    return {
        "saved_cards": cards,
        "entered_card": entered,
        "entered_save": request.GET.get("save_card") == "1",
        "card_page": f"{reverse('payments:sim_card')}?{urlencode({'return_to': return_to})}"
        if provider.name == "simulated" else "",
    }


@buyer_required
@require_GET
def checkout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The orders a checkout created: pay them, or see where they stand once paid."""
    checkout = _checkout_or_404(request, pk)
    return render(request, "orders/checkout_pay.html", _pay_context(request, checkout))


@buyer_required
@require_POST
def checkout_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay every unpaid order of the checkout with the simulated provider (a double submit charges once)."""
    checkout = _checkout_or_404(request, pk)
    form = PayForm(request.POST)
    if not form.is_valid():
        context = _pay_context(request, checkout, form=form)
        return render(request, "orders/checkout_pay.html", context, status=422)
    try:
        payments = services.checkout_pay(
            checkout=checkout,
            token=form.cleaned_data["token"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            now=clock.now(),
            save_card=form.cleaned_data["save_card"],
            method=form.cleaned_data["method"],
            use_balance=form.cleaned_data["use_balance"],
        )
    except DomainError as exc:
        if exc.code == "nothing_to_pay" and checkout.payments.filter(state="succeeded").exists():
            messages.info(request, gettext("This checkout is already paid."))
            return redirect("checkout:detail", pk=checkout.pk)
        context = _pay_context(request, checkout, error=exc.message)
        return render(request, "orders/checkout_pay.html", context, status=exc.status)
    failed = [p for p in payments if p.state in ("failed", "verifying")]
    if failed:  # PAY-2: the catalogue's message and what to do next
        error = decline_get(failed[0].failure_code).text
        if len(failed) < len(payments):
            error = gettext("Part of this checkout was paid; the rest was not.") + " " + error
        context = _pay_context(request, checkout, error=error)
        return render(request, "orders/checkout_pay.html", context, status=402)
    if any(p.state == "processing" for p in payments):
        messages.info(request, gettext("The card provider is still processing your payment; this page "
                      "updates when it answers."))
        return redirect("checkout:detail", pk=checkout.pk)
    messages.success(request, gettext("Payment received. We hold it until buyer protection ends."))
    return redirect("checkout:detail", pk=checkout.pk)


# --- My Orders (BP-1) -----------------------------------------------------------------------------------


@buyer_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    filter_error = ""
    try:
        orders = selectors.buyer_orders(buyer=request.user, status=status)
    except ValueError:
        filter_error = gettext("There is no such status filter; showing all your orders.")
        status = ""
        orders = selectors.buyer_orders(buyer=request.user)
    page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    rows = [(order, selectors.order_countdown(order=order, now=now)) for order in page.object_list]
    _dispute_badges(rows)  # DSP-6: the dispute badge of each order
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "filters": [("", "All")] + [(key, label) for key, (label, _) in selectors.STATUS_FILTERS.items()],
        "filter_error": filter_error,
    }
    template = "orders/_order_list.html" if request.htmx else "orders/order_list.html"
    return render(request, template, context)


# --- the order page and its actions ------------------------------------------------------------------


def _order_or_404(request: HttpRequest, number: str) -> Order:
    try:
        return selectors.buyer_order_get(buyer=request.user, number=number)
    except NotFound:
        raise Http404("No such order") from None


def _order_context(
    request: HttpRequest,
    order: Order,
    *,
    cancel_form: CancellationRequestForm | None = None,
    extension_form: ExtensionRequestForm | None = None,
    notice: str = "",
    error: str = "",
    failed_action: str = "",
) -> dict:
    now = clock.now()
    actions = selectors.order_buyer_actions(order=order, now=now)
    return {
        "order": order,
        "now": now,
        "countdowns": selectors.order_countdowns(order=order, now=now),
        "actions": {a.name: a for a in actions},
        "allowed": [a for a in actions if a.decision.allowed],
        "refused": [a for a in actions if not a.decision.allowed],
        "timeline": selectors.order_timeline(order=order, viewer=request.user),
        "refunds": selectors.order_refunds(order=order),
        "paid_with": _paid_with(order),
        "paypal_dispute_days": policy.paypal_dispute_window.days,
        "tracking_links": selectors.tracking_links(
            carrier=order.carrier, tracking_number=order.tracking_number
        ),
        "cancel_form": cancel_form or CancellationRequestForm(),
        "extension_form": extension_form or ExtensionRequestForm(),
        "notice": notice,
        "error": error,
        "failed_action": failed_action,
        "cancel_hours": int(policy.cancellation_answer_window.total_seconds() // 3600),
        "protection_days": policy.protection_after_delivery.days,
        "refund_min_days": policy.refund_arrival_min_days,
        "refund_max_days": policy.refund_arrival_max_days,
        "dispute_block": _dispute_block(order, now),  # BP-3, HLP-4, WAR-1
    }


def _dispute_block(order: Order, now) -> dict:
    """BP-3 / HLP-4: the order page's dispute block, from the rules that enforce it (disputes app)."""
    from disputes.views_common import order_dispute_block

    return order_dispute_block(order=order, now=now)


def _dispute_badges(rows: list) -> None:
    from disputes.views_common import dispute_badges_attach

    dispute_badges_attach(orders=[order for order, _countdown in rows])


def _paid_with(order: Order) -> list:
    """PAY-4: the methods that paid the order, for the order page (and its DSP-7 PayPal note)."""
    from payments.methods import METHODS
    from payments.services import order_paid_with

    if not order.paid_at:
        return []
    return [
        {"code": code,
         "label": METHODS[code].label if code in METHODS else gettext("Your Hmong Artisans balance")}
        for code in order_paid_with(order)
    ]


@buyer_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    context = _order_context(request, order)
    if request.htmx:
        return render(request, "orders/_order_panel.html", context)
    return render(request, "orders/order_detail.html", context)


def _act(request: HttpRequest, number: str, *, action: str, form=None, run, done: str) -> HttpResponse:
    """Run one buyer action and answer: the panel for htmx, else redirect (success) or the page (errors)."""
    order = _order_or_404(request, number)
    error, status = "", 422
    if form is None or form.is_valid():
        try:
            run(order, form.cleaned_data if form is not None else {}, clock.now())
        except DomainError as exc:
            status = exc.status if exc.status >= 400 else 422
            shown = False
            if form is not None:
                for name, texts in exc.fields.items():
                    if name in form.fields:
                        for text in texts:
                            form.add_error(name, text)
                        shown = True
            if not shown:
                error = exc.message
    ok = not error and (form is None or not form.errors)
    if ok and not request.htmx:
        messages.success(request, done)
        return redirect("orders:detail", number=order.number)
    fresh = _order_or_404(request, number) if ok else order
    context = _order_context(
        request,
        fresh,
        cancel_form=None if ok or action != "request_cancellation" else form,
        extension_form=None if ok or action != "request_extension" else form,
        notice=done if ok else "",
        error=error,
        failed_action="" if ok else action,
    )
    if request.htmx:
        return render(request, "orders/_order_panel.html", context)
    return render(request, "orders/order_detail.html", context, status=status)


@buyer_required
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """ORD-3: cancel an unpaid order."""
    return _act(
        request,
        number,
        action="cancel",
        run=lambda order, data, now: services.order_cancel_unpaid(order=order, buyer=request.user, now=now),
        done=gettext("The order is cancelled."),
    )


@buyer_required
@require_POST
def order_request_cancellation(request: HttpRequest, number: str) -> HttpResponse:
    """ORD-5: ask the seller to cancel a paid, unshipped order."""
    return _act(
        request,
        number,
        action="request_cancellation",
        form=CancellationRequestForm(request.POST),
        run=lambda order, data, now: services.order_request_cancellation(
            order=order, buyer=request.user, reason=data["reason"], now=now
        ),
        done=gettext("Your cancellation request was sent to the seller."),
    )


@buyer_required
@require_POST
def order_confirm_receipt(request: HttpRequest, number: str) -> HttpResponse:
    """ORD-7: confirm the parcel arrived."""
    return _act(
        request,
        number,
        action="confirm_receipt",
        run=lambda order, data, now: services.order_confirm_receipt(order=order, buyer=request.user, now=now),
        done=gettext("Thank you: receipt confirmed."),
    )


@buyer_required
@require_POST
def order_request_extension(request: HttpRequest, number: str) -> HttpResponse:
    """BP-4: ask for N more days of protection on a shipped, late order."""
    return _act(
        request,
        number,
        action="request_extension",
        form=ExtensionRequestForm(request.POST),
        run=lambda order, data, now: services.extension_request(
            order=order, buyer=request.user, days=data["days"], reason=data.get("reason", ""), now=now
        ),
        done=gettext("Your extension request was sent to the seller."),
    )


def order_url(order: Order) -> str:
    return reverse("orders:detail", kwargs={"number": order.number})
