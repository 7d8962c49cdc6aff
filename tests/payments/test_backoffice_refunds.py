"""OPS-1 (staff screen "refunds", every staff action audited) and RFD-1 / RFD-2: staff find an
order by number, see what was paid, the refunds so far and what is left, and refund part of it —
never above captured − refunded, once per form, recorded in the audit log and on the timeline."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditLog
from core.money import Money, format_money
from orders.models import OrderEvent
from orders.services import checkout_pay
from payments.models import Refund
from payments.services import order_refundable_minor
from tests.factories import AddressFactory, StoreFactory, UserFactory
from tests.payments.conftest import T0, place, sellable

NOW = T0 + dt.timedelta(hours=1)
SEARCH = "backoffice_refunds:search"


def paid_order(buyer):
    store = StoreFactory(currency="USD")
    checkout = place(buyer, AddressFactory(user=buyer, country="US"), sellable(store, price=2500))
    [payment] = checkout_pay(
        checkout=checkout, token="tok_success", idempotency_key="p", now=NOW, method="card"
    )
    assert payment.state == "succeeded"
    return checkout.orders.get()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def order(buyer):
    return paid_order(buyer)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def post_refund(client, order, *, amount, reason="Item arrived damaged", token=None):
    if token is None:
        token = token_of(client.get(reverse(SEARCH), {"q": order.number}))
    return client.post(
        reverse("backoffice_refunds:refund", args=[order.number]),
        {"amount": amount, "reason": reason, "token": token},
    )


def test_OPS_1_RFD_2_staff_find_an_order_and_see_payment_refunds_and_what_is_left(staff, order):
    response = client_for(staff).get(reverse(SEARCH), {"q": order.number})
    assert response.status_code == 200
    page = response.content.decode()
    assert order.number in page and order.buyer.email in page and order.store.name in page
    assert "Card" in page and "No refunds yet." in page
    assert f'data-refundable="{order.total_minor}"' in page
    assert 'for="refund-amount"' in page and 'for="refund-reason"' in page
    missing = client_for(staff).get(reverse(SEARCH), {"q": "HA000000000000"})
    assert missing.status_code == 404 and "No order has the number" in missing.content.decode()


def test_RFD_1_OPS_1_staff_refund_part_of_a_paid_order_audited_and_on_the_timeline(staff, order):
    client = client_for(staff)
    total = order.total_minor
    response = post_refund(client, order, amount="12.50")
    assert response.status_code == 302
    assert response.url == f"{reverse(SEARCH)}?q={order.number}"
    [refund] = Refund.objects.filter(order=order)
    assert refund.amount_minor == 1250 and refund.destination == "original"
    assert refund.reason == "Item arrived damaged"
    assert refund.idempotency_key.startswith(f"staff-refund:{order.pk}:")
    assert order_refundable_minor(order) == total - 1250
    [entry] = AuditLog.objects.filter(action="payments.staff_refund")
    assert entry.actor == staff
    assert entry.data["order"] == order.number and entry.data["amount_minor"] == 1250
    assert entry.data["reason"] == "Item arrived damaged"
    [event] = OrderEvent.objects.filter(order=order, kind="staff_refund")
    order.refresh_from_db()
    assert event.actor == "staff" and event.actor_user == staff
    assert event.from_state == event.to_state == order.state
    assert event.reason == "Item arrived damaged" and event.data["amount_minor"] == 1250
    page = client.get(response.url).content.decode()
    assert "Refunded $12.50 on order" in page  # the success message after the redirect
    assert "$12.50" in page and "The original card or account" in page  # RFD-2: the refund row
    assert f'data-refundable="{total - 1250}"' in page


def test_RFD_1_a_refund_above_what_is_left_is_refused_with_the_message_and_nothing_changes(staff, order):
    client = client_for(staff)
    assert post_refund(client, order, amount="20.00").status_code == 302
    left = order_refundable_minor(order)
    too_much = str(Money(left + 1, "USD").decimal)
    response = post_refund(client, order, amount=too_much, reason="More")
    assert response.status_code == 409
    # The message prints money, not minor units.
    assert f"At most {format_money(Money(left, 'USD'))} of this order can still be refunded." in (
        response.content.decode()
    )
    assert "minor units" not in response.content.decode()
    assert Refund.objects.filter(order=order).count() == 1
    assert order_refundable_minor(order) == left
    assert AuditLog.objects.filter(action="payments.staff_refund").count() == 1
    assert OrderEvent.objects.filter(order=order, kind="staff_refund").count() == 1


@pytest.mark.parametrize(
    "amount, message",
    [
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("-1", "more than zero"),
        ("abc", "such as 12.50"),
        ("1.234", "at most 2 decimals"),
        ("", "Enter the amount"),
        ("1e3", "such as 12.50"),
    ],
)
def test_RFD_1_bad_amounts_are_refused_per_field(staff, order, amount, message):
    response = post_refund(client_for(staff), order, amount=amount)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and 'id="refund-amount-error"' in page
    assert not Refund.objects.filter(order=order).exists()
    assert not AuditLog.objects.filter(action="payments.staff_refund").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_OPS_1_a_reason_of_1_to_200_characters_is_required(staff, order, reason):
    response = post_refund(client_for(staff), order, amount="1.00", reason=reason)
    assert response.status_code == 422 and 'id="refund-reason-error"' in response.content.decode()
    assert not Refund.objects.filter(order=order).exists()


def test_RFD_1_a_double_submit_of_the_same_form_refunds_once(staff, order):
    client = client_for(staff)
    token = token_of(client.get(reverse(SEARCH), {"q": order.number}))
    first = post_refund(client, order, amount="5.00", token=token)
    second = post_refund(client, order, amount="5.00", token=token)
    assert first.status_code == second.status_code == 302
    assert [r.amount_minor for r in Refund.objects.filter(order=order)] == [500]
    assert AuditLog.objects.filter(action="payments.staff_refund").count() == 1
    assert OrderEvent.objects.filter(order=order, kind="staff_refund").count() == 1
    assert "already made" in client.get(second.url).content.decode()
    # a fresh form (new token) is a new refund
    assert post_refund(client, order, amount="5.00").status_code == 302
    assert Refund.objects.filter(order=order).count() == 2


def test_OPS_1_a_form_without_its_token_is_refused(staff, order):
    response = post_refund(client_for(staff), order, amount="1.00", token="")
    assert response.status_code == 422 and "reload the page" in response.content.decode()
    assert not Refund.objects.filter(order=order).exists()


def test_OPS_1_only_staff_anonymous_is_sent_to_sign_in(buyer, order):
    search = reverse(SEARCH)
    refund_url = reverse("backoffice_refunds:refund", args=[order.number])
    anonymous = Client()
    response = anonymous.get(search, {"q": order.number})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    response = anonymous.post(refund_url, {"amount": "1.00", "reason": "x", "token": "t" * 24})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    for user in (buyer, UserFactory()):  # signed in, not staff: the page does not exist
        client = client_for(user)
        assert client.get(search, {"q": order.number}).status_code == 404
        form = {"amount": "1.00", "reason": "x", "token": "t" * 24}
        assert client.post(refund_url, form).status_code == 404
    assert not Refund.objects.filter(order=order).exists()
