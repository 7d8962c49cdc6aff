"""PAY-5 on PostgreSQL: two tabs paying the same orders at the same moment with different
idempotency keys charge the buyer once (row locks cannot be proven on SQLite).

The second attempt waits on the checkout's row lock, then finds the first attempt pending (or
the orders already paid) and is refused with a 409 instead of charging the card again.
"""

import pytest

from accounts.models import Address, User
from cart.models import CartLine
from orders.models import Order
from orders.services import checkout_pay, checkout_place
from orders.states import State
from payments.models import Payment
from payments.providers.simulated import SUCCESS_TOKEN
from tests.coupons.factories import T0, sellable, store_make
from tests.coupons.test_concurrency import need_connections, race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def test_pay5_two_tabs_paying_with_different_keys_charge_once():
    need_connections(2)
    variant = sellable(store_make(), price=3_000, stock=10)
    buyer = User.objects.create(email="twopay@example.test", password="!")
    address = Address.objects.create(
        user=buyer, first_name="Mai", last_name="Vang", line1="1 Main St", city="Saint Paul",
        postal_code="55103", country="US", phone="+1 651 555 0100", is_default=True,
    )
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=3_000)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)

    results = race(
        [
            lambda key=key: checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=key, now=T0)
            for key in ("tab-1", "tab-2")
        ],
        atomic=False,
    )

    outcomes = sorted(results)
    assert outcomes[0] == ("ok", None)
    assert outcomes[1] in {("refused", "payment_in_progress"), ("refused", "nothing_to_pay")}
    assert Payment.objects.filter(checkout=checkout, state=Payment.State.SUCCEEDED).count() == 1
    assert Payment.objects.filter(checkout=checkout).count() == 1
    assert Order.objects.get(checkout=checkout).state == State.AWAITING_SHIPMENT

