"""Helpers of the dispute page tests (test_pages_*.py): travel in time with a signed-in client,
open disputes through the real services, read the pages. No test here."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes import services
from tests.disputes.factories import DAY, T0, png_bytes

HTMX = {"HTTP_HX_REQUEST": "true"}
RECEIVED_AT = T0 + 8 * DAY  # received_order() confirms receipt 8 days after shipment (T0)
OPENED_AT = T0 + 9 * DAY


@contextmanager
def at(client, user, instant: dt.datetime):
    """Travel to `instant` (the clock stands still), signed in as `user` (None: anonymous)."""
    with time_machine.travel(instant, tick=False):
        if user is not None:
            client.force_login(user)
        else:
            client.logout()
        yield


def utc(instant: dt.datetime) -> str:
    """How the pages print an instant without JavaScript."""
    instant = instant.astimezone(dt.UTC)
    return f"{instant:%a} {instant.day} {instant:%b %Y, %H:%M} UTC"


def html(response) -> str:
    return response.content.decode()


def png_upload(name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def exe_upload(name="holiday.png") -> SimpleUploadedFile:
    """A Windows program renamed as a picture."""
    return SimpleUploadedFile(name, b"MZ\x90\x00" + b"\x00" * 200, content_type="image/png")


def open_dispute(
    order, *, now=OPENED_AT, solution="refund_only", amount=None, reason="not_as_described", files=()
):
    return services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason=reason,
        solution=solution,
        amount_minor=amount if amount is not None else order.total_minor,
        description="The colour is not the one in the pictures.",
        files=list(files),
        now=now,
    )


def team_dispute(order, *, now):
    """A 'not received' dispute with no tracking at all after day 11: straight to the team (DSP-5)."""
    return services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="no_tracking",
        solution="refund_only",
        amount_minor=order.total_minor,
        description="Nothing has arrived and there is no tracking.",
        now=now,
    )
