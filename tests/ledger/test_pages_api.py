"""Balance pages and API: the seller's pending and available balances with the entries behind
them (BP-2), the buyer's platform balance (PAY-4). RULE BP-2, RULE PAY-4."""

import datetime as dt

import pytest
from django.urls import reverse

from deadlines.worker import deadlines_fire_due
from orders.services import order_mark_shipped
from payments.services import refund_order_amount
from tests.factories import UserFactory
from tests.ledger.conftest import T0

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def released(shop, settings):
    """One order released (3000 − 8 % = 2760 available, 240 commission) and one still held."""
    settings.HMONG_POLICY = {"commission_rate_bp": 800}
    done = shop.paid_order()
    shipped = order_mark_shipped(order=done, seller=shop.store.owner, carrier="Post", tracking_number="T1",
                                 now=T0 + SECOND)
    deadlines_fire_due(now=shipped.protection_ends_at + SECOND)
    held = shop.paid_order(now=T0 + dt.timedelta(days=50))
    return done, held


def test_BP_2_seller_balance_page_shows_pending_available_and_entries(client, shop, released):
    client.force_login(shop.store.owner)
    html = client.get(reverse("seller_balance:page")).content.decode()
    assert 'data-testid="pending-USD">$30.00<' in html
    assert 'data-testid="available-USD">$27.60<' in html
    assert released[0].number in html and released[1].number in html
    assert "Released to the seller" in html and "Payment captured into escrow" in html
    assert 'href="/seller/balance/"' in html  # the seller-center nav link


def test_seller_balance_page_needs_a_store_and_a_sign_in(client):
    assert client.get("/seller/balance/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/seller/balance/").url == reverse("sellercenter:home")


def test_seller_balance_entries_are_paginated(client, shop, released):
    client.force_login(shop.store.owner)
    assert client.get("/seller/balance/?page=999").status_code == 200  # the last page, not an error
    assert client.get("/seller/balance/?page=abc").status_code == 200


def test_PAY_4_buyer_balance_page_shows_amount_and_history(client, shop):
    order = shop.paid_order()
    client.force_login(shop.buyer)
    assert "Your balance is empty." in client.get("/account/balance/").content.decode()
    refund_order_amount(order=order, amount_minor=1250, reason="Damaged", event_key="b1", now=T0,
                        destination="balance")
    html = client.get("/account/balance/").content.decode()
    assert "$12.50" in html and order.number in html and "Refund drawn from escrow" in html
    other = UserFactory()
    client.force_login(other)
    assert "$12.50" not in client.get("/account/balance/").content.decode()
    client.logout()
    assert client.get("/account/balance/").status_code == 302


def test_BP_2_seller_balance_api(client, shop, released):
    client.force_login(shop.store.owner)
    body = client.get("/api/v1/seller/balance").json()
    assert body == {"balances": [{"currency": "USD", "pending": {"amount": 3000, "currency": "USD"},
                                  "available": {"amount": 2760, "currency": "USD"}}]}
    entries = client.get("/api/v1/seller/balance/entries?page_size=2").json()
    # two captures into escrow, the release out of escrow and into the available balance
    assert entries["count"] == 4 and len(entries["items"]) == 2 and entries["pages"] == 2
    assert {e["kind"] for e in entries["items"]} <= {"capture", "release"}
    bad = client.get("/api/v1/seller/balance/entries?page=0")
    assert bad.status_code == 422 and "page" in bad.json()["fields"]


def test_seller_balance_api_errors(client):
    assert client.get("/api/v1/seller/balance").status_code == 401
    client.force_login(UserFactory())
    response = client.get("/api/v1/seller/balance")
    assert response.status_code == 409 and response.json()["code"] == "no_store"


def test_PAY_4_buyer_balance_api(client, shop):
    order = shop.paid_order()
    refund_order_amount(order=order, amount_minor=400, reason="Late", event_key="b2", now=T0,
                        destination="balance")
    client.force_login(shop.buyer)
    assert client.get("/api/v1/balance").json() == {"balances": [{"amount": 400, "currency": "USD"}]}
    items = client.get("/api/v1/balance/entries").json()["items"]
    assert items[0]["amount"] == {"amount": 400, "currency": "USD"}
    assert items[0]["order_number"] == order.number
    client.logout()
    assert client.get("/api/v1/balance").status_code == 401
