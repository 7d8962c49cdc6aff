"""The Stripe adapter against localstripe (a fake Stripe server started by the test suite on
127.0.0.1): success, 3-D Secure, declines through attach, partial and full refunds, detach,
signed webhooks, and a double submit charging once (PAY-1, PAY-2, PAY-5, RFD-2)."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
import requests

from core.money import Money
from orders.models import OrderEvent
from orders.services import checkout_pay
from orders.states import State
from payments.models import Payment, SavedCard
from payments.providers import ChargeStatus, ProviderError
from payments.providers.stripe import StripeProvider
from payments.webhooks import webhook_receive

KEY = "sk_test_hmong"
WHSEC = "whsec_test_hmong_artisans"


@pytest.fixture
def stripe_provider(localstripe, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_WEBHOOK_SECRET = WHSEC
    return StripeProvider()


def card(provider, number: str) -> str:
    """What Stripe.js does on the buyer's side: turn the card into a PaymentMethod id."""
    pm = provider.client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    return pm.id


def signed(payload: dict, *, at: int | None = None, secret: str = WHSEC) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={at},v1={mac}"}


def test_PAY_1_a_card_payment_succeeds_and_captures_at_once(stripe_provider):
    result = stripe_provider.charge(
        amount=Money(2500, "USD"), token=card(stripe_provider, "4242424242424242"), idempotency_key="ok-1"
    )
    assert result.ok and result.status == ChargeStatus.SUCCEEDED and result.provider_ref.startswith("pi_")
    intent = stripe_provider.client.v1.payment_intents.retrieve(result.provider_ref)
    assert intent.status == "succeeded" and intent.capture_method == "automatic"


def test_PAY_1_3d_secure_waits_then_succeeds_after_authentication(stripe_provider, localstripe):
    result = stripe_provider.charge(
        amount=Money(1800, "EUR"), token=card(stripe_provider, "4000002500003155"), idempotency_key="3ds-1"
    )
    assert not result.ok and result.status == ChargeStatus.PROCESSING
    intent = stripe_provider.client.v1.payment_intents.retrieve(result.provider_ref)
    assert intent.status == "requires_action"
    answer = requests.post(
        f"{localstripe}/v1/payment_intents/{intent.id}/_authenticate",
        data={"client_secret": intent.client_secret, "success": "true"},
        auth=(KEY, ""),
        timeout=10,
    )
    assert answer.status_code == 200
    assert stripe_provider.payment_status(payment_ref=intent.id).ok


def test_PAY_2_a_declining_card_is_refused_when_attached_to_a_customer(stripe_provider):
    customer = stripe_provider.customer_create(email="a@example.com", reference="1", idempotency_key="cus-a")
    with pytest.raises(ProviderError) as refused:
        stripe_provider.card_save(token=card(stripe_provider, "4000000000000002"), customer_ref=customer)
    assert refused.value.code == "payment_failed"  # localstripe sends card_declined, no decline_code


def test_PAY_2_a_card_declined_when_charged(stripe_provider):
    result = stripe_provider.charge(
        amount=Money(900, "USD"), token=card(stripe_provider, "4000000000000341"), idempotency_key="dec-1"
    )
    assert not result.ok and result.status == ChargeStatus.FAILED and result.failure_code == "payment_failed"


def test_PAY_1_save_then_detach_a_card(stripe_provider):
    customer = stripe_provider.customer_create(email="b@example.com", reference="2", idempotency_key="cus-b")
    token = card(stripe_provider, "4242424242424242")
    saved = stripe_provider.card_save(token=token, customer_ref=customer)
    assert (saved.token, saved.last4, saved.exp_month, saved.exp_year) == (token, "4242", 12, 2030)
    paid = stripe_provider.charge(
        amount=Money(700, "USD"), token=token, idempotency_key="saved-1", customer_ref=customer
    )
    assert paid.ok
    stripe_provider.card_remove(token=token)
    assert stripe_provider.client.v1.payment_methods.retrieve(token).customer is None


def test_RFD_2_partial_then_full_refund(stripe_provider):
    paid = stripe_provider.charge(
        amount=Money(5000, "USD"), token=card(stripe_provider, "4242424242424242"), idempotency_key="rf-1"
    )
    part = stripe_provider.refund(
        payment_ref=paid.provider_ref, amount=Money(2000, "USD"), idempotency_key="r1"
    )
    rest = stripe_provider.refund(
        payment_ref=paid.provider_ref, amount=Money(3000, "USD"), idempotency_key="r2"
    )
    assert (
        part.ok and rest.ok and part.provider_ref.startswith("re_") and part.provider_ref != rest.provider_ref
    )
    refunds = stripe_provider.client.v1.refunds.list(params={"payment_intent": paid.provider_ref})
    assert sorted(r.amount for r in refunds.data) == [2000, 3000]


def test_PAY_1_checkout_with_save_card_through_stripe_and_pay_later_with_it(stripe_provider, buyer, address):
    from tests.payments.conftest import T0, place

    checkout = place(buyer, address, key="s1")
    token = card(stripe_provider, "4242424242424242")
    [payment] = checkout_pay(checkout=checkout, token=token, idempotency_key="sp1", now=T0, save_card=True)
    assert payment.state == Payment.State.SUCCEEDED and payment.provider == "stripe"
    saved = SavedCard.objects.get(owner=buyer)
    assert saved.provider == "stripe" and saved.last4 == "4242"
    again = place(buyer, address, key="s2")
    [second] = checkout_pay(checkout=again, token=saved.token, idempotency_key="sp2", now=T0)
    assert second.state == Payment.State.SUCCEEDED
    intent = stripe_provider.client.v1.payment_intents.retrieve(second.provider_ref)
    assert intent.customer  # charged as the saved card's customer


def test_PAY_2_checkout_refused_when_the_card_cannot_be_saved(stripe_provider, buyer, address):
    from core.errors import DomainError
    from tests.payments.conftest import T0, place

    checkout = place(buyer, address, key="s3")
    with pytest.raises(DomainError) as refused:
        checkout_pay(
            checkout=checkout,
            token=card(stripe_provider, "4000000000000002"),
            idempotency_key="sp3",
            now=T0,
            save_card=True,
        )
    assert refused.value.status == 402 and refused.value.code == "payment_failed"
    assert not SavedCard.objects.exists() and not Payment.objects.exists()


def test_PAY_5_a_double_submit_through_stripe_creates_one_payment_intent(stripe_provider, buyer, address):
    from core.errors import Conflict
    from tests.payments.conftest import T0, place

    checkout = place(buyer, address, key="s4")
    token = card(stripe_provider, "4242424242424242")
    checkout_pay(checkout=checkout, token=token, idempotency_key="twice", now=T0)
    with pytest.raises(Conflict):
        checkout_pay(checkout=checkout, token=token, idempotency_key="twice", now=T0)
    intents = stripe_provider.client.v1.payment_intents.list(params={"limit": 100}).data
    assert len([i for i in intents if i.metadata.to_dict().get("idempotency_key") == "twice:USD"]) == 1
    assert Payment.objects.count() == 1


def test_PAY_1_3d_secure_checkout_is_processing_until_the_signed_webhook(stripe_provider, buyer, address):
    from tests.payments.conftest import place

    checkout = place(buyer, address, key="s5")
    now = dt.datetime.now(dt.UTC)
    [payment] = checkout_pay(
        checkout=checkout, token=card(stripe_provider, "4000002500003155"), idempotency_key="3ds", now=now
    )
    assert payment.state == Payment.State.PROCESSING
    assert set(checkout.orders.values_list("state", flat=True)) == {State.PAYMENT_PROCESSING}
    event = {
        "id": "evt_3ds_ok",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": payment.provider_ref,
                "object": "payment_intent",
                "status": "succeeded",
                "metadata": {"idempotency_key": "3ds:USD"},
            }
        },
    }
    body, headers = signed(event, at=int(now.timestamp()))
    bad_body, bad_headers = signed(event, at=int(now.timestamp()), secret="whsec_wrong")
    assert webhook_receive(provider="stripe", payload=bad_body, headers=bad_headers, now=now)[0] == 401
    assert (
        webhook_receive(
            provider="stripe",
            payload=body.replace(b"succeeded", b"payment_failed", 1),
            headers=headers,
            now=now,
        )[0]
        == 401
    )  # tampered
    stale = webhook_receive(provider="stripe", payload=body, headers=headers, now=now + dt.timedelta(hours=1))
    assert stale[0] == 401
    assert webhook_receive(provider="stripe", payload=body, headers=headers, now=now) == (
        200,
        {"status": "processed", "event_id": "evt_3ds_ok", "result": "succeeded"},
    )
    assert (
        webhook_receive(provider="stripe", payload=body, headers=headers, now=now)[1]["status"] == "duplicate"
    )
    assert set(checkout.orders.values_list("state", flat=True)) == {State.AWAITING_SHIPMENT}
    assert OrderEvent.objects.filter(order__checkout=checkout, kind="paid").count() == checkout.orders.count()
