"""The {% money %} template tag: the visitor's locale and display currency (CAT-1 prices)."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from core.money import Money

TEMPLATE = Template("{% load money %}[{% money value %}][{% money 2500 'EUR' %}]")


def render(value, *, currency="", locale="en_US") -> str:
    request = RequestFactory().get("/")
    request.display_currency, request.money_locale = currency, locale
    return TEMPLATE.render(Context({"request": request, "value": value}))


def test_formats_in_the_products_own_currency_by_default():
    assert render(Money(123456, "USD")) == "[$1,234.56][€25.00]"


def test_formats_for_the_visitors_locale():
    assert render(Money(123456, "EUR"), locale="de") == "[1.234,56\xa0€][25,00\xa0€]"


def test_converts_to_the_display_currency_and_marks_it_approximate():
    assert render(Money(1000, "USD"), currency="EUR") == "[≈ €9.20][€25.00]"
    assert render(Money(1000, "USD"), currency="USD") == "[$10.00][≈ $27.17]"


def test_without_a_request_it_falls_back_to_english_and_the_own_currency():
    assert Template("{% load money %}{% money m %}").render(
        Context({"m": Money(50, "GBP")})) == "£0.50"


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_to_show(empty):
    assert render(empty) == "[][€25.00]"
