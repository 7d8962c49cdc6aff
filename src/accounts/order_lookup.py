"""Find the account that holds an order (ACC-6).

Proof of ownership: the order number with the buyer's name and the shipping
postal code as on the order, or a code sent by SMS to the phone on the order.
The answer is only the masked sign-in email (``j***@m***.com``), never the whole
address. Look-ups are counted per client address (policy.order_lookup_per_address
within policy.order_lookup_window); a wrong answer and an unknown order give the
same message, so the form tells nothing about which orders exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.codes import code_check, code_issue
from accounts.models import VerificationCode
from accounts.sms import phone_mask
from core.errors import DomainError
from core.policy import policy

NUMBER_MAX_LENGTH = 20
NAME_MAX_LENGTH = 160
POSTCODE_MAX_LENGTH = 20


def email_mask(email: str) -> str:
    """'jane.doe@mail.example.com' → 'j***@m***.com': first letters and the top-level domain only."""
    local, _sep, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    masked_host = f"{host[:1]}***" if host else "***"
    return f"{local[:1]}***@{masked_host}{'.' + tld if tld else ''}"


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


def _postcode(value: str) -> str:
    return "".join(value.upper().split()).replace("-", "")


def _limit_key(ip: str) -> str:
    return f"acc6:lookup:{hashlib.sha256(ip.encode()).hexdigest()[:32]}"


def _count(ip: str) -> None:
    """Count one look-up for the address; past the policy's limit, refuse (429)."""
    key = _limit_key(ip)
    timeout = int(policy.order_lookup_window.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)
        count = 1
    if count > policy.order_lookup_per_address:
        raise DomainError(
            _("Too many look-ups from your connection. Please try again later."),
            code="rate_limited", status=429,
        )


def _text(value: Any, field: str, label: str, max_length: int, errors: dict) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[field] = [_("%(label)s is required.") % {"label": label}]
        return ""
    value = value.strip()
    if len(value) > max_length or any(ord(ch) < 32 for ch in value):
        errors[field] = [_("%(label)s does not look right.") % {"label": label}]
    return value


def _not_matched() -> DomainError:
    return DomainError(
        _("We could not match these details to an order. Check the order number and type the name and "
          "postal code exactly as on the order."),
        code="order_not_matched", status=404,
    )


def _order(number: str):
    from orders.models import Order

    return Order.objects.select_related("buyer").filter(number__iexact=number).first()


def order_account_find(*, number: Any, name: Any, postcode: Any, ip: str) -> str:
    """The masked login id of the buyer of order `number`, when the name and postal code match."""
    errors: dict[str, list[str]] = {}
    number = _text(number, "number", _("The order number"), NUMBER_MAX_LENGTH, errors)
    name = _text(name, "name", _("The name"), NAME_MAX_LENGTH, errors)
    postcode = _text(postcode, "postcode", _("The postal code"), POSTCODE_MAX_LENGTH, errors)
    if errors:
        raise DomainError(_("Please correct the form."), code="validation_error", fields=errors, status=422)
    _count(ip)
    order = _order(number)
    if (
        order is None
        or _fold(name) != _fold(order.ship_full_name)
        or not order.ship_postal_code
        or _postcode(postcode) != _postcode(order.ship_postal_code)
    ):
        raise _not_matched()
    return email_mask(order.buyer.email)


def order_lookup_send_code(*, number: Any, ip: str, now: dt.datetime) -> str:
    """Send a code by SMS to the phone on the order; returns that phone, masked."""
    errors: dict[str, list[str]] = {}
    number = _text(number, "number", _("The order number"), NUMBER_MAX_LENGTH, errors)
    if errors:
        raise DomainError(_("Please correct the form."), code="validation_error", fields=errors, status=422)
    _count(ip)
    order = _order(number)
    if order is None or not order.ship_phone:
        raise _not_matched()
    code_issue(
        user=order.buyer, purpose=VerificationCode.Purpose.ORDER_LOOKUP, channel=VerificationCode.Channel.SMS,
        destination=order.ship_phone, context=order.number, lifetime=policy.sms_code_lifetime,
        max_attempts=policy.sms_code_attempts, digits=policy.email_change_code_digits, now=now,
    )
    return phone_mask(order.ship_phone)


def order_account_find_by_code(*, number: Any, code: Any, ip: str, now: dt.datetime) -> str:
    """The masked login id of the buyer of order `number`, for the right SMS code."""
    errors: dict[str, list[str]] = {}
    number = _text(number, "number", _("The order number"), NUMBER_MAX_LENGTH, errors)
    code = _text(code, "code", _("The code"), 12, errors)
    if errors:
        raise DomainError(_("Please correct the form."), code="validation_error", fields=errors, status=422)
    _count(ip)
    order = _order(number)
    if order is None:
        raise _not_matched()
    code_check(user=order.buyer, purpose=VerificationCode.Purpose.ORDER_LOOKUP, entered=code, now=now,
               context=order.number)
    return email_mask(order.buyer.email)
