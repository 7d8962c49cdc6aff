"""Shared helpers of the account security tests (ACC-3, ACC-5, ACC-6)."""

from __future__ import annotations

import re

from django.core import mail

from accounts import sms
from tests.tasks import run_pending_tasks

CODE = re.compile(r"\b(\d{6})\b")


def last_code_email(to: str) -> str:
    """Run the outbox, then the code of the newest email sent to `to`."""
    run_pending_tasks()
    for message in reversed(mail.outbox):
        if to in message.to:
            match = CODE.search(message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no email to {to}: {[m.to for m in mail.outbox]}")


def last_sms_code(to_digits: str | None = None) -> str:
    run_pending_tasks()
    for message in reversed(sms.outbox):
        if to_digits is None or sms.phone_digits(message.to) == to_digits:
            match = CODE.search(message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no SMS: {sms.outbox}")


def wrong(code: str) -> str:
    """A 6-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
