"""RULE PAY-5: a provider webhook delivered three times at the same moment takes effect once.

Through real HTTP: a live server (one thread and one database connection per request) gets
three concurrent POSTs of the same signed event; one is processed, the other two answer
"duplicate"; the payment settles once and the ledger holds one capture. PostgreSQL only
(SQLite serialises writers, so nothing would race)."""

import json
import threading
import time
import urllib.request

import pytest

from ledger.models import Transaction
from ledger.selectors import ledger_problems
from orders.models import OrderEvent
from orders.services import checkout_pay
from orders.states import State
from payments.models import Payment, ProviderEvent
from payments.providers.simulated import SIGNATURE_HEADER, webhook_body, webhook_sign
from tests.factories import AddressFactory, UserFactory
from tests.payments.conftest import T0, place
from tests.payments.test_simulated_provider import token_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
DELIVERIES = 3


def post(url: str, body: bytes, header: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our live server)
        return response.status, json.loads(response.read())


def test_PAY_5_one_signed_webhook_posted_three_times_at_once_has_one_effect(is_postgres, live_server):
    if not is_postgres:
        pytest.skip("concurrent transactions are a PostgreSQL matter (SQLite serialises writers)")
    buyer = UserFactory()
    checkout = place(buyer, AddressFactory(user=buyer), now=T0)
    [payment] = checkout_pay(checkout=checkout, token=token_for("processing"), idempotency_key="k", now=T0)
    assert payment.state == Payment.State.PROCESSING  # waits for the provider's webhook
    body = webhook_body(event_type="payment.succeeded", payment_ref=payment.provider_ref)
    header = webhook_sign(body=body, timestamp=int(time.time()))  # the server checks it on its clock
    url = f"{live_server.url}/webhooks/payments/simulated/"

    barrier = threading.Barrier(DELIVERIES)
    answers: list[tuple[int, dict]] = []

    def deliver():
        barrier.wait(timeout=30)
        answers.append(post(url, body, header))

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in answers] == [200] * DELIVERIES
    assert sorted(answer["status"] for _, answer in answers) == ["duplicate", "duplicate", "processed"]
    assert ProviderEvent.objects.count() == 1 and ProviderEvent.objects.get().result == "succeeded"
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    order = checkout.orders.get()
    assert order.state == State.AWAITING_SHIPMENT
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert Transaction.objects.filter(order=order, kind=Transaction.Kind.CAPTURE).count() == 1
    assert Transaction.objects.count() == 1
    assert ledger_problems() == []
