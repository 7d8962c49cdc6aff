"""PAY-4 on the pay page and in the pay API: the methods offered for the delivery country, each
with its refund destination, the DSP-7 PayPal note, "Use my balance", and bad input answered
with field errors (nothing changes, never a 500)."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ledger.models import Account, Transaction
from ledger.services import account_get, ledger_post
from orders.states import State
from payments.models import Payment
from tests.factories import AddressFactory, StoreFactory
from tests.payments.conftest import T0, place, sellable

NOW = T0 + dt.timedelta(hours=1)
API = "/api/v1"


def checkout_in(buyer, country, currency, key="k1"):
    return place(
        buyer, AddressFactory(user=buyer, country=country), sellable(StoreFactory(currency=currency)), key=key
    )


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def api_pay(user, checkout, **body):
    with time_machine.travel(NOW, tick=False):
        return logged_in(user).post(
            f"{API}/checkout/{checkout.pk}/pay",
            data=json.dumps({"idempotency_key": "k", **body}),
            content_type="application/json",
        )


def test_PAY_4_pay_page_lists_the_methods_of_the_country_with_refund_destinations(buyer):
    checkout = checkout_in(buyer, "SA", "SAR")
    with time_machine.travel(NOW, tick=False):
        page = logged_in(buyer).get(reverse("checkout:detail", args=[checkout.pk])).content.decode()
    assert 'value="cod"' in page and "Cash on delivery" in page
    assert "Refunds go to: a coupon." in page
    assert 'value="bank_transfer"' in page and "Refunds go to: your hmong artisans balance." in page
    assert 'value="oney"' not in page and 'value="boleto"' not in page
    # DSP-7: PayPal's own dispute window, printed from the policy
    assert "PayPal runs its own dispute process too: for 180 days" in page


def test_PAY_4_pay_page_pays_with_a_method_and_the_order_page_shows_it(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    client = logged_in(buyer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("checkout:pay", args=[checkout.pk]), {"method": "paypal", "idempotency_key": "m1"}
        )
        assert response.status_code == 302
        order = checkout.orders.get()
        assert order.state == State.AWAITING_SHIPMENT
        assert Payment.objects.get(checkout=checkout).method == "paypal"
        page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "Paid with" in page and "PayPal" in page and "paypal-note" in page


def test_PAY_4_pay_page_refuses_an_unavailable_method_with_a_clear_message(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    with time_machine.travel(NOW, tick=False):
        response = logged_in(buyer).post(
            reverse("checkout:pay", args=[checkout.pk]), {"method": "cod", "idempotency_key": "m1"}
        )
    assert response.status_code == 422
    assert "Cash on delivery is not available for a delivery to US" in response.content.decode()
    assert not Payment.objects.filter(checkout=checkout).exists()


def test_PAY_4_pay_page_offers_and_spends_the_balance(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    total = checkout.orders.get().total_minor
    ledger_post(
        key="goodwill",
        kind=Transaction.Kind.ADJUSTMENT,
        now=NOW,
        lines=[
            (account_get(kind=Account.Kind.PLATFORM_DISCOUNTS, currency="USD", now=NOW), -total),
            (account_get(kind=Account.Kind.BUYER_BALANCE, currency="USD", user=buyer, now=NOW), total),
        ],
    )
    client = logged_in(buyer)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("checkout:detail", args=[checkout.pk])).content.decode()
        assert "Use my balance (" in page and "available)" in page
        response = client.post(
            reverse("checkout:pay", args=[checkout.pk]), {"use_balance": "1", "idempotency_key": "b1"}
        )
    assert response.status_code == 302
    assert checkout.orders.get().state == State.AWAITING_SHIPMENT
    assert Payment.objects.get(checkout=checkout).method == "balance"


def test_PAY_4_pay_page_without_a_card_or_method_is_a_field_error(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    with time_machine.travel(NOW, tick=False):
        response = logged_in(buyer).post(
            reverse("checkout:pay", args=[checkout.pk]), {"idempotency_key": "x"}
        )
    assert response.status_code == 422 and "Choose a card to pay with." in response.content.decode()


def test_PAY_4_api_pays_by_bank_transfer_and_waits(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    response = api_pay(buyer, checkout, method="bank_transfer")
    assert response.status_code == 200, response.content
    [payment] = response.json()["payments"]
    assert (payment["method"], payment["state"]) == ("bank_transfer", "processing")
    assert checkout.orders.get().state == State.PAYMENT_PROCESSING


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"method": "bitcoin"}, "unknown_method", "method"),
        ({"method": "boleto"}, "method_not_available", "method"),
        ({"method": "card"}, "validation_error", "token"),
    ],
)
def test_PAY_4_api_bad_method_input_is_a_422_field_error(buyer, body, code, field):
    checkout = checkout_in(buyer, "US", "USD")
    response = api_pay(buyer, checkout, **body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == code and field in error["fields"]
    assert not Payment.objects.filter(checkout=checkout).exists()
    assert checkout.orders.get().state == State.AWAITING_PAYMENT
