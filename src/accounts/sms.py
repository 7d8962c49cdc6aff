"""Sending text messages (ACC-5, ACC-6) through a pluggable backend, like Django's email backends.

settings.SMS_BACKEND names the class:

- ``accounts.sms.ConsoleBackend`` (development default): prints the message;
- ``accounts.sms.FileBackend``: appends each message to ``settings.SMS_FILE_PATH``;
- ``accounts.sms.LocmemBackend`` (tests): keeps the messages in ``accounts.sms.outbox``.

A real provider is one more class with ``send(to, body)``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


outbox: list[TextMessage] = []


class ConsoleBackend:
    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}: {body}\n")
        sys.stdout.flush()


class FileBackend:
    def send(self, to: str, body: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"to": to, "body": body}) + "\n")


class LocmemBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append(TextMessage(to=to, body=body))


def sms_send(*, to: str, body: str) -> None:
    backend = import_string(getattr(settings, "SMS_BACKEND", "accounts.sms.ConsoleBackend"))()
    backend.send(to, body)


def phone_digits(value: str) -> str:
    """A phone number reduced to its digits, to compare two ways of writing it."""
    return "".join(ch for ch in value if ch.isdigit())


def phone_mask(value: str) -> str:
    """'+1 651 555 0100' → '••• ••• 0100': enough to recognise one's own number."""
    digits = phone_digits(value)
    return f"••• ••• {digits[-4:]}" if len(digits) >= 4 else "•••"
