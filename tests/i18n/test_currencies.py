"""Currencies (issue 7): prices converted for display with "≈"; the order's currency is charged."""

import datetime as dt

import pytest
from django.urls import reverse

from core.middleware import CURRENCY_COOKIE
from orders.models import Order
from payments.models import Payment
from tests.factories import AddressFactory, ProductFactory, StoreFactory, UserFactory
from tests.orders.test_buyer_pages import in_cart, paid, sellable

pytestmark = pytest.mark.django_db
VISITOR = reverse("catalog:set_visitor")


def test_product_price_shown_converted_and_marked_approximate(client):
    product = ProductFactory(variants=[{"price_minor": 4500, "stock": 3}])  # a USD store
    client.post(VISITOR, {"country": "US", "currency": "EUR", "next": "/"})
    html = client.get(reverse("catalog:product", args=[product.slug])).content.decode()
    assert "≈ €41.40" in html  # $45.00 × 0.92 (core/data/currencies.json)
    client.post(VISITOR, {"country": "US", "currency": "RUB", "next": "/"})
    html = client.get(reverse("catalog:product", args=[product.slug])).content.decode()
    assert "≈ RUB4,162.50" in html  # $45.00 × 92.50


def test_the_order_is_charged_in_its_own_currency_whatever_is_displayed(client):
    buyer = UserFactory()
    address = AddressFactory(user=buyer, is_default=True)
    client.force_login(buyer)
    client.post(VISITOR, {"country": "US", "currency": "EUR", "next": "/"})
    order = paid(buyer, address, now=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC), price=4500)
    assert order.currency == "USD"
    payment = Payment.objects.filter(checkout=order.checkout).get()
    assert payment.currency == "USD" and payment.amount_minor == order.total_minor


def test_checkout_page_shows_the_amount_to_pay_in_the_order_currency(client):
    buyer = UserFactory()
    AddressFactory(user=buyer, is_default=True)
    in_cart(buyer, sellable(StoreFactory(), price=1000))
    client.force_login(buyer)
    client.cookies[CURRENCY_COOKIE] = "EUR"
    html = client.get(reverse("checkout:start")).content.decode()
    assert "Total to pay:" in html and "$" in html.split("Total to pay:")[1][:80]
    assert Order.objects.count() == 0


@pytest.mark.parametrize("forged", ["XYZ", "eur<script>", "dollars" * 50, "€"])
def test_a_forged_currency_changes_nothing_and_says_why(client, forged):
    response = client.post(VISITOR, {"country": "US", "currency": forged, "next": "/stores/"}, follow=True)
    assert response.status_code == 200
    assert "We cannot show prices in that currency, so nothing was changed." in response.content.decode()
    assert CURRENCY_COOKIE not in client.cookies


def test_a_forged_currency_cookie_is_ignored(client):
    product = ProductFactory(variants=[{"price_minor": 4500, "stock": 3}])
    client.cookies[CURRENCY_COOKIE] = "XYZ"
    response = client.get(reverse("catalog:product", args=[product.slug]))
    assert response.status_code == 200 and "≈" not in response.content.decode()
    assert response.wsgi_request.display_currency == ""
