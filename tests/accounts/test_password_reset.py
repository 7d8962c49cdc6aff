"""Password reset by an emailed, single-use, expiring link (ACC-2)."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.checks import password_reset_timeout_matches_policy
from core.policy import policy
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Indigo batik 1975 river"
START = dt.datetime(2026, 3, 6, 15, 0, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://testserver(/accounts/password/reset/key/[^\s]+/)")


def _request_link(client, email: str) -> str:
    response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    message = mail.outbox[-1]
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def _use_link(client, link: str, password: str = NEW_PASSWORD):
    """Open the emailed link, then choose a new password; returns the final response."""
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    form_url = opened["Location"]
    return client.post(form_url, {"password1": password, "password2": password})


def test_acc2_reset_timeout_is_the_policy_lifetime():
    lifetime = policy.password_reset_link_lifetime
    assert int(lifetime.total_seconds()) == settings.PASSWORD_RESET_TIMEOUT
    assert password_reset_timeout_matches_policy() == []


def test_acc2_system_check_fails_when_setting_and_policy_differ(settings):
    settings.PASSWORD_RESET_TIMEOUT = 7200
    errors = password_reset_timeout_matches_policy()
    assert [e.id for e in errors] == ["accounts.E001"]


def test_acc2_reset_email_carries_a_link_and_its_lifetime(client):
    user = UserFactory()
    _request_link(client, user.email)
    message = mail.outbox[-1]
    assert message.to == [user.email]
    assert "1 hour" in message.body  # policy.password_reset_link_lifetime, printed
    assert "Hmong Artisans" in message.subject


def test_acc2_the_link_sets_a_new_password(client):
    user = UserFactory()
    link = _request_link(client, user.email)
    response = _use_link(client, link)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)


def test_acc2_the_link_works_only_once(client):
    user = UserFactory()
    link = _request_link(client, user.email)
    assert _use_link(client, link).status_code == 302
    second = _use_link(client, link, password="Another river 1976 song")
    assert second.status_code == 200
    assert second.context["token_fail"] is True
    assert "no longer works" in second.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_acc2_link_works_one_second_before_it_expires(client):
    user = UserFactory()
    lifetime = policy.password_reset_link_lifetime
    with time_machine.travel(START, tick=False):
        link = _request_link(client, user.email)
    with time_machine.travel(START + lifetime - dt.timedelta(seconds=1), tick=False):
        response = _use_link(client, link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_acc2_link_is_refused_one_second_after_it_expires(client):
    user = UserFactory()
    lifetime = policy.password_reset_link_lifetime
    with time_machine.travel(START, tick=False):
        link = _request_link(client, user.email)
    with time_machine.travel(START + lifetime + dt.timedelta(seconds=1), tick=False):
        response = _use_link(client, link)
    assert response.status_code == 200
    assert response.context["token_fail"] is True
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_acc2_link_opened_in_time_but_submitted_after_expiry_is_refused(client):
    user = UserFactory()
    lifetime = policy.password_reset_link_lifetime
    with time_machine.travel(START, tick=False):
        link = _request_link(client, user.email)
    with time_machine.travel(START + lifetime - dt.timedelta(seconds=1), tick=False):
        form_url = client.get(link)["Location"]
    with time_machine.travel(START + lifetime + dt.timedelta(seconds=1), tick=False):
        response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.context["token_fail"] is True
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_acc2_a_tampered_link_is_refused(client):
    user = UserFactory()
    link = _request_link(client, user.email)
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 200
    assert response.context["token_fail"] is True


def test_acc2_unknown_email_does_not_reveal_whether_an_account_exists(client):
    user = UserFactory()
    known = client.post(reverse("account_reset_password"), {"email": user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    known_page = client.get(known["Location"]).content.decode()
    unknown_page = client.get(unknown["Location"]).content.decode()
    assert _strip_tokens(known_page) == _strip_tokens(unknown_page)
    # Only the account's owner receives a link; the unknown address gets no key.
    to_unknown = [m for m in mail.outbox if m.to == ["nobody@example.com"]]
    assert all(not LINK.search(m.body) for m in to_unknown)


def _strip_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)


def test_acc2_reset_form_reports_a_bad_email_on_the_field(client):
    response = client.post(reverse("account_reset_password"), {"email": "not-an-email"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()


def test_acc2_reset_pages_render_in_our_layout(client):
    html = client.get(reverse("account_reset_password")).content.decode()
    assert 'for="id_email"' in html and "1 hour" in html and 'class="site-header"' in html
