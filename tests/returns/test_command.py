"""`manage.py send_return_event` signs an update as the provider would (RET-3 demos)."""

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from core import clock
from orders.webhooks import signature_problem
from returns import services
from tests.returns.factories import DAY, RECEIVED_AT

pytestmark = pytest.mark.django_db


def test_ret3_dry_run_prints_a_correctly_signed_request(shop, settings):
    order = shop.order()
    ret = services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: 2}, now=RECEIVED_AT + DAY
    )
    line = ret.lines.get()
    out = io.StringIO()
    with time_machine.travel(RECEIVED_AT + 2 * DAY, tick=False):
        call_command(
            "send_return_event",
            ret.return_code.lower(),
            "--status",
            "inspected",
            "--good",
            f"{line.pk}=1",
            "--dry-run",
            stdout=out,
        )
        first, header_line, body = out.getvalue().splitlines()
        assert first == "POST http://127.0.0.1:8000/webhooks/returns/parcelpoint/"
        header = header_line.split(": ", 1)[1]
        secret = settings.RETURN_PROVIDERS["parcelpoint"]["secret"]
        assert signature_problem(header=header, body=body.encode(), secret=secret, now=clock.now()) is None
    payload = json.loads(body)
    assert payload["return_code"] == ret.return_code and payload["lines"] == [
        {"line_id": line.pk, "units_good": 1}
    ]
    with pytest.raises(CommandError):
        call_command("send_return_event", "RT-NOPE", "--dry-run", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "send_return_event", ret.return_code, "--status", "inspected", "--good", "x", "--dry-run"
        )
