"""Accounts in a real browser: the password warnings (ACC-1) and the address book with htmx
(ACC-7)."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import Address
from tests.factories import PASSWORD, AddressFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_acc1_login_warns_about_spaces_and_caps_lock_without_trimming(page: Page, live_server):
    user = UserFactory(email="mai@example.com")
    page.goto(live_server.url + reverse("account_login"))
    password = page.get_by_label("Password")
    password.fill(PASSWORD + " ")
    expect(page.get_by_text("starts or ends with a space")).to_be_visible()
    password.dispatch_event("keyup", {"modifierCapsLock": True, "key": "a"})
    expect(page.get_by_text("Caps Lock is on")).to_be_visible()
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Sign in").click()
    # The trailing space is sent as typed, so this is the wrong password.
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(password).to_have_value("")
    password.fill(PASSWORD)
    expect(page.get_by_text("starts or ends with a space")).to_be_hidden()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_acc7_address_book_add_make_default_and_remove(page: Page, live_server):
    user = UserFactory(email="mai@example.com")
    AddressFactory(user=user, is_default=True, city="Fresno", postal_code="93721", region="CA")
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("accounts:addresses"))

    # A last name of spaces is refused next to the field.
    page.get_by_label("First name").fill("Pa")
    page.get_by_label("Last name").fill("   ")
    page.get_by_label("Street address").fill("2 River Rd")
    page.get_by_label("City").fill("Merced")
    page.get_by_label("Postal code").fill("95340")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Phone number").fill("+1 209 555 0100")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("#id_last_name_error")).to_contain_text("Last name is required.")
    expect(page.get_by_label("Last name")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Last name").fill("Xiong")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("The address is saved.")).to_be_visible()

    page.get_by_role("button", name="Make default the address of Pa Xiong, Merced").click()
    expect(page.get_by_text("Pa Xiong, Merced is now your default address.")).to_be_visible()
    merced = Address.objects.get(city="Merced")
    assert merced.is_default

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove the address of Pa Xiong, Merced").click()
    expect(page.get_by_text("The address is removed.")).to_be_visible()
    expect(page.locator("#address-list")).not_to_contain_text("Merced")
    assert Address.objects.get(user=user).is_default  # Fresno took over
