"""The payment path's statements (checkout_pay → _payment_apply → _order_paid), on both databases.

A guard for the checkout performance work: paying runs fixed statements, none of them twice,
and reads the holidays and the recipients' languages inside the orders' locking SELECT instead
of by statements of their own — while a holiday added between two payments is still seen by
the second one (ORD-4) and each notice is still written in its recipient's language (NTF-1).
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cart.models import CartLine
from core.models import Holiday, LanguagePreference
from notifications.models import Notice
from orders.models import Order
from orders.services import checkout_pay, checkout_place
from orders.states import State
from payments.models import Payment
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday

# The payment path's own statements for a one-order checkout paid by card: the unpaid orders
# (with the pending appeal and the saved card as subqueries), the checkout row lock (PAY-5: two
# tabs cannot both charge), the payment row, the provider's
# charge, the payment's UPDATE … RETURNING, the orders' SELECT … FOR UPDATE (with store,
# languages and holidays), the deadlines' disarm and arm, the order's UPDATE, its timeline
# event, the notices and their email tasks. The ledger and coupon statements are guarded by
# their own tests.
PAY_STATEMENTS = 12
OTHERS = re.compile(r'"(ledger|coupons)_')
TRANSACTION = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT)", re.I)


def _sellable(*, processing_days=7):
    store = StoreFactory()
    method = ShippingMethodFactory(store=store)
    DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(store=store, processing_days=processing_days,
                             variants=[{"price_minor": 2500, "stock": 5}])
    product.shipping_methods.add(method)
    return product.variants.get()


def _placed(buyer, key, *, now=T0, processing_days=7):
    variant = _sellable(processing_days=processing_days)
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    return checkout_place(buyer=buyer, address=AddressFactory(user=buyer), idempotency_key=key, now=now)


def _own(queries) -> list[str]:
    return [
        q["sql"] for q in queries if not TRANSACTION.match(q["sql"]) and not OTHERS.search(q["sql"])
    ]


@pytest.mark.django_db
def test_pay_statement_count_ORD_4_NTF_1():
    buyer = UserFactory()
    checkout = _placed(buyer, "k1")
    with CaptureQueriesContext(connection) as captured:
        payments = checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay1", now=T0)
    own = _own(captured.captured_queries)
    assert len(own) <= PAY_STATEMENTS, "\n".join(own)
    assert len(set(own)) == len(own), "a statement ran twice:\n" + "\n".join(own)
    assert not any(re.match(r'\s*SELECT\b[^(]*\bFROM "core_holiday"', sql) for sql in own)
    assert not any(re.match(r'\s*SELECT\b[^(]*\bFROM "core_languagepreference"', sql) for sql in own)
    assert [p.state for p in payments] == [Payment.State.SUCCEEDED]
    order = Order.objects.get(checkout=checkout)
    assert order.state == State.AWAITING_SHIPMENT
    assert Notice.objects.filter(event_key=f"order:{order.pk}:paid").count() == 2


@pytest.mark.django_db
def test_pay_twice_PAY_5_runs_no_provider_call_and_changes_nothing():
    buyer = UserFactory()
    checkout = _placed(buyer, "k1")
    first = checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay1", now=T0)
    # The orders are paid: nothing waits for payment any more.
    with pytest.raises(Exception) as raised:
        checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay1", now=T0)
    assert getattr(raised.value, "code", "") == "nothing_to_pay"
    assert Payment.objects.filter(checkout=checkout).count() == 1
    assert first[0].pk == Payment.objects.get(checkout=checkout).pk


@pytest.mark.django_db
def test_ORD_4_a_holiday_added_between_two_payments_moves_the_second_ship_by():
    buyer = UserFactory()
    first = _placed(buyer, "k1", processing_days=3)
    checkout_pay(checkout=first, token=SUCCESS_TOKEN, idempotency_key="pay1", now=T0)
    # Monday 15:00 + 3 business days → Thursday 5 November, 15:00 (the business zone keeps the wall time)
    before = Order.objects.get(checkout=first).ship_by
    Holiday.objects.create(date=dt.date(2026, 11, 4), name="A Wednesday holiday")
    second = _placed(buyer, "k2", processing_days=3)
    checkout_pay(checkout=second, token=SUCCESS_TOKEN, idempotency_key="pay2", now=T0)
    after = Order.objects.get(checkout=second).ship_by
    assert after - before == dt.timedelta(days=1)  # Friday: the holiday is skipped
    Holiday.objects.filter(date=dt.date(2026, 11, 4)).update(date=dt.date(2026, 11, 11))
    third = _placed(buyer, "k3", processing_days=3)
    checkout_pay(checkout=third, token=SUCCESS_TOKEN, idempotency_key="pay3", now=T0)
    assert Order.objects.get(checkout=third).ship_by == before  # an edited date is seen too


@pytest.mark.django_db
def test_NTF_1_paid_notices_are_in_each_recipients_language():
    buyer = UserFactory()
    checkout = _placed(buyer, "k1")
    seller = Order.objects.get(checkout=checkout).store.owner
    LanguagePreference.objects.create(user=seller, language="fr")
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay1", now=T0)
    order = Order.objects.get(checkout=checkout)
    to_buyer = Notice.objects.get(user=buyer, event_key=f"order:{order.pk}:paid")
    to_seller = Notice.objects.get(user=seller, event_key=f"order:{order.pk}:paid")
    assert to_buyer.subject == f"Payment received for order {order.number}"
    assert order.number in to_seller.subject
    assert not to_seller.subject.startswith("New order")  # written in French
