"""ACC-5: while a sign-in is held, nothing that moves money or changes the email or payout details
is possible. One row per name of accounts.guards.GUARDED_VIEWS (pages and API): a held sign-in
gets 403 (page: the way out; API: code "sign_in_held") and nothing in the money, order, dispute,
return, appeal, coupon or account tables changed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import resolve, reverse

from accounts import risk
from accounts.guards import GUARDED_VIEWS, NOT_GUARDED
from accounts.models import ApiToken, SignInHold, User
from cart.models import CartLine
from orders.models import Order
from orders.services import checkout_place
from tests.disputes.factories import paid_order, sellable, shipped_order
from tests.factories import PASSWORD, AddressFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
WATCHED_APPS = ("orders", "payments", "ledger", "disputes", "returns", "appeals", "coupons", "accounts",
                "account")
NOT_WATCHED = {"accounts.SignInEvent", "accounts.SignInHold"}


def _fingerprint() -> dict:
    """Row counts of every watched table, each order's state and every email: what a guarded
    action would change."""
    counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in WATCHED_APPS and model._meta.label not in NOT_WATCHED
    }
    return {
        "counts": counts,
        "orders": sorted(Order.objects.values_list("pk", "state")),
        "emails": sorted(User.objects.values_list("pk", "email")),
    }


@pytest.fixture
def world(client):
    """A held sign-in (a burst of failures before the right password) of a buyer with a paid order,
    a shipped order and an unpaid checkout."""
    buyer = UserFactory()
    AddressFactory(user=buyer, phone="+1 651 555 0100")
    store = StoreFactory()
    paid = paid_order(buyer=buyer, store=store, now=T0)
    shipped = shipped_order(buyer=buyer, store=store, now=T0)
    variant = sellable(store)
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    checkout = checkout_place(buyer=buyer, address=buyer.addresses.first(), idempotency_key="unpaid",
                              now=T0)
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            client.post(reverse("account_login"), {"login": buyer.email, "password": "wrong"})
        client.post(reverse("account_login"), {"login": buyer.email, "password": PASSWORD})
    assert client.session.get(risk.SESSION_KEY), "the sign-in should be held"
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    return {"client": client, "buyer": buyer, "paid": paid.number, "shipped": shipped.number,
            "checkout": checkout.pk, "address": buyer.addresses.first().pk}


# name -> (path, body); {paid}, {shipped}, {checkout}, {address} are filled from the world.
ROWS: dict[str, tuple[str, dict]] = {
    "checkout:start": ("/checkout/", {"address": "{address}", "idempotency_key": "k1"}),
    "api-v1:checkout_create": ("/api/v1/checkout", {"address_id": "{address}", "idempotency_key": "k2"}),
    "checkout:pay": ("/checkout/{checkout}/pay/", {"method": "card", "token": "tok_success",
                                                   "idempotency_key": "pay-1"}),
    "api-v1:checkout_pay": ("/api/v1/checkout/{checkout}/pay", {"token": "tok_success"}),
    "payments:sim_card": ("/pay/sim/card/", {"number": "4242424242424242"}),
    "payments:card_add": ("/account/cards/add/", {"token": "tok_success"}),
    "payments:card_remove": ("/account/cards/1/remove/", {}),
    "orders:request_cancellation": ("/orders/{paid}/request-cancellation/", {"reason": "changed my mind"}),
    "api-v1:order_request_cancellation": ("/api/v1/orders/{paid}/cancellation-request",
                                          {"reason": "changed my mind"}),
    "order_disputes:open": ("/orders/{shipped}/dispute/open/", {"reason": "not_received"}),
    "api-v1:order_dispute": ("/api/v1/orders/{shipped}/dispute", {"reason": "not_received"}),
    "order_disputes:warranty": ("/orders/{shipped}/warranty/", {"description": "broken"}),
    "api-v1:warranty_open": ("/api/v1/orders/{shipped}/warranty", {"description": "broken"}),
    "disputes:update": ("/disputes/1/update/", {"amount": "1"}),
    "api-v1:dispute_update": ("/api/v1/disputes/1/update", {"amount_minor": 1}),
    "disputes:accept_counter": ("/disputes/1/accept-counter/", {}),
    "api-v1:dispute_accept_counter": ("/api/v1/disputes/1/accept-counter", {}),
    "returns:start": ("/returns/start/{shipped}/", {"reason": "changed_mind"}),
    "api-v1:order_returns": ("/api/v1/orders/{shipped}/returns", {"reason": "changed_mind"}),
    "orders:confirm_receipt": ("/orders/{shipped}/confirm-receipt/", {}),
    "api-v1:order_confirm_receipt": ("/api/v1/orders/{shipped}/confirm-receipt", {}),
    "disputes:withdraw": ("/disputes/1/withdraw/", {}),
    "api-v1:dispute_withdraw": ("/api/v1/disputes/1/withdraw", {}),
    "appeals:detail": ("/account/appeals/1/", {}),
    "api-v1:appeal_documents": ("/api/v1/appeals/1/documents", {}),
    "seller_disputes:agree": ("/seller/disputes/1/agree/", {}),
    "api-v1:dispute_agree": ("/api/v1/disputes/1/agree", {"note": ""}),
    "seller_disputes:confirm_return": ("/seller/disputes/1/confirm-return/", {}),
    "api-v1:return_receipt": ("/api/v1/disputes/1/return-receipt", {}),
    "seller_orders:cancellation": ("/seller/orders/{paid}/cancellation/", {"accept": "yes"}),
    "api-v1:seller_cancellation_answer": ("/api/v1/seller/orders/{paid}/cancellation-request/answer",
                                          {"accept": True}),
    "backoffice_refunds:refund": ("/backoffice/refunds/{paid}/", {"amount": "1.00"}),
    "backoffice_disputes:decide": ("/backoffice/disputes/1/decide/", {}),
    "api-v1:team_decide": ("/api/v1/staff/disputes/1/decide", {}),
    "backoffice_returns:inspect": ("/backoffice/returns/1/inspect/", {}),
    "backoffice_appeals:decide": ("/backoffice/appeals/1/decide/", {}),
    "accounts:email_change": ("/account/email/", {"action": "start"}),
    "account_email": ("/accounts/email/", {"email": "new@example.com", "action_add": "1"}),
    "api-v1:email_change_start": ("/api/v1/account/email-change/start", {}),
    "api-v1:email_change_resend": ("/api/v1/account/email-change/resend", {}),
    "api-v1:email_change_confirm_current": ("/api/v1/account/email-change/confirm-current",
                                            {"code": "123456"}),
    "api-v1:email_change_new": ("/api/v1/account/email-change/new", {"new_email": "new@example.com"}),
    "api-v1:email_change_confirm_new": ("/api/v1/account/email-change/confirm-new", {"code": "123456"}),
    "api-v1:token_create": ("/api/v1/auth/token", {"email": "{email}", "password": PASSWORD}),
}


def _fill(world: dict, value):
    if isinstance(value, str):
        return value.format(email=world["buyer"].email, **{k: world[k] for k in (
            "paid", "shipped", "checkout", "address")})
    return value


def _post(client: Client, world: dict, name: str, **extra):
    path, body = ROWS[name]
    path = _fill(world, path)
    body = {key: _fill(world, value) for key, value in body.items()}
    if path.startswith("/api/"):
        if "address_id" in body:
            body["address_id"] = int(body["address_id"])
        return path, client.post(path, body, content_type="application/json", **extra)
    return path, client.post(path, body, **extra)


def _refused_as_held(path: str, response) -> bool:
    if response.status_code != 403:
        return False
    if path.startswith("/api/"):
        body = response.json()
        return body == {"code": "sign_in_held", "message": body["message"], "fields": {}}
    return reverse("accounts:regain_access") in response.content.decode()


def test_acc5_the_table_covers_every_guarded_view_and_each_row_hits_its_view():
    assert set(ROWS) == GUARDED_VIEWS, {"untested": sorted(GUARDED_VIEWS - set(ROWS)),
                                        "not guarded": sorted(set(ROWS) - GUARDED_VIEWS)}
    for name, (path, _body) in ROWS.items():
        sample = path.format(paid="T00000001", shipped="T00000002", checkout=1, address=1, email="x")
        assert resolve(sample).view_name == name, (name, sample)


def test_acc5_a_held_sign_in_is_refused_and_nothing_changes(world):
    """Every row against one world: a refused request changes nothing, so the next row sees the same."""
    client = world["client"]
    before = _fingerprint()
    wrong = []
    for name in sorted(ROWS):
        path, response = _post(client, world, name)
        if not _refused_as_held(path, response):
            wrong.append((name, response.status_code, response.content[:200]))
    assert not wrong, wrong
    assert _fingerprint() == before


def test_acc5_a_made_up_bearer_header_does_not_unhold_a_held_session(world):
    """A held session cannot step around the guard by adding an Authorization header."""
    client = world["client"]
    other_key = ApiToken.issue(UserFactory())[1]
    before = _fingerprint()
    wrong = []
    for name in ("checkout:pay", "api-v1:checkout_pay", "orders:request_cancellation",
                 "api-v1:email_change_start", "accounts:email_change"):
        for header in ("Bearer junk", f"Bearer {other_key}"):
            path, response = _post(client, world, name, HTTP_AUTHORIZATION=header)
            if not _refused_as_held(path, response):
                wrong.append((name, header[:12], response.status_code))
    assert not wrong, wrong
    assert _fingerprint() == before


def test_acc5_a_held_bearer_token_is_refused_too(world):
    _token, key = ApiToken.issue(world["buyer"])
    before = _fingerprint()
    wrong = []
    for name in sorted(ROWS):
        if name == "api-v1:token_create" or not ROWS[name][0].startswith("/api/"):
            continue  # pages and the token endpoint are not called with a bearer token
        path, response = _post(Client(), world, name, HTTP_AUTHORIZATION=f"Bearer {key}")
        if not _refused_as_held(path, response):
            wrong.append((name, response.status_code, response.content[:200]))
    assert not wrong, wrong
    assert _fingerprint() == before


@pytest.mark.parametrize("name", [
    "orders:request_cancellation", "orders:confirm_receipt", "checkout:pay",
    "api-v1:email_change_start", "api-v1:token_create",
])
def test_acc5_once_the_hold_is_lifted_the_same_request_goes_through(world, name):
    """The control: the guard alone made the difference (the hold released, the action is done)."""
    SignInHold.objects.filter(user=world["buyer"]).update(released_at=T0)
    before = _fingerprint()
    path, response = _post(world["client"], world, name)
    assert not _refused_as_held(path, response), name
    assert response.status_code < 400, (name, response.status_code, response.content[:300])
    assert _fingerprint() != before, name


def test_acc5_revoking_a_token_is_allowed_while_held(world):
    assert ("api-v1:token_create", "DELETE") in NOT_GUARDED
    _token, key = ApiToken.issue(world["buyer"])
    response = Client().delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 204
    assert not ApiToken.objects.filter(user=world["buyer"]).exists()
