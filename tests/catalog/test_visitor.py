"""catalog:set_visitor — delivery country and display currency (used by CAT-3 estimates, CAT-2 prices)."""

import pytest
from django.urls import reverse

from core.middleware import COUNTRY_COOKIE, CURRENCY_COOKIE

pytestmark = pytest.mark.django_db

URL = reverse("catalog:set_visitor")


def test_saves_both_cookies_and_goes_back(client):
    response = client.post(URL, {"country": "fr", "currency": "eur", "next": "/search/?q=silver"})

    assert response.status_code == 302
    assert response["Location"] == "/search/?q=silver"
    assert response.cookies[COUNTRY_COOKIE].value == "FR"
    assert response.cookies[CURRENCY_COOKIE].value == "EUR"
    assert response.cookies[COUNTRY_COOKIE]["samesite"] == "Lax"
    followed = client.get("/search/")
    assert followed.wsgi_request.visitor_country == "FR"
    assert followed.wsgi_request.display_currency == "EUR"


def test_blank_currency_means_the_sellers_currency(client):
    client.cookies[CURRENCY_COOKIE] = "EUR"
    response = client.post(URL, {"country": "US", "currency": "", "next": "/"})
    assert response.cookies[CURRENCY_COOKIE].value == ""  # deleted
    assert response.cookies[CURRENCY_COOKIE]["max-age"] == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"country": "ZZ", "currency": "USD"}, "We do not recognise that country"),
        ({"country": "Thailand", "currency": "USD"}, "We do not recognise that country"),
        ({"country": "US", "currency": "XYZ"}, "We cannot show prices in that currency"),
        ({"country": "US", "currency": "dollars" * 100}, "We cannot show prices in that currency"),
    ],
)
def test_unknown_values_give_a_message_and_no_cookie(client, data, message):
    response = client.post(URL, {**data, "next": "/stores/"}, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert COUNTRY_COOKIE not in response.cookies and CURRENCY_COOKIE not in client.cookies
    assert response.redirect_chain[0][0] == "/stores/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_unsafe_next_goes_home(client, target):
    response = client.post(URL, {"country": "US", "currency": "", "next": target})
    assert response["Location"] == "/"


def test_only_post(client):
    assert client.get(URL).status_code == 405


def test_the_footer_form_posts_here(client):
    html = client.get(reverse("catalog:home")).content.decode()
    assert f'action="{URL}"' in html
