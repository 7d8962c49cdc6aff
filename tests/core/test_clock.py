"""The demo clock: the back-office page, `manage.py clock`, and deadlines firing when it moves.

Only with settings.DEMO_CLOCK (on for `make run`); the production settings refuse it
(checked in a subprocess, as the other production-settings tests). Every change is
audited (OPS-1). Moving the clock forward makes the deadline worker close what became
due (ORD-3, ORD-4), with no special case in the domain code.
"""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.clock import demo_offset, now
from core.models import AuditLog
from orders.models import Order
from orders.states import CloseReason, State
from tests.core.test_settings import MANAGE, production_env, run
from tests.deadlines.conftest import Shop
from tests.factories import UserFactory

URL = "/backoffice/clock/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEMO_CLOCK = True
    return settings


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    return user


# --- who may see the page ---------------------------------------------------------------------


def test_the_page_does_not_exist_without_the_demo_clock(client, settings):
    settings.DEMO_CLOCK = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "advance", "duration": "7d"}).status_code == 404
    client.logout()
    assert client.get(URL).status_code == 404
    assert not AuditLog.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, demo):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{demo.LOGIN_URL}?next=")
    assert client.post(URL, {"action": "advance", "duration": "7d"}).status_code == 302
    assert demo_offset() == dt.timedelta(0)


def test_people_who_are_not_staff_are_refused(client, demo):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "advance", "duration": "7d"}).status_code == 403
    assert demo_offset() == dt.timedelta(0)
    assert not AuditLog.objects.exists()


def test_staff_see_the_site_time_and_the_next_deadlines(client, demo, staff):
    order = Shop().order(now=now())
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The site runs on real time." in html
    assert "data-site-clock" in html and 'for="clock-duration"' in html
    assert "payment_window" in html and reverse("admin:orders_order_change", args=[order.pk]) in html


# --- moving the clock ---------------------------------------------------------------------------


def test_staff_move_the_clock_forward_and_each_change_is_audited(client, demo, staff):
    before = timezone.now()
    response = client.post(URL, {"action": "advance", "duration": "7d"})
    assert response.status_code == 302 and response["Location"] == URL
    assert demo_offset() == dt.timedelta(days=7)
    assert now() - timezone.now() >= dt.timedelta(days=7) - dt.timedelta(seconds=5)
    client.post(URL, {"action": "advance", "duration": "36h"})
    assert demo_offset() == dt.timedelta(days=8, hours=12)
    first, second = AuditLog.objects.order_by("at", "pk")
    assert (first.actor, first.action) == (staff, "demo_clock.advance")
    assert first.data["offset_seconds"] == 7 * 86400
    assert second.data["by_seconds"] == 36 * 3600 and second.data["via"] == "back office"
    assert before <= first.at <= timezone.now()  # the real time, not the demo time
    page = client.get(URL).content.decode()
    assert "8 d 12 h" in page and str(staff) in page

    client.post(URL, {"action": "reset"})
    assert demo_offset() == dt.timedelta(0)
    reset = AuditLog.objects.get(action="demo_clock.reset")
    assert reset.actor == staff and reset.data["offset_seconds_before"] == 8 * 86400 + 12 * 3600


def test_htmx_gets_the_panel_back_with_what_was_done_or_the_error(client, demo, staff):
    response = client.post(URL, {"action": "advance", "duration": "1d"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="clock-panel">') and "<html" not in html
    assert "<strong>1 d</strong> ahead of real time" in html
    assert "moved forward by 1d" in html
    # htmx swaps only 2xx answers, so an error comes back as a 200 panel that shows it.
    refused = client.post(URL, {"action": "advance", "duration": "0d"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert 'id="clock-duration-error"' in refused.content.decode()
    assert demo_offset() == dt.timedelta(days=1)


@pytest.mark.parametrize(
    "duration",
    ["", "7", "d", "7x", "0d", "-1d", "1.5d", "seven days", "400d", "99999999d", "7d; DROP x", "x" * 500],
)
def test_bad_durations_are_refused_with_a_field_message_and_change_nothing(client, demo, staff, duration):
    response = client.post(URL, {"action": "advance", "duration": duration})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="clock-duration-error"' in html and 'aria-invalid="true"' in html
    assert demo_offset() == dt.timedelta(0)
    assert not AuditLog.objects.exists()


def test_an_unknown_action_is_refused(client, demo, staff):
    response = client.post(URL, {"action": "rewind", "duration": "1d"})
    assert response.status_code == 422
    assert "Choose what to do" in response.content.decode()
    assert demo_offset() == dt.timedelta(0)
    assert client.put(URL).status_code == 405


# --- the worker fires what became due -------------------------------------------------------------


def test_ORD_3_ORD_4_moving_the_clock_makes_the_worker_close_what_became_due(client, demo, staff):
    shop = Shop(processing_days=7)
    unpaid = shop.order(now=now())
    paid = shop.order(now=now(), paid=True)
    call_command("run_worker", "--once", verbosity=0)
    assert Order.objects.get(pk=unpaid.pk).state == State.AWAITING_PAYMENT

    client.post(URL, {"action": "advance", "duration": "25h"})  # past the 24 h payment window
    call_command("run_worker", "--once", verbosity=0)  # what `make run` keeps running
    closed = Order.objects.get(pk=unpaid.pk)
    assert (closed.state, closed.close_reason) == (State.CLOSED, CloseReason.PAYMENT_TIMEOUT)
    assert closed.closed_at - timezone.now() > dt.timedelta(hours=24)  # closed at the site's time
    assert Order.objects.get(pk=paid.pk).state == State.AWAITING_SHIPMENT

    call_command("clock", "advance", "15d", stdout=io.StringIO())  # 7 business days have passed
    client.post(URL, {"action": "fire"})  # the page's button fires at once, like the worker
    shipped_late = Order.objects.get(pk=paid.pk)
    assert (shipped_late.state, shipped_late.close_reason) == (State.CLOSED, CloseReason.SELLER_SHIP_TIMEOUT)
    fired = AuditLog.objects.get(action="demo_clock.fire_due")
    assert fired.actor == staff and fired.data["handled"] >= 1


# --- manage.py clock ------------------------------------------------------------------------------


def test_the_clock_command_shows_advances_and_resets_with_an_audit(demo, capsys):
    call_command("clock", "show")
    assert "demo clock on; offset 0:00:00" in capsys.readouterr().out
    call_command("clock", "advance", "2d")
    assert "offset 2 days, 0:00:00" in capsys.readouterr().out
    entry = AuditLog.objects.get()
    assert entry.actor is None and entry.data["via"] == "manage.py clock"
    call_command("clock", "reset")
    assert demo_offset() == dt.timedelta(0)
    for bad in (["advance"], ["advance", "0d"], ["advance", "2 weeks"]):
        with pytest.raises(CommandError):
            call_command("clock", *bad)
    assert AuditLog.objects.count() == 2


def test_the_clock_command_refuses_to_move_when_the_demo_clock_is_off(settings):
    settings.DEMO_CLOCK = False
    with pytest.raises(CommandError, match="demo clock is off"):
        call_command("clock", "advance", "1d")
    assert demo_offset() == dt.timedelta(0)


# --- production ------------------------------------------------------------------------------------


def test_production_settings_refuse_the_demo_clock(tmp_path):
    result = run([str(MANAGE), "check"], production_env(tmp_path, DEMO_CLOCK="true"))
    assert result.returncode != 0
    assert "DEMO_CLOCK must be off in production" in result.stderr


def test_in_production_the_clock_cannot_be_moved(tmp_path):
    result = run([str(MANAGE), "clock", "advance", "7d"], production_env(tmp_path))
    assert result.returncode != 0
    assert "The demo clock is off" in result.stderr
