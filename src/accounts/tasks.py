"""Account side effects run after commit (outbox): sending one-time codes by email or SMS."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from accounts.adapter import SITE_NAME, duration_text
from accounts.codes import code_for_sending
from accounts.models import VerificationCode
from accounts.sms import sms_send
from core.clock import now
from core.i18n import in_language_of

_EMAIL_TEXT = {
    VerificationCode.Purpose.EMAIL_CURRENT: (
        _("Your code to change your email address"),
        _("Someone, hopefully you, asked to change the email address of your {site} account.\n\n"
          "Your code: {code}\n\nIt works once, for {lifetime}. If you did not ask for this, ignore this "
          "message and consider changing your password."),
    ),
    VerificationCode.Purpose.EMAIL_NEW: (
        _("Confirm your new email address"),
        _("Enter this code on {site} to make this address the sign-in email of your account.\n\n"
          "Your code: {code}\n\nIt works once, for {lifetime}. If you did not ask for this, ignore this "
          "message: nothing will change."),
    ),
}
_SMS_TEXT = {
    VerificationCode.Purpose.REGAIN_ACCESS: _("{site}: your code to regain access is {code}. It works once."),
    VerificationCode.Purpose.ORDER_LOOKUP: _("{site}: your code to find the account of order {context} is "
                                             "{code}. It works once."),
}


@task()
def code_send(code_id: int) -> str:
    """Send one code, at most once (sent_at is set in the same transaction)."""
    with transaction.atomic():
        row = VerificationCode.objects.select_for_update().filter(pk=code_id).first()
        if row is None:
            return "gone"
        if row.sent_at is not None:
            return "already sent"
        if row.used_at is not None or row.revoked_at is not None:
            return "no longer needed"
        code = code_for_sending(row)
        with in_language_of(row.user):  # written in the language the person chose
            lifetime = duration_text(row.expires_at - row.created_at)
            if row.channel == VerificationCode.Channel.EMAIL:
                subject, body = _EMAIL_TEXT[row.purpose]
                send_mail(
                    subject=f"[{SITE_NAME}] {subject!s}",
                    message=str(body).format(site=SITE_NAME, code=code, lifetime=lifetime),
                    from_email=None,
                    recipient_list=[row.destination],
                )
            else:
                body = str(_SMS_TEXT[row.purpose]).format(site=SITE_NAME, code=code, context=row.context)
                sms_send(to=row.destination, body=body)
        row.sent_at = now()
        row.save(update_fields=["sent_at"])
    return "sent"


@task()
def email_changed_tell_old(change_id: int) -> str:
    """Tell the previous address that the account's sign-in email changed (ACC-3), once."""
    from accounts.models import EmailChange

    with transaction.atomic():
        run = EmailChange.objects.select_for_update().filter(pk=change_id).first()
        if run is None or run.completed_at is None:
            return "nothing to tell"
        if run.old_notified_at is not None:
            return "already sent"
        body = _("The sign-in email of your {site} account was changed from this address to {new}.\n\n"
                 "If you made this change, there is nothing to do. If you did not, reply to this message "
                 "or contact us at once: someone may be using your account.")
        send_mail(
            subject=f"[{SITE_NAME}] {_('Your sign-in email was changed')!s}",
            message=str(body).format(site=SITE_NAME, new=_mask_email(run.new_email)),
            from_email=None,
            recipient_list=[run.old_email],
        )
        run.old_notified_at = now()
        run.save(update_fields=["old_notified_at"])
    return "sent"


def _mask_email(email: str) -> str:
    from accounts.order_lookup import email_mask

    return email_mask(email)
