"""The simulated provider end to end: hosted card page, PAY-2 declines on the page and in the
API, saved cards, refunds with an ARN, signed webhooks, double submits (PAY-1, PAY-2, PAY-5)."""

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from orders.models import Order, OrderEvent
from orders.services import checkout_pay
from orders.states import State
from payments.declines import CATALOGUE, PAY2_CODES, decline_get
from payments.models import Payment, ProviderEvent, SavedCard, SimulatedCard, SimulatedCharge
from payments.providers.simulated import (
    SIGNATURE_HEADER,
    TEST_CARDS,
    SimulatedProvider,
    card_tokenise,
    webhook_body,
    webhook_sign,
)
from tests.factories import PASSWORD, UserFactory
from tests.payments.conftest import T0, place
from tests.tasks import run_pending_tasks

NOW = T0 + dt.timedelta(hours=1)
API = "/api/v1"
VISA = "4242424242424242"
CARD_FOR: dict[str, str] = {}
for _number, _profile in TEST_CARDS.items():
    CARD_FOR.setdefault(_profile, _number)  # the first card of each profile (Visa for success)


def token_for(profile: str, *, exp_year: int = 2030) -> str:
    return card_tokenise(number=CARD_FOR[profile], exp_month=12, exp_year=exp_year, now=NOW).token


def api_pay(user, checkout, token: str, key: str = "k", **extra):
    with time_machine.travel(NOW, tick=False):
        client = Client()
        client.force_login(user)
        body = {"token": token, "idempotency_key": key, **extra}
        return client.post(
            f"{API}/checkout/{checkout.pk}/pay", data=json.dumps(body), content_type="application/json"
        )


def states(checkout) -> set[str]:
    return set(checkout.orders.values_list("state", flat=True))


# --- PAY-1: the hosted card step ------------------------------------------------------------------


def test_PAY_1_card_page_gives_a_token_and_no_card_number_is_stored_logged_or_shown(
    client, buyer, checkout, caplog
):
    caplog.set_level(logging.DEBUG)
    client.force_login(buyer)
    detail = reverse("checkout:detail", args=[checkout.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(detail).content.decode()
        card_page = reverse("payments:sim_card")
        assert card_page in page  # "Pay with a card" leads to the provider's page
        response = client.post(
            card_page,
            {
                "number": "4242 4242 4242 4242",
                "name": "Mai Vang",
                "exp_month": "12",
                "exp_year": "30",
                "cvc": "123",
                "save_card": "on",
                "return_to": detail,
            },
        )
        assert response.status_code == 302
        back = response["Location"]
        assert back.startswith(detail + "?card=sim_pm_") and "save_card=1" in back
        page = client.get(back).content.decode()
        assert "Visa ending in 4242" in page and "Pay now" in page
        token = SimulatedCard.objects.get().token
        response = client.post(
            reverse("checkout:pay", args=[checkout.pk]),
            {"token": token, "idempotency_key": "pay-1", "save_card": "1"},
        )
        assert response.status_code == 302
        paid_page = client.get(detail).content.decode()
    payment = Payment.objects.get()
    assert payment.state == Payment.State.SUCCEEDED
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert states(checkout) == {State.AWAITING_SHIPMENT}
    saved = SavedCard.objects.get(owner=buyer)
    assert (saved.token, saved.last4, saved.exp_month, saved.exp_year) == (token, "4242", 12, 2030)
    # RULE PAY-1: the number is nowhere — not in any table, any log line, or the page.
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            assert VISA not in repr(row), model
    assert VISA not in caplog.text and "4242 4242 4242 4242" not in caplog.text
    assert VISA not in paid_page and VISA not in page


def test_PAY_1_card_page_errors_are_per_field_and_never_echo_the_number(client, buyer):
    client.force_login(buyer)
    response = client.post(
        reverse("payments:sim_card"),
        {
            "number": "4242424242424241",
            "name": "",
            "exp_month": "13",
            "exp_year": "x",
            "cvc": "12",
            "return_to": "https://evil.example/",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    for message in [
        "This card number is not valid",
        "Enter the name printed on the card.",
        "Enter a month from 1 to 12.",
        "Enter the year",
        "3 or 4 digits",
    ]:
        assert message in html
    assert "4242424242424241" not in html
    assert "evil.example" not in html  # return_to must be a path of this site
    assert not SimulatedCard.objects.exists()
    assert client.get(reverse("payments:sim_card")).status_code == 200
    client.logout()
    assert client.get(reverse("payments:sim_card")).status_code == 302  # sign in first


# --- PAY-2: every decline -------------------------------------------------------------------------


# currency_not_supported declines only other currencies than USD (its own test below).
@pytest.mark.parametrize(
    "code", [c for c in PAY2_CODES if c not in ("verification_required", "currency_not_supported")]
)
def test_PAY_2_each_test_card_declines_with_its_message_on_the_page_and_its_code_in_the_api(
    client, buyer, checkout, code
):
    token = token_for(code)
    before = list(checkout.orders.values_list("state", "paid_at"))
    response = api_pay(buyer, checkout, token, key="api")
    body = response.json()
    assert response.status_code == 402, body
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert CATALOGUE[code].message in body["message"] and CATALOGUE[code].next_step in body["message"]
    assert body["fields"]["token"]
    assert list(checkout.orders.values_list("state", "paid_at")) == before
    client.force_login(buyer)
    with time_machine.travel(NOW, tick=False):
        page = client.post(
            reverse("checkout:pay", args=[checkout.pk]), {"token": token, "idempotency_key": "web"}
        )
    html = page.content.decode()
    assert page.status_code == 402
    assert escape(decline_get(code).message) in html and escape(decline_get(code).next_step) in html
    assert not Payment.objects.filter(state=Payment.State.SUCCEEDED).exists()
    assert list(checkout.orders.values_list("state", "paid_at")) == before


def test_PAY_2_bank_rejections_name_the_bank_code(buyer, checkout):
    for code in ["CSC_7200022", "CSC_7200051", "CSC_7200001"]:
        body = api_pay(buyer, checkout, token_for(f"bank_rejected_{code.lower()}"), key=code).json()
        assert body["code"] == f"bank_rejected_{code.lower()}" and code in body["message"]


def test_PAY_2_currency_card_declines_other_currencies_suggesting_USD_and_pays_in_USD(buyer, address):
    from tests.factories import StoreFactory
    from tests.payments.conftest import sellable

    thb = place(buyer, address, sellable(StoreFactory(currency="THB"), price=50000), key="thb")
    response = api_pay(buyer, thb, token_for("currency_not_supported"), key="t1")
    assert response.status_code == 402 and "USD" in response.json()["message"]
    usd = place(buyer, address, sellable(), key="usd")
    assert api_pay(buyer, usd, token_for("currency_not_supported"), key="u1").status_code == 200


def test_PAY_2_a_past_expiry_date_declines_as_expired(buyer, checkout):
    token = card_tokenise(number=VISA, exp_month=1, exp_year=2026, now=NOW).token
    assert api_pay(buyer, checkout, token).json()["code"] == "expired_card"


def test_PAY_2_verification_moves_the_orders_to_payment_being_verified_and_says_so(client, buyer, checkout):
    # RULE PAY-2 (verification required → appeal, PAY-3 follows)
    response = api_pay(buyer, checkout, token_for("verification_required"))
    assert response.status_code == 402
    assert response.json()["code"] == "verification_required"
    assert states(checkout) == {State.PAYMENT_VERIFYING}
    assert Payment.objects.get().state == Payment.State.VERIFYING
    event = OrderEvent.objects.filter(order__checkout=checkout, kind="payment_verifying").get()
    assert event.actor == "system"
    # paying again is refused: nothing is waiting for payment any more
    assert api_pay(buyer, checkout, "tok_success", key="again").status_code == 409


def test_PAY_2_unknown_token_is_a_generic_decline(buyer, checkout):
    body = api_pay(buyer, checkout, "sim_pm_doesnotexist").json()
    assert body["code"] == "payment_failed"


# --- PAY-1: saved cards ---------------------------------------------------------------------------


def test_PAY_1_pay_later_with_a_saved_card_and_another_users_card_is_refused(client, buyer, address):
    first = place(buyer, address, key="c1")
    token = token_for("success")
    assert api_pay(buyer, first, token, key="p1", save_card=True).status_code == 200
    card = SavedCard.objects.get(owner=buyer)
    second = place(buyer, address, key="c2")
    client.force_login(buyer)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("checkout:detail", args=[second.pk])).content.decode()
    assert "Pay with Visa ending in 4242" in html
    assert api_pay(buyer, second, card.token, key="p2").status_code == 200
    assert states(second) == {State.AWAITING_SHIPMENT}
    thief = UserFactory()
    from tests.factories import AddressFactory

    theirs = place(thief, AddressFactory(user=thief), key="c3")
    response = api_pay(thief, theirs, card.token, key="p3")
    assert response.status_code == 422 and response.json()["code"] == "unknown_card"
    assert states(theirs) == {State.AWAITING_PAYMENT}


def test_PAY_1_a_card_refused_when_paying_is_not_saved(buyer, checkout):
    response = api_pay(buyer, checkout, token_for("insufficient_funds"), save_card=True)
    assert response.status_code == 402
    assert not SavedCard.objects.exists()


def test_PAY_1_cards_page_lists_and_removes_only_with_the_password(client, buyer):
    token = token_for("success")
    client.force_login(buyer)
    response = client.get(reverse("payments:cards") + f"?card={token}")
    assert "Save Visa ending in 4242" in response.content.decode()
    assert client.post(reverse("payments:card_add"), {"token": token}).status_code == 302
    card = SavedCard.objects.get(owner=buyer)
    html = client.get(reverse("payments:cards")).content.decode()
    assert "Visa ending in 4242" in html and "12/30" in html
    remove = reverse("payments:card_remove", args=[card.pk])
    wrong = client.post(remove, {"password": "not it"})
    assert wrong.status_code == 422 and "Enter your account password" in wrong.content.decode()
    empty = client.post(remove, {"password": ""})
    assert empty.status_code == 422
    assert SavedCard.objects.filter(pk=card.pk).exists()
    other = UserFactory()
    client.force_login(other)
    assert client.post(remove, {"password": PASSWORD}).status_code == 404  # not yours
    assert SavedCard.objects.filter(pk=card.pk).exists()
    client.force_login(buyer)
    assert client.post(remove, {"password": PASSWORD}).status_code == 302
    assert not SavedCard.objects.exists()
    assert SimulatedCard.objects.get(token=token).customer == ""  # detached at the provider
    assert (
        client.post(reverse("payments:card_remove", args=[999999]), {"password": PASSWORD}).status_code == 404
    )


def test_PAY_1_saving_a_card_with_a_bad_token_is_a_clear_error(client, buyer):
    client.force_login(buyer)
    assert client.post(reverse("payments:card_add"), {"token": ""}).status_code == 422
    response = client.post(reverse("payments:card_add"), {"token": "sim_pm_nope"})
    assert response.status_code == 402 and "could not save" in response.content.decode()
    assert not SavedCard.objects.exists()


# --- PAY-5: a double submit charges once ----------------------------------------------------------


def test_PAY_5_the_same_pay_attempt_twice_charges_once_at_the_provider(buyer, checkout):
    token = token_for("success")
    checkout_pay(checkout=checkout, token=token, idempotency_key="same", now=NOW)
    again = api_pay(buyer, checkout, token, key="same")
    assert again.status_code == 200
    assert SimulatedCharge.objects.count() == 1 and Payment.objects.count() == 1
    assert OrderEvent.objects.filter(order__checkout=checkout, kind="paid").count() == 1


def test_PAY_5_the_provider_itself_charges_once_per_key(db):
    from core.money import Money

    provider = SimulatedProvider()
    one = provider.charge(amount=Money(500, "USD"), token="tok_success", idempotency_key="x")
    two = provider.charge(amount=Money(500, "USD"), token="tok_success", idempotency_key="x")
    assert one == two and SimulatedCharge.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_PAY_5_two_threads_paying_one_checkout_with_one_key_charge_once(is_postgres):
    import threading

    from django.db import connection

    from tests.factories import AddressFactory

    if not is_postgres:
        pytest.skip("concurrent row locks are a PostgreSQL matter")
    buyer = UserFactory()
    checkout = place(buyer, AddressFactory(user=buyer))
    token = token_for("success")
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        try:
            barrier.wait()
            payments = checkout_pay(checkout=checkout, token=token, idempotency_key="race", now=NOW)
            outcomes.append([p.state for p in payments])
        except Exception as exc:  # a Conflict is a fine answer for the loser
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SimulatedCharge.objects.count() == 1
    assert Payment.objects.count() == 1 and Payment.objects.get().state == Payment.State.SUCCEEDED
    assert OrderEvent.objects.filter(order__checkout=checkout, kind="paid").count() == 1
    assert all(o in (["succeeded"], "nothing_to_pay") for o in outcomes), outcomes


# --- refunds: an ARN, never more than charged -----------------------------------------------------


def test_RFD_2_simulated_refunds_return_an_ARN_partial_then_full_never_more(db):
    from core.money import Money

    provider = SimulatedProvider()
    charge = provider.charge(amount=Money(5000, "USD"), token="tok_success", idempotency_key="c")
    part = provider.refund(payment_ref=charge.provider_ref, amount=Money(2000, "USD"), idempotency_key="r1")
    assert part.ok and len(part.arn) == 23 and part.arn.isdigit()
    assert (
        provider.refund(payment_ref=charge.provider_ref, amount=Money(2000, "USD"), idempotency_key="r1")
        == part
    )
    too_much = provider.refund(
        payment_ref=charge.provider_ref, amount=Money(3001, "USD"), idempotency_key="r2"
    )
    assert not too_much.ok and too_much.failure_code == "amount_too_large"
    rest = provider.refund(payment_ref=charge.provider_ref, amount=Money(3000, "USD"), idempotency_key="r3")
    assert rest.ok and rest.arn != part.arn


# --- signed webhooks for results that come later ---------------------------------------------------


def post_webhook(client, body: bytes, *, at=NOW, secret=None, header=None):
    header = (
        header
        if header is not None
        else webhook_sign(body=body, timestamp=int(at.timestamp()), secret=secret)
    )
    with time_machine.travel(at, tick=False):
        return client.post(
            "/webhooks/payments/simulated/",
            data=body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: header},
        )


def test_PAY_1_a_processing_card_is_settled_by_the_providers_signed_webhook(client, buyer, checkout):
    response = api_pay(buyer, checkout, token_for("processing"))
    assert response.status_code == 200
    assert states(checkout) == {State.PAYMENT_PROCESSING}
    assert Payment.objects.get().state == Payment.State.PROCESSING
    with time_machine.travel(NOW + dt.timedelta(seconds=5), tick=False):
        assert run_pending_tasks() >= 1  # the provider's webhook, delivered by the task worker
    assert Payment.objects.get().state == Payment.State.SUCCEEDED
    assert states(checkout) == {State.AWAITING_SHIPMENT}
    assert ProviderEvent.objects.get().result == "succeeded"


def test_PAY_2_a_processing_card_declined_later_goes_back_to_awaiting_payment(buyer, checkout):
    api_pay(buyer, checkout, token_for("processing_declined"))
    with time_machine.travel(NOW + dt.timedelta(seconds=5), tick=False):
        run_pending_tasks()
    payment = Payment.objects.get()
    assert payment.state == Payment.State.FAILED and payment.failure_code == "bank_rejected_csc_7200051"
    assert states(checkout) == {State.AWAITING_PAYMENT}


def test_PAY_5_webhooks_are_verified_and_take_effect_once(client, buyer, checkout):
    api_pay(buyer, checkout, token_for("processing"))
    payment = Payment.objects.get()
    body = webhook_body(event_type="payment.succeeded", payment_ref=payment.provider_ref)
    tampered = body.replace(b"payment.succeeded", b"payment.failed")
    signed_for_body = webhook_sign(body=body, timestamp=int(NOW.timestamp()))
    assert post_webhook(client, tampered, header=signed_for_body).status_code == 401
    assert post_webhook(client, body, secret="not-the-secret").status_code == 401
    assert post_webhook(client, body, header="").status_code == 401
    old = post_webhook(client, body, header=webhook_sign(body=body, timestamp=int(NOW.timestamp()) - 3600))
    assert old.status_code == 401 and old.json()["code"] == "stale_signature"
    assert Payment.objects.get().state == Payment.State.PROCESSING and not ProviderEvent.objects.exists()
    first = post_webhook(client, body)
    assert first.status_code == 200 and first.json()["status"] == "processed"
    replay = post_webhook(client, body)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert ProviderEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order__checkout=checkout, kind="paid").count() == 1
    not_json = b"not json"
    assert post_webhook(client, not_json).status_code == 400
    assert client.get("/webhooks/payments/simulated/").status_code == 405
    assert post_webhook(client, body).json()["status"] == "duplicate"
    response = client.post("/webhooks/payments/nosuch/", data=body, content_type="application/json")
    assert response.status_code == 404


def test_a_webhook_for_an_unknown_payment_is_recorded_and_changes_nothing(client, checkout):
    body = webhook_body(event_type="payment.succeeded", payment_ref="sim_ch_unknown")
    response = post_webhook(client, body)
    assert response.status_code == 200 and response.json()["result"] == "unknown_payment"
    assert states(checkout) == {State.AWAITING_PAYMENT}


def test_paying_someone_elses_checkout_is_404_and_changes_nothing(buyer, checkout):
    other = UserFactory()
    response = api_pay(other, checkout, "tok_success")
    assert response.status_code == 404
    assert not Payment.objects.exists() and states(checkout) == {State.AWAITING_PAYMENT}
    assert Order.objects.filter(checkout=checkout, paid_at__isnull=False).count() == 0
