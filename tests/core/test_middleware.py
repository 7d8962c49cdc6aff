"""Who is visiting (core.middleware.VisitorMiddleware): the delivery country
(cookie, else Accept-Language region, else US) and the display currency.

# RULE CAT-1 delivery estimates are per destination country; the visitor's
# country picks the estimate shown.
"""

import pytest
from django.http import HttpResponse
from django.utils import translation

from core.middleware import COUNTRY_COOKIE, CURRENCY_COOKIE, DEFAULT_COUNTRY, VisitorMiddleware


def visit(rf, *, cookies: dict | None = None, accept_language: str | None = None):
    request = rf.get("/")
    request.COOKIES.update(cookies or {})
    if accept_language is not None:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    seen = {}

    def view(req):
        seen.update(country=req.visitor_country, currency=req.display_currency,
                    locale=req.money_locale)
        return HttpResponse("ok")

    VisitorMiddleware(view)(request)
    return seen


def test_default_country_is_us(rf):
    assert DEFAULT_COUNTRY == "US"
    assert visit(rf)["country"] == "US"


@pytest.mark.parametrize(("cookie", "country"), [("FR", "FR"), ("br", "BR"), ("la", "LA")])
def test_country_cookie_wins(rf, cookie, country):
    assert visit(rf, cookies={COUNTRY_COOKIE: cookie}, accept_language="de-DE")["country"] == (
        country
    )


@pytest.mark.parametrize("cookie", ["ZZ", "XX", "USA", "", "1", "EU", "<script>"])
def test_bad_country_cookie_is_ignored(rf, cookie):
    seen = visit(rf, cookies={COUNTRY_COOKIE: cookie}, accept_language="pt-BR,pt;q=0.9")
    assert seen["country"] == "BR"


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "FR"),
        ("en-GB", "GB"),
        ("de-at;q=0.8", "AT"),
        ("zh-Hant-TW,zh;q=0.9", "TW"),
        ("sr-Latn-RS", "RS"),
        ("es-419,es;q=0.9", "US"),  # a region code that is no country
        ("fr", "US"),  # no region at all
        ("en-ZZ", "US"),
        ("*", "US"),
        ("", "US"),
        (";;;,,,--", "US"),
    ],
)
def test_country_from_accept_language(rf, header, country):
    assert visit(rf, accept_language=header)["country"] == country


@pytest.mark.parametrize(
    ("cookie", "currency"),
    [("EUR", "EUR"), ("gbp", "GBP"), (" BRL ", "BRL"), ("XXX", ""), ("", ""),
     ("EURO", ""), ("$", "")],
)
def test_currency_cookie_is_validated(rf, cookie, currency):
    assert visit(rf, cookies={CURRENCY_COOKIE: cookie})["currency"] == currency


def test_no_currency_cookie_means_the_sellers_currency(rf):
    assert visit(rf)["currency"] == ""


@pytest.mark.parametrize(("language", "locale"),
                         [("en-us", "en_US"), ("de", "de"), ("pt-br", "pt_BR"), ("fr", "fr")])
def test_money_locale_follows_the_active_language(rf, language, locale):
    with translation.override(language):
        assert visit(rf)["locale"] == locale


@pytest.mark.urls("tests.core.visitor_urls")
def test_whole_stack_sets_language_and_country(client):
    client.cookies[CURRENCY_COOKIE] = "EUR"
    response = client.get("/visitor/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response.json() == {"country": "DE", "currency": "EUR", "locale": "de",
                               "price": "12,50\u00a0€"}
