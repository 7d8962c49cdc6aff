"""Changing the sign-in email in six steps (ACC-3).

1. the signed-in person asks for a code to the current address (`email_change_start`);
2. enters it (`email_change_confirm_current`);
3. gives the new address (`email_change_set_new`), which must be free;
4. a second code goes to the new address;
5. enters it (`email_change_confirm_new`);
6. the address changes; the old address is told, and password-reset links issued
   before stop working (allauth's reset token covers the account's addresses).

Codes: policy.email_change_code_digits digits, valid policy.email_change_code_lifetime,
policy.email_change_code_attempts wrong tries. Steps cannot be skipped: each service
checks the run is at the step before it. While a sign-in is held (ACC-5) nothing here
is possible (accounts.guards).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.codes import code_check, code_issue
from accounts.models import EmailChange, User, VerificationCode
from accounts.services import _email_taken, email_clean, invalid
from core.errors import Conflict, DomainError
from core.policy import policy

Step = EmailChange.Step


def _issue(user: User, purpose: str, destination: str, now: dt.datetime) -> VerificationCode:
    return code_issue(
        user=user, purpose=purpose, channel=VerificationCode.Channel.EMAIL, destination=destination,
        lifetime=policy.email_change_code_lifetime, max_attempts=policy.email_change_code_attempts,
        digits=policy.email_change_code_digits, now=now,
    )


def email_change_current(*, user: User) -> EmailChange | None:
    """The person's unfinished email change, if any."""
    return (
        EmailChange.objects.filter(user=user)
        .exclude(step__in=[Step.DONE, Step.CANCELLED]).order_by("-created_at", "-pk").first()
    )


def _locked_run(user: User, *, expected: tuple[str, ...]) -> EmailChange:
    run = (
        EmailChange.objects.select_for_update().filter(user=user)
        .exclude(step__in=[Step.DONE, Step.CANCELLED]).order_by("-created_at", "-pk").first()
    )
    if run is None:
        raise Conflict(_("Start the email change first: ask for a code to your current address."),
                       code="email_change_not_started")
    if run.step not in expected:
        raise Conflict(_("This step is not the next one of your email change."),
                       code="email_change_wrong_step")
    return run


@transaction.atomic
def email_change_start(*, user: User, now: dt.datetime) -> EmailChange:
    """Step 1: a code to the current address. Starting again replaces an unfinished run."""
    EmailChange.objects.filter(user=user).exclude(step__in=[Step.DONE, Step.CANCELLED]).update(
        step=Step.CANCELLED, updated_at=now
    )
    VerificationCode.objects.filter(
        user=user, purpose=VerificationCode.Purpose.EMAIL_NEW, used_at__isnull=True, revoked_at__isnull=True,
    ).update(revoked_at=now)
    run = EmailChange.objects.create(user=user, old_email=user.email, created_at=now, updated_at=now)
    _issue(user, VerificationCode.Purpose.EMAIL_CURRENT, user.email, now)
    return run


@transaction.atomic
def email_change_resend(*, user: User, now: dt.datetime) -> EmailChange:
    """A fresh code for the step the run is at (the previous code stops working)."""
    run = _locked_run(user, expected=(Step.CURRENT_CODE_SENT, Step.NEW_CODE_SENT))
    if run.step == Step.CURRENT_CODE_SENT:
        _issue(user, VerificationCode.Purpose.EMAIL_CURRENT, run.old_email, now)
    else:
        _issue(user, VerificationCode.Purpose.EMAIL_NEW, run.new_email, now)
    run.updated_at = now
    run.save(update_fields=["updated_at"])
    return run


def email_change_confirm_current(*, user: User, code: Any, now: dt.datetime) -> EmailChange:
    """Step 2: the code from the current address."""
    with transaction.atomic():
        run = _locked_run(user, expected=(Step.CURRENT_CODE_SENT,))
    code_check(user=user, purpose=VerificationCode.Purpose.EMAIL_CURRENT, entered=code, now=now)
    with transaction.atomic():
        run = _locked_run(user, expected=(Step.CURRENT_CODE_SENT,))
        run.step, run.updated_at = Step.CURRENT_VERIFIED, now
        run.save(update_fields=["step", "updated_at"])
    return run


@transaction.atomic
def email_change_set_new(*, user: User, new_email: Any, now: dt.datetime) -> EmailChange:
    """Steps 3-4: the new address (free, different) and a code sent there."""
    run = _locked_run(user, expected=(Step.CURRENT_VERIFIED, Step.NEW_CODE_SENT))
    email = email_clean(new_email, field="new_email")
    if email == user.email.lower():
        raise invalid({"new_email": [_("This is already your email address. Enter a different one.")]})
    if _email_taken(email):
        raise invalid({"new_email": [_("This email address is already used by another account. "
                                       "Enter a different one.")]})
    run.new_email, run.step, run.updated_at = email, Step.NEW_CODE_SENT, now
    run.save(update_fields=["new_email", "step", "updated_at"])
    _issue(user, VerificationCode.Purpose.EMAIL_NEW, email, now)
    return run


def email_change_confirm_new(*, user: User, code: Any, now: dt.datetime) -> EmailChange:
    """Steps 5-6: the code from the new address; then the address changes and the old one is told."""
    with transaction.atomic():
        _locked_run(user, expected=(Step.NEW_CODE_SENT,))
    code_check(user=user, purpose=VerificationCode.Purpose.EMAIL_NEW, entered=code, now=now)
    try:
        with transaction.atomic():
            run = _locked_run(user, expected=(Step.NEW_CODE_SENT,))
            if _email_taken(run.new_email):  # taken by someone else in the meantime
                raise invalid({"new_email": [_("This email address is already used by another account. "
                                               "Enter a different one.")]})
            _apply(user, run, now)
    except IntegrityError:
        raise invalid({"new_email": [_("This email address is already used by another account.")]}) from None
    return run


def _apply(user: User, run: EmailChange, now: dt.datetime) -> None:
    from allauth.account.models import EmailAddress

    locked = User.objects.select_for_update().get(pk=user.pk)
    old_email = locked.email
    locked.email = run.new_email
    locked.save(update_fields=["email"])
    user.email = run.new_email
    # allauth's address book for the account: only the new, verified address remains, so a
    # password-reset link issued for the old address no longer matches (its token covers them).
    EmailAddress.objects.filter(user=locked).delete()
    EmailAddress.objects.create(user=locked, email=run.new_email, primary=True, verified=True)
    run.step, run.updated_at, run.completed_at = Step.DONE, now, now
    run.save(update_fields=["step", "updated_at", "completed_at"])
    from accounts.tasks import email_changed_tell_old

    email_changed_tell_old.enqueue(run.pk)
    del old_email


@transaction.atomic
def email_change_cancel(*, user: User, now: dt.datetime) -> None:
    EmailChange.objects.filter(user=user).exclude(step__in=[Step.DONE, Step.CANCELLED]).update(
        step=Step.CANCELLED, updated_at=now
    )
    VerificationCode.objects.filter(
        user=user, purpose__in=[VerificationCode.Purpose.EMAIL_CURRENT, VerificationCode.Purpose.EMAIL_NEW],
        used_at__isnull=True, revoked_at__isnull=True,
    ).update(revoked_at=now)


@transaction.atomic
def user_sign_out_other_sessions(*, user: User, keep_token=None) -> User:
    """End every other session of the person at its next request (ACC-3's offer after the change).

    API bearer tokens are sign-ins too: all of them are revoked but `keep_token`, the one of an
    API caller. A page caller keeps its own session with django.contrib.auth.update_session_auth_hash.
    """
    from accounts.models import ApiToken

    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.sessions_epoch += 1
    locked.save(update_fields=["sessions_epoch"])
    ApiToken.objects.filter(user=locked).exclude(pk=getattr(keep_token, "pk", None)).delete()
    user.sessions_epoch = locked.sessions_epoch
    return user


__all__ = ["DomainError"]
