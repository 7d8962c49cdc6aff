"""Unusual activity at sign-in (ACC-5): which sign-ins are held, and regaining access.

A successful sign-in is *risky* when
- the account had a burst of failed passwords just before (at least
  policy.failed_logins_per_account within policy.failed_login_window), or
- it comes from a device this account never signed in from *and* from a country
  it never signed in from (accounts.geo, pluggable), the account having signed in
  before.

A risky sign-in is held: the session carries the hold, and until the person
verifies a phone number by SMS code (the "regain access" page) nothing that moves
money or changes the email or payout details is possible (accounts.guards). The
person is told by email. Failed sign-ins themselves are throttled by django-axes
(settings AXES_*, accounts.axes_policy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.codes import code_check, code_issue
from accounts.geo import ip_country
from accounts.models import Address, SignInEvent, SignInHold, User, VerificationCode
from accounts.sms import phone_digits, phone_mask
from core.errors import DomainError
from core.i18n import lazy_text
from core.policy import policy

SESSION_KEY = "acc5_hold"
DEVICE_COOKIE = "ha_device"
REASON_FAILED_BURST = "failed_burst"
REASON_NEW_DEVICE_COUNTRY = "new_device_country"


def device_hash(device_id: str) -> str:
    return hashlib.sha256(f"device:{device_id}".encode()).hexdigest()


def recent_failures(*, email: str, now: dt.datetime) -> int:
    """Failed sign-ins for this email within the window, as django-axes recorded them."""
    from axes.models import AccessAttempt

    since = now - policy.failed_login_window
    total = AccessAttempt.objects.filter(username__iexact=email, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


def sign_in_assess(*, user: User, ip: str, device_id: str, now: dt.datetime) -> SignInEvent:
    """Record a successful sign-in; hold it (and tell the person) when it is risky."""
    country = ip_country(ip)
    device = device_hash(device_id)
    trusted = SignInEvent.objects.filter(user=user).filter(
        Q(risky=False) | Q(hold__released_at__isnull=False)
    )
    reason = ""
    if recent_failures(email=user.email, now=now) >= policy.failed_logins_per_account:
        reason = REASON_FAILED_BURST
    elif (
        country
        and trusted.exists()
        and not trusted.filter(device_hash=device).exists()
        and not trusted.filter(country=country).exists()
    ):
        reason = REASON_NEW_DEVICE_COUNTRY
    with transaction.atomic():
        event = SignInEvent.objects.create(
            user=user, at=now, ip=ip or None, country=country, device_hash=device,
            risky=bool(reason), reason=reason,
        )
        if reason:
            hold = SignInHold.objects.create(user=user, event=event, reason=reason, created_at=now)
            _tell_held(user, hold, country, now)
    return event


def _tell_held(user: User, hold: SignInHold, country: str, now: dt.datetime) -> None:
    from core.countries import country_name
    from notifications.services import notify

    # NTF-1: in the language the owner chose, not the one of the (perhaps foreign) sign-in.
    where = country_name(country) if country else gettext_lazy("an unknown place")
    notify(
        user=user, kind="security", event_key=f"sign-in-held:{hold.pk}",
        subject=gettext_lazy("We paused a sign-in to your account"),
        body=lazy_text(gettext_lazy(
            "Someone signed in to your account from %(where)s in a way that looks unusual to us, so we "
            "paused payments, refunds, saved cards and email changes for that sign-in. If it was you, "
            "open the regain access page and confirm your phone number with the code we text you. If it "
            "was not you, change your password now."
        ), {"where": where}),
        url="/account/regain-access/", now=now,
    )


def hold_open(*, hold_id: Any) -> SignInHold | None:
    if not isinstance(hold_id, int):
        return None
    return SignInHold.objects.filter(pk=hold_id, released_at__isnull=True).first()


def user_has_open_hold(*, user: User) -> bool:
    return SignInHold.objects.filter(user=user, released_at__isnull=True).exists()


def phones_on_file(*, user: User) -> list[str]:
    """The phone numbers of the person's address book and past orders, each once."""
    from orders.models import Order

    seen: dict[str, str] = {}
    for phone in list(Address.objects.filter(user=user).values_list("phone", flat=True)) + list(
        Order.objects.filter(buyer=user).values_list("ship_phone", flat=True)[:50]
    ):
        digits = phone_digits(phone)
        if digits and digits not in seen:
            seen[digits] = phone
    return list(seen.values())


def _same_phone(a: str, b: str) -> bool:
    """The same number, written with or without its country code ('6515550100' ~ '16515550100')."""
    short, long = sorted((a, b), key=len)
    return a == b or (len(short) >= 8 and long.endswith(short))


def regain_access_send_code(*, user: User, hold: SignInHold, phone: Any, now: dt.datetime) -> str:
    """Text a code to `phone`, which must be one of the numbers on file when there are any.

    Returns the phone masked. With no number on file, the number given becomes the one verified.
    """
    if hold.released_at is not None:
        raise DomainError(_("This sign-in is no longer paused."), code="not_held", status=409)
    text = phone.strip() if isinstance(phone, str) else ""
    digits = phone_digits(text)
    if not text or not 6 <= len(digits) <= 20 or any(ch.isalpha() for ch in text) or len(text) > 30:
        message = _("Enter a phone number: 6 to 20 digits, with an optional + at the start.")
        raise DomainError(message, code="validation_error", fields={"phone": [message]}, status=422)
    on_file = phones_on_file(user=user)
    if on_file and not any(_same_phone(digits, phone_digits(p)) for p in on_file):
        message = _("Enter one of the phone numbers saved on your account (ending in %(ends)s).") % {
            "ends": ", ".join(phone_digits(p)[-4:] for p in on_file)}
        raise DomainError(message, code="phone_not_on_file", fields={"phone": [message]}, status=422)
    code_issue(
        user=user, purpose=VerificationCode.Purpose.REGAIN_ACCESS, channel=VerificationCode.Channel.SMS,
        destination=text, lifetime=policy.sms_code_lifetime, max_attempts=policy.sms_code_attempts,
        digits=policy.email_change_code_digits, now=now, context=str(hold.pk),
    )
    return phone_mask(text)


def regain_access_verify(*, user: User, hold: SignInHold, code: Any, now: dt.datetime) -> SignInHold:
    """Check the SMS code; the hold is released and the device and country become known."""
    row = code_check(user=user, purpose=VerificationCode.Purpose.REGAIN_ACCESS, entered=code, now=now,
                     context=str(hold.pk))
    with transaction.atomic():
        locked = SignInHold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is None:
            locked.released_at = now
            locked.verified_phone = row.destination
            locked.save(update_fields=["released_at", "verified_phone"])
    return locked


def request_device_id(request) -> str:
    """The device cookie of the request, or a new id (HeldSignInGuard sets it on the response)."""
    import secrets

    device_id = request.COOKIES.get(DEVICE_COOKIE, "")
    if not device_id or len(device_id) > 64 or not device_id.replace("-", "").replace("_", "").isalnum():
        device_id = secrets.token_urlsafe(24)
        request.acc5_new_device_id = device_id
    return device_id


def sign_in_assess_request(*, request, user: User) -> SignInEvent:
    """Assess a successful sign-in (form, social or API token) from what the request tells."""
    from accounts.axes_policy import client_ip
    from core.clock import now

    return sign_in_assess(user=user, ip=client_ip(request), device_id=request_device_id(request), now=now())


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """django.contrib.auth's user_logged_in: assess the sign-in; a risky one marks the session held."""
    if request is None or user is None or not hasattr(request, "session"):
        return
    event = sign_in_assess_request(request=request, user=user)
    if event.risky:
        request.session[SESSION_KEY] = event.hold.pk
    else:
        request.session.pop(SESSION_KEY, None)
