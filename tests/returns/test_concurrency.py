"""Concurrency proofs on PostgreSQL (RET-2, RET-3): real threads, each with its own connection.

- RET-2: two return requests on the same order at once → exactly one is free; the units of a
  line are never promised to two returns.
- RET-3: the same provider event delivered twice at once → applied once.
"""

import pytest
from django.db import connection

from returns import services
from returns.models import ReturnEvent, ReturnRequest
from tests.orders.test_concurrency import race
from tests.returns.factories import DAY, RECEIVED_AT, ReturnShop

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
AT = RECEIVED_AT + DAY


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def test_ret2_two_requests_at_once_one_free_return(db):
    shop = ReturnShop()
    order = shop.order()  # 3 units
    line_id = shop.line(order).pk

    def ask(units):
        return lambda: services.return_request_create(
            order=order, buyer=shop.buyer, lines={line_id: units}, accept_paid_shipping=True, now=AT
        )

    results = race(ask(2), ask(2))
    assert sorted(kind for kind, _ in results) == ["error", "ok"]  # 2 + 2 > 3 units
    assert ReturnRequest.objects.filter(order=order).count() == 1
    results = race(ask(1), ask(1), ask(1))
    assert [kind for kind, _ in results].count("ok") == 1  # one unit was left
    free = list(ReturnRequest.objects.filter(order=order).values_list("is_free", flat=True))
    assert sorted(free) == [False, True]


def test_ret3_same_event_twice_at_once_applies_once(db):
    shop = ReturnShop()
    order = shop.order()
    ret = services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: 1}, now=AT
    )

    def deliver():
        return services.return_provider_update(
            provider=ret.provider,
            event_id="same",
            return_code=ret.return_code,
            status="dropped_off",
            occurred_at=AT,
            now=AT + DAY,
        )[1]

    results = race(deliver, deliver)
    outcomes = sorted(value if kind == "ok" else type(value).__name__ for kind, value in results)
    assert outcomes[0] in ("applied", "duplicate") and "applied" in outcomes
    assert ReturnEvent.objects.filter(external_id=f"{ret.provider}:same").count() == 1


def test_ret3_worker_skips_a_return_someone_holds_then_fires_it(db):
    """The code-expiry worker never waits for an order another transaction holds (a buyer
    cancelling, a webhook): the deadline stays pending, untouched, and fires on a later run."""
    import threading

    from django.db import transaction

    from deadlines.models import Deadline, Status
    from deadlines.worker import deadlines_fire_due
    from orders.models import Order
    from returns.states import ReturnDeadline, ReturnState

    shop = ReturnShop()
    order = shop.order()
    ret = services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: 1}, now=AT
    )
    due = ret.code_expires_at
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        deadlines_fire_due(now=due + DAY)
        row = Deadline.objects.get(subject_type="return", subject_id=ret.pk, kind=ReturnDeadline.CODE_EXPIRY)
        assert row.status == Status.PENDING and row.attempts == 0
    finally:
        release.set()
        holder.join(30)
    deadlines_fire_due(now=due + DAY)
    ret.refresh_from_db()
    assert ret.state == ReturnState.EXPIRED
