"""Staff back office for partial refunds (OPS-1 "refunds", RFD-1, RFD-2): /backoffice/refunds/.

Find an order by its number, see what was paid and by which method, the refunds so far (amount,
destination, state, arrival window, ARN) and what can still be refunded (captured − refunded);
refund part of it with a reason. Anonymous visitors are sent to sign in; anyone but active
staff gets 404. Each form carries its own idempotency token, so a double submit refunds once.
Every refund is audited (core.AuditLog) and written on the order's timeline.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_record
from core.clock import now, real_now
from core.errors import DomainError
from core.money import Money, get_currency
from core.views_backoffice import staff_required
from orders.models import Order, OrderEvent
from orders.selectors import order_refunds
from orders.states import Actor
from payments.methods import METHODS
from payments.models import Refund
from payments.services import order_payments, order_refundable_minor, refund_order_amount, refunded_minor

REASON_MAX = 200
_AMOUNT_RE = re.compile(r"^-?\d{1,12}(?:\.\d{1,12})?$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def parse_amount(text: str, currency: str) -> tuple[int | None, str]:
    """(minor units, "") for a positive decimal amount with at most the currency's decimals,
    else (None, the error to show)."""
    text = (text or "").strip()
    if not text:
        return None, _("Enter the amount to refund.")
    if not _AMOUNT_RE.match(text):
        return None, _("Enter an amount in %(currency)s such as 12.50.") % {"currency": currency}
    exponent = get_currency(currency).exponent
    try:
        number = Decimal(text)
        money = Money.from_decimal(text, currency)
    except (InvalidOperation, ValueError):
        return None, _("Enter an amount in %(currency)s such as 12.50.") % {"currency": currency}
    if Decimal(money.amount).scaleb(-exponent) != number:
        if not exponent:
            return None, _("%(currency)s amounts have no decimals.") % {"currency": currency}
        return None, ngettext("%(currency)s amounts have at most %(count)s decimal.",
                              "%(currency)s amounts have at most %(count)s decimals.",
                              exponent) % {"currency": currency, "count": exponent}
    if money.amount <= 0:
        return None, _("The amount must be more than zero.")
    return money.amount, ""


def _find(number: str) -> Order | None:
    number = (number or "").strip()
    if not number:
        return None
    return Order.objects.select_related("buyer", "store").filter(number__iexact=number).first()


def _context(order: Order | None, *, q: str = "", errors=None, values=None, token: str = "") -> dict:
    context = {"q": q, "order": order, "errors": errors or {}, "values": values or {},
               "token": token or new_token(), "reason_max": REASON_MAX}
    if order is None:
        return context
    main, balance = order_payments(order)
    payments = []
    for payment in (main, balance):
        if payment is not None:
            method = METHODS.get(payment.method)
            label = method.label if method else (_("Platform balance") if payment.method == "balance"
                                                 else payment.method)
            payments.append({"payment": payment, "label": label})
    refunds = list(order.refunds.all())
    refundable = order_refundable_minor(order, refunds)
    refunded = refunded_minor(refunds)
    context.update(
        payments=payments,
        refunds=order_refunds(order=order),
        refundable_minor=refundable,
        refunded_minor=refunded,
        exponent=get_currency(order.currency).exponent,
    )
    return context


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    order = _find(q)
    context = _context(order, q=q)
    status = 404 if q and order is None else 200
    return render(request, "payments/backoffice_refunds.html", context, status=status)


def _back(order: Order) -> HttpResponse:
    return redirect(f"{reverse('backoffice_refunds:search')}?{urlencode({'q': order.number})}")


@staff_required
@require_POST
def refund(request: HttpRequest, number: str) -> HttpResponse:
    order = _find(number)
    if order is None:
        raise Http404("No such order")
    amount_text = request.POST.get("amount", "")
    reason = request.POST.get("reason", "").strip()
    token = request.POST.get("token", "")
    values = {"amount": amount_text, "reason": reason}
    errors: dict[str, list[str]] = {}
    amount_minor, amount_error = parse_amount(amount_text, order.currency)
    if amount_error:
        errors["amount"] = [amount_error]
    if not reason:
        errors["reason"] = [_("Give the reason for the refund.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep the reason to %(max)s characters or fewer.") % {"max": REASON_MAX}]
    if not _TOKEN_RE.match(token):
        errors["form"] = [_("The form has expired; reload the page and try again.")]
        token = ""
    if errors:
        context = _context(order, q=order.number, errors=errors, values=values, token=token)
        return render(request, "payments/backoffice_refunds.html", context, status=422)
    event_key = f"staff-refund:{order.pk}:{token}"
    at = now()
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            already = Refund.objects.filter(idempotency_key=event_key).exists()
            made = refund_order_amount(
                order=locked, amount_minor=amount_minor, reason=reason, event_key=event_key, now=at
            )
            if not already:
                OrderEvent.objects.create(
                    order=locked, at=at, actor=Actor.STAFF, actor_user=request.user,
                    kind="staff_refund", from_state=locked.state, to_state=locked.state,
                    reason=reason, data={"amount_minor": amount_minor, "refund": made.pk},
                )
                audit_record(
                    actor=request.user, action="payments.staff_refund",
                    data={"order": order.number, "amount_minor": amount_minor,
                          "currency": order.currency, "reason": reason, "refund": made.pk,
                          "site_time": at.isoformat()},
                    at=real_now(),
                )
    except DomainError as exc:
        fields = {("amount" if key == "amount_minor" else key): list(msgs) if isinstance(msgs, list | tuple)
                  else [str(msgs)] for key, msgs in exc.fields.items()}
        known = {k: v for k, v in fields.items() if k in ("amount", "reason")}
        if not known:
            known["form"] = [exc.message]
        context = _context(_find(order.number), q=order.number, errors=known, values=values, token=token)
        return render(request, "payments/backoffice_refunds.html", context, status=exc.status)
    money = Money(amount_minor, order.currency)
    if already:
        messages.info(request, _(
            "This refund of %(money)s on order %(number)s was already made.") % {
                "money": money, "number": order.number})
    else:
        messages.success(request, _(
            "Refunded %(money)s on order %(number)s.") % {"money": money, "number": order.number})
    return _back(order)
