"""Concurrency proofs on PostgreSQL (DSP-6, DSP-2, BP-2): real threads, each with its own
connection, released together.

- two opens of a dispute on the same order at once → exactly one dispute;
- the seller agreeing while the 5-day deadline fires → one outcome, refunded once;
- protection end firing while the buyer opens a dispute → the order either completes (and the
  dispute is refused) or stays held by the dispute; never released with a dispute open.
"""

import pytest
from django.db import connection

from core.errors import DomainError
from deadlines.models import Deadline
from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import Dispute
from ledger.models import Transaction
from ledger.services import release_key
from payments.models import Refund
from tests.disputes.factories import DAY, T0, fresh, received_order
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def _open(order, now, reason="damaged"):
    return lambda: services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason=reason,
        solution="refund_only",
        amount_minor=100,
        description="Broken.",
        now=now,
    )


def test_dsp6_two_opens_at_once_make_one_dispute():
    order = received_order()
    results = race(_open(order, T0 + 9 * DAY), _open(order, T0 + 9 * DAY, "quality"))
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, DomainError) and error.code == "dispute_open"
    assert Dispute.objects.filter(order=order).count() == 1


def test_dsp2_seller_agrees_while_the_deadline_fires_refunds_once():
    order = received_order()
    dispute = _open(order, T0 + 9 * DAY)()
    due = dispute.due_at
    results = race(
        lambda: services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=due),
        lambda: deadlines_fire_due(now=due),
    )
    # No deadlock: the seller either wins or is refused cleanly, the firing never fails.
    assert all(kind == "ok" or isinstance(value, DomainError) for kind, value in results)
    # A firing that found the order held by the seller's transaction left the deadline, untouched,
    # for a later batch (SKIP LOCKED, deadlines.batch): the next run carries it out.
    deadlines_fire_due(now=due)
    assert not Deadline.objects.exclude(last_error="").exists()
    assert fresh(dispute).state == "refunded"
    assert Refund.objects.filter(order=order).count() == 1


def test_bp2_protection_end_racing_a_new_dispute_never_releases_with_it_open():
    order = fresh(received_order())
    end = order.protection_ends_at
    results = race(_open(order, end - DAY), lambda: deadlines_fire_due(now=end))
    released = Transaction.objects.filter(idempotency_key=release_key(order)).exists()
    open_dispute = Dispute.objects.filter(order=order, is_open=True).exists()
    assert not (released and open_dispute)
    assert results
