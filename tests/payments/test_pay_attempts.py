"""PAY-5: an attempt on orders that another pending attempt is paying is refused (409
payment_in_progress); a declined or settled attempt blocks nothing."""

import datetime as dt

import pytest

from accounts.models import Address, User
from cart.models import CartLine
from core.errors import Conflict
from core.policy import policy
from orders.services import checkout_pay, checkout_place
from payments.models import Payment
from payments.providers.simulated import DECLINED_TOKEN, SUCCESS_TOKEN
from tests.coupons.factories import T0, sellable, store_make

pytestmark = pytest.mark.django_db


def _checkout(email):
    variant = sellable(store_make(), price=3_000, stock=10)
    buyer = User.objects.create(email=email, password="!")
    address = Address.objects.create(
        user=buyer, first_name="Mai", last_name="Vang", line1="1 Main St", city="Saint Paul",
        postal_code="55103", country="US", phone="+1 651 555 0100", is_default=True,
    )
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=3_000)
    return checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)


def _pending(checkout, key, created_at):
    """An attempt whose provider call has not come back yet (another tab, mid-payment)."""
    return Payment.objects.create(
        checkout=checkout, method="card", provider="simulated", amount_minor=3_500, currency="USD",
        idempotency_key=key, created_at=created_at,
    )


def test_pay5_an_attempt_while_another_is_pending_is_refused_and_charges_nothing():
    checkout = _checkout("busy@example.test")
    _pending(checkout, "other:USD", T0 - policy.payment_attempt_in_flight + dt.timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="mine", now=T0)
    assert refused.value.code == "payment_in_progress"
    assert not Payment.objects.filter(idempotency_key="mine:USD").exists()


def test_pay5_a_pending_attempt_older_than_the_window_no_longer_blocks():
    """One second past policy.payment_attempt_in_flight the stuck attempt is not in flight."""
    checkout = _checkout("stuck@example.test")
    _pending(checkout, "other:USD", T0 - policy.payment_attempt_in_flight)
    [payment] = checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="mine", now=T0)
    assert payment.state == Payment.State.SUCCEEDED


def test_pay5_a_declined_attempt_does_not_block_the_next_one():
    """A failed attempt is not in flight: paying again with a new key goes through."""
    checkout = _checkout("retry@example.test")
    [first] = checkout_pay(checkout=checkout, token=DECLINED_TOKEN, idempotency_key="a1", now=T0)
    assert first.state == Payment.State.FAILED
    [second] = checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="a2", now=T0)
    assert second.state == Payment.State.SUCCEEDED
