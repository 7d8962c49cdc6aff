"""In a real browser: sign in with a password that ends with a space (ACC-1: warned, never trimmed),
then change the email in the six steps of ACC-3 with both codes read from the outbox."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.tasks import run_pending_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"\b(\d{6})\b")
NEW = "mai.new@example.org"


def code_sent_to(address: str) -> str:
    run_pending_tasks()  # the outbox task sends the email, as the db_worker would
    for message in reversed(mail.outbox):
        if address in message.to:
            return CODE.search(message.body).group(1)
    raise AssertionError(f"no email to {address}")


def test_acc3_change_email_end_to_end(page: Page, live_server):
    user = UserFactory(email="mai@example.com")
    user.set_password(PASSWORD + " ")
    user.save()
    base = live_server.url

    # ACC-1: the sign-in form warns about the trailing space and sends the password as typed
    page.goto(base + reverse("account_login"))
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD + " ")
    expect(page.locator("#password-space-warning")).to_be_visible()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Step 1: a code to the current address
    page.goto(base + reverse("accounts:email_change"))
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    page.get_by_role("button", name="Send a code to mai@example.com").click()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    # Step 2: enter it
    page.get_by_label("Code").fill(code_sent_to("mai@example.com"))
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_text("Step 3 of 6")).to_be_visible()
    # Steps 3 and 4: the new address, a code sent there
    page.get_by_label("New email address").fill(NEW)
    page.get_by_role("button", name="Send a code to the new address").click()
    expect(page.get_by_text("Step 5 of 6")).to_be_visible()
    # Steps 5 and 6: enter it; the email is changed
    page.get_by_label("Code").fill(code_sent_to(NEW))
    page.get_by_role("button", name="Change my email").click()
    expect(page.get_by_text("Step 6 of 6")).to_be_visible()
    expect(page.get_by_role("heading", name="Your email is changed")).to_be_visible()
    assert User.objects.get(pk=user.pk).email == NEW

    # the old address is told
    run_pending_tasks()
    assert any(m.to == ["mai@example.com"] and "changed" in m.body for m in mail.outbox)

    # the offer to sign out other sessions
    page.get_by_role("button", name="Sign out of all other devices").click()
    expect(page.get_by_text("You are signed out on every other device.")).to_be_visible()
