"""Deadline workers as real processes on PostgreSQL (row locks cannot be proven on SQLite).

ORD-3: 10,000 unpaid orders past their payment window, four `run_worker`
processes: every order closes exactly once. ORD-4 / ORD-9 / NTF-1: a worker
killed with SIGKILL in the middle of a batch of paid orders past their ship-by
deadline loses nothing and duplicates nothing — one closing, one refund, one
refund task, one notice per party and one email task per notice, and the stock
given back once per order.
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
from django_tasks_db.models import DBTaskResult

from catalog.models import Variant
from deadlines.models import Deadline, Status
from notifications.models import Notice
from orders.models import Checkout, Order, OrderEvent, OrderLine
from orders.states import CloseReason, State
from payments.models import Payment, Refund
from tests.factories import AddressFactory, ProductFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
PLACED = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking (SKIP LOCKED) is proven on PostgreSQL only")


def _overdue_orders(n: int, *, paid: bool = False) -> Variant:
    """n orders of one unit each whose deadline is overdue: the payment window of unpaid
    orders, or the ship-by deadline of paid ones (with the payment a closing refunds)."""
    product = ProductFactory(variants=[{"price_minor": 1000, "stock": 50}])
    variant = product.variants.get()
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    checkouts = Checkout.objects.bulk_create(
        Checkout(buyer=buyer, idempotency_key=f"w{i}", created_at=PLACED) for i in range(n)
    )
    orders = Order.objects.bulk_create(
        Order(
            number=f"W{i:09d}",
            checkout=checkout,
            buyer=buyer,
            store=product.store,
            state=State.AWAITING_SHIPMENT if paid else State.AWAITING_PAYMENT,
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
            placed_at=PLACED,
            paid_at=PLACED if paid else None,
            ship_by=PLACED + dt.timedelta(days=9) if paid else None,
        )
        for i, checkout in enumerate(checkouts)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=o, variant=variant, product_title=product.title, unit_price_minor=1000, quantity=1,
                  processing_days=7)
        for o in orders
    )
    if paid:
        Payment.objects.bulk_create(
            Payment(checkout=c, provider="simulated", amount_minor=1000, currency="USD",
                    state=Payment.State.SUCCEEDED, idempotency_key=f"wp{c.pk}", created_at=PLACED,
                    succeeded_at=PLACED)
            for c in checkouts
        )
    kind, state = ("ship_by", State.AWAITING_SHIPMENT) if paid else ("payment_window", State.AWAITING_PAYMENT)
    due = PLACED + (dt.timedelta(days=9) if paid else dt.timedelta(hours=24))
    Deadline.objects.bulk_create(
        Deadline(kind=kind, subject_type="order", subject_id=o.pk, armed_state=state, due_at=due,
                 armed_at=PLACED)
        for o in orders
    )
    return variant


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


def _task_args(path: str) -> list[int]:
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path=path)]


def test_ORD_3_four_worker_processes_fire_10000_deadlines_exactly_once():
    n = 10_000
    variant = _overdue_orders(n)
    workers = [_worker("--batch-size", "200") for _ in range(4)]
    handled = 0
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()[-2000:]
        handled += int(out.decode().split()[1])  # "run_worker: <n> deadlines handled"
    assert handled == n  # between them, the four handled each deadline once
    _assert_each_closed_exactly_once(n)
    assert set(Order.objects.values_list("close_reason", flat=True)) == {CloseReason.PAYMENT_TIMEOUT}
    assert Variant.objects.get(pk=variant.pk).stock == 50 + n  # each order's unit back once
    assert Notice.objects.count() == 2 * n  # the buyer and the seller, once per order


def test_ORD_4_ORD_9_NTF_1_a_worker_killed_mid_batch_duplicates_no_refund_and_no_email():
    n = 3_000
    variant = _overdue_orders(n, paid=True)
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
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    committed = Order.objects.filter(state=State.CLOSED).count()
    assert committed < n  # it died before finishing: some batch was lost with it
    survivor = _worker("--batch-size", "500")
    _, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err.decode()[-2000:]

    _assert_each_closed_exactly_once(n)
    assert set(Order.objects.values_list("close_reason", flat=True)) == {CloseReason.SELLER_SHIP_TIMEOUT}
    # ORD-9: one full refund per order, each with one refund task.
    refunds = Refund.objects.all()
    assert refunds.count() == n
    assert refunds.values("order").distinct().count() == n
    assert set(refunds.values_list("amount_minor", flat=True)) == {1000}
    assert not refunds.filter(payment__isnull=True).exists()
    refund_tasks = _task_args("payments.tasks.refund_execute")
    assert sorted(refund_tasks) == sorted(refunds.values_list("pk", flat=True))
    # NTF-1: each party told once per order, and one email task per notice.
    assert Notice.objects.filter(kind="order_closed").count() == 2 * n
    assert not Notice.objects.values("user", "event_key").annotate(c=Count("id")).filter(c__gt=1).exists()
    email_tasks = _task_args("notifications.tasks.notice_email")
    assert len(email_tasks) == len(set(email_tasks)) == Notice.objects.count()
    assert Variant.objects.get(pk=variant.pk).stock == 50 + n  # the stock given back once
