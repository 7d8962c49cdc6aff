"""One-time numeric codes sent by email or SMS (ACC-3 email change, ACC-5 regain access, ACC-6).

The code is never written anywhere: it is derived from the row's random salt
with a key only the server holds, so the sending task (outbox, after commit)
can rebuild it from the row id; the row keeps a keyed hash to compare against.
Each code allows `max_attempts` wrong entries, expires, is single use, and a
newer code of the same purpose for the same person replaces the older one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User, VerificationCode
from core.errors import DomainError

_DERIVE_SALT = "accounts.codes.derive"
_HASH_SALT = "accounts.codes.hash"


def code_derive(*, salt: str, digits: int) -> str:
    """The code of a row: `digits` decimal digits from an HMAC of its salt."""
    number = int(salted_hmac(_DERIVE_SALT, salt, algorithm="sha256").hexdigest(), 16)
    return f"{number % 10**digits:0{digits}d}"


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()


def code_issue(
    *, user: User, purpose: str, channel: str, destination: str, lifetime: dt.timedelta,
    max_attempts: int, digits: int, now: dt.datetime, context: str = "",
) -> VerificationCode:
    """Create a code and enqueue its sending (same transaction); earlier live codes of the purpose die."""
    from accounts.tasks import code_send
    from core.policy import policy

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one sender at a time per person
        recent = VerificationCode.objects.filter(
            user=user, purpose=purpose, created_at__gt=now - policy.codes_window).count()
        if recent >= policy.codes_per_window:
            raise DomainError(
                _("We have sent too many codes for this already. Please wait a while before asking again."),
                code="too_many_codes", status=429,
            )
        VerificationCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, revoked_at__isnull=True,
        ).update(revoked_at=now)
        salt = secrets.token_hex(16)
        code = code_derive(salt=salt, digits=digits)
        row = VerificationCode.objects.create(
            user=user, purpose=purpose, channel=channel, destination=destination, context=context,
            salt=salt, code_hash=_code_hash(salt, code), created_at=now, expires_at=now + lifetime,
            max_attempts=max_attempts,
        )
        code_send.enqueue(row.pk)
    return row


def _code_error(message: str, code: str, field: str) -> DomainError:
    return DomainError(message, code=code, fields={field: [message]}, status=400)


def code_check(
    *, user: User, purpose: str, entered: Any, now: dt.datetime, field: str = "code",
    context: str | None = None,
) -> VerificationCode:
    """Check an entered code against the person's live code of `purpose` and use it up.

    Wrong entries count against the code (a DomainError says how many tries are
    left); an expired, exhausted, replaced or already used code is refused.
    """
    text = entered.strip() if isinstance(entered, str) else ""
    with transaction.atomic():
        filters = {"user": user, "purpose": purpose}
        if context is not None:
            filters["context"] = context
        row = (
            VerificationCode.objects.select_for_update()
            .filter(**filters).order_by("-created_at", "-pk").first()
        )
        if row is None or row.revoked_at is not None:
            raise _code_error(_("There is no code waiting for this step. Ask for a new code."),
                              "code_missing", field)
        if row.used_at is not None:
            raise _code_error(_("This code has already been used. Ask for a new code."), "code_used", field)
        if now >= row.expires_at:
            raise _code_error(_("This code has expired. Ask for a new code."), "code_expired", field)
        if row.attempts >= row.max_attempts:
            raise _code_error(_("Too many wrong codes. Ask for a new code."),
                              "code_attempts_exhausted", field)
        if text.isdigit() and hmac.compare_digest(_code_hash(row.salt, text), row.code_hash):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return row
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = row.max_attempts - row.attempts
    if left <= 0:
        raise _code_error(_("Too many wrong codes. Ask for a new code."), "code_attempts_exhausted", field)
    raise _code_error(
        _("This code is not right. You have %(left)d more tries.") % {"left": left}, "code_wrong", field
    )


def _digits(row: VerificationCode) -> int:
    from core.policy import policy

    return policy.email_change_code_digits


def code_for_sending(row: VerificationCode) -> str:
    """The plain code of a row, for the sending task only."""
    return code_derive(salt=row.salt, digits=_digits(row))
