"""Deadline workers as real processes on PostgreSQL (row locks cannot be proven on SQLite).

ORD-3: 10,000 unpaid orders past their payment window, four `run_worker`
processes: every order closes exactly once. A worker killed with SIGKILL in
the middle of a batch loses nothing and duplicates nothing.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from deadlines.models import Deadline, Status
from orders.models import Order, OrderEvent
from orders.states import State
from tests.factories import AddressFactory, ProductFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking (SKIP LOCKED) is proven on PostgreSQL only")


def _overdue_orders(n: int) -> None:
    product = ProductFactory()
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    placed = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    orders = Order.objects.bulk_create(
        Order(
            number=f"W{i:09d}",
            buyer=buyer,
            store=product.store,
            currency="USD",
            total_minor=1000,
            items_total_minor=1000,
            ship_first_name=address.first_name,
            ship_last_name=address.last_name,
            ship_line1=address.line1,
            ship_city=address.city,
            ship_country="US",
            ship_phone=address.phone,
            processing_days=7,
            placed_at=placed,
        )
        for i in range(n)
    )
    Deadline.objects.bulk_create(
        Deadline(
            kind="payment_window",
            subject_type="order",
            subject_id=o.pk,
            armed_state=State.AWAITING_PAYMENT,
            due_at=placed + dt.timedelta(hours=24),
            armed_at=placed,
        )
        for o in orders
    )


def _worker(*extra: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--once", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _assert_each_closed_exactly_once(n: int) -> None:
    assert Order.objects.filter(state=State.CLOSED).count() == n
    per_order = (
        OrderEvent.objects.filter(to_state=State.CLOSED)
        .values("order")
        .annotate(c=Count("id"))
        .filter(c__gt=1)
    )
    assert not per_order.exists()
    assert OrderEvent.objects.filter(to_state=State.CLOSED).count() == n
    assert Deadline.objects.filter(status=Status.PENDING).count() == 0
    assert Deadline.objects.filter(status=Status.FIRED).count() == n


def test_ORD_3_four_worker_processes_fire_10000_deadlines_exactly_once():
    n = 10_000
    _overdue_orders(n)
    workers = [_worker("--batch-size", "200") for _ in range(4)]
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()[-2000:]
    _assert_each_closed_exactly_once(n)


def test_ORD_3_a_worker_killed_mid_batch_loses_and_duplicates_nothing():
    n = 3_000
    _overdue_orders(n)
    victim = _worker("--batch-size", "1000")
    # Wait until the victim holds locks on a batch (it is inside its transaction), then kill it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.datname = current_database() AND l.locktype = 'transactionid' "
                "AND a.pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    survivor = _worker("--batch-size", "500")
    _, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err.decode()[-2000:]
    _assert_each_closed_exactly_once(n)
