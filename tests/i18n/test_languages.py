"""Languages (issue 7): the header's switcher, forged choices, pages and notices in Russian."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core.i18n import language_offered, user_language
from core.models import LanguagePreference
from notifications.models import Notice
from orders import notices
from tests.factories import AddressFactory, ProductFactory, StoreFactory, UserFactory
from tests.orders.test_buyer_pages import paid

pytestmark = pytest.mark.django_db

SWITCH = reverse("set_language")
COOKIE = settings.LANGUAGE_COOKIE_NAME


def russian(text: str) -> str:
    """`text` as the Russian catalogue has it; never the English left as it was."""
    with translation.override("ru"):
        translated = gettext(text)
    assert translated != text, f"{text!r} has no Russian translation"
    return translated


def switch(client, language: str, next_path: str = "/"):
    return client.post(SWITCH, {"language": language, "next": next_path})


def test_the_five_languages_and_english_by_default():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "fr", "es", "ru", "pt"]
    assert settings.LANGUAGE_CODE.startswith("en")
    middleware = settings.MIDDLEWARE
    assert middleware.index("django.middleware.locale.LocaleMiddleware") > middleware.index(
        "django.contrib.sessions.middleware.SessionMiddleware")
    assert middleware.index("django.middleware.locale.LocaleMiddleware") < middleware.index(
        "django.middleware.common.CommonMiddleware")


def test_header_offers_the_switcher_with_each_language_in_its_own_name(client):
    html = client.get("/").content.decode()
    assert f'action="{SWITCH}"' in html and 'name="language"' in html
    for name in ("English", "Français", "Español", "Русский", "Português"):
        assert name in html
    assert '<option value="en" lang="en" selected>' in html
    assert '<html lang="en">' in html


def test_switching_to_russian_turns_home_into_russian_and_goes_back(client):
    response = switch(client, "ru", "/stores/")
    assert response.status_code == 302 and response["Location"] == "/stores/"
    assert response.cookies[COOKIE].value == "ru"

    html = client.get("/").content.decode()
    assert '<html lang="ru">' in html
    assert "Войти" in html and russian("Sign in") == "Войти"
    assert russian("Seller center") in html or russian("Register") in html
    assert '<option value="ru" lang="ru" selected>' in html
    assert ">Sign in<" not in html


def test_product_page_in_russian(client):
    product = ProductFactory(title="Paj ntaub pillow", variants=[{"price_minor": 2500, "stock": 3}])
    switch(client, "ru")
    html = client.get(reverse("catalog:product", args=[product.slug])).content.decode()
    assert "Paj ntaub pillow" in html  # what the seller wrote stays as written
    assert russian("Add to cart") in html and ">Add to cart<" not in html


def test_order_page_in_russian(client):
    buyer = UserFactory()
    now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    order = paid(buyer, AddressFactory(user=buyer, is_default=True), now=now)
    client.force_login(buyer)
    switch(client, "ru")
    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert order.number in html
    assert russian("Status:") in html and russian("What you can do") in html
    assert russian("Awaiting shipment") in html  # the state's label


def test_seller_center_in_russian(client):
    store = StoreFactory()
    client.force_login(store.owner)
    switch(client, "ru")
    html = client.get(reverse("sellercenter:home")).content.decode()
    assert russian("Dashboard") in html and russian("Products") in html
    assert ">Dashboard<" not in html


@pytest.mark.parametrize("forged", ["xx", "de", "ru<script>", "", "r" * 500, "../en", "EN-GB"])
def test_a_forged_language_changes_nothing_and_says_why(client, forged):
    response = client.post(SWITCH, {"language": forged, "next": "/stores/"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0] == ("/stores/", 302)
    message = "We do not offer the interface in that language, so nothing was changed."
    assert message in response.content.decode()
    assert COOKIE not in client.cookies
    assert '<html lang="en">' in response.content.decode()


def test_forged_next_goes_home_and_get_is_refused(client):
    response = switch(client, "fr", "https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(SWITCH).status_code == 405


def test_language_codes_are_forgiving_about_case_only():
    assert language_offered("RU") == "ru" and language_offered(" pt ") == "pt"
    assert language_offered("pt-br") == "" and language_offered("ru_RU") == ""


def test_a_signed_in_persons_choice_is_kept_for_their_notices(client):
    buyer = UserFactory()
    client.force_login(buyer)
    switch(client, "ru")
    assert LanguagePreference.objects.get(user=buyer).language == "ru"
    assert user_language(buyer) == "ru"
    switch(client, "es")
    assert LanguagePreference.objects.get(user=buyer).language == "es"
    assert user_language(UserFactory()) == settings.LANGUAGE_CODE


def test_notices_are_written_in_each_recipients_language():
    """NTF-1 notices of one event: the seller chose Russian, the buyer never chose."""
    buyer = UserFactory()
    now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    order = paid(buyer, AddressFactory(user=buyer, is_default=True), now=now)
    LanguagePreference.objects.create(user=order.store.owner, language="ru")
    Notice.objects.all().delete()

    notices.order_shipped(order, now=now)  # to the buyer: English
    notices.receipt_confirmed(order, now=now)  # to the seller: Russian
    to_buyer = Notice.objects.get(user=buyer)
    to_seller = Notice.objects.get(user=order.store.owner)
    assert to_buyer.subject == f"The seller has shipped your order {order.number}"
    with translation.override("ru"):
        expected = gettext("Order {number} was received").format(number=order.number)
    assert to_seller.subject == expected and "Order" not in expected


def test_account_emails_are_written_in_the_persons_language(client, mailoutbox):
    """allauth's emails (here: a password reset link) follow the language the person chose."""
    ru = UserFactory(email="ru@example.test")
    UserFactory(email="en@example.test")  # chose nothing: English
    LanguagePreference.objects.create(user=ru, language="ru")
    for email in ("ru@example.test", "en@example.test"):
        client.post(reverse("account_reset_password"), {"email": email})
    by_address = {message.to[0]: message for message in mailoutbox}
    assert russian("Your link to choose a new password") in by_address["ru@example.test"].subject
    assert "Your link to choose a new password" in by_address["en@example.test"].subject


def test_the_javascript_texts_come_in_the_chosen_language(client):
    """site.js's texts (countdowns, password warnings) come from the djangojs catalogue."""
    switch(client, "ru")
    response = client.get(reverse("javascript-catalog", args=["ru"]))
    script = response.content.decode()
    escaped = "Включён Caps Lock".encode("ascii", "backslashreplace").decode()
    assert escaped in script or "Включён Caps Lock" in script
    assert "max-age=3600" in response["Cache-Control"]
    assert reverse("javascript-catalog", args=["ru"]) in client.get("/").content.decode()
    assert client.get(reverse("javascript-catalog", args=["xx"])).status_code == 404
