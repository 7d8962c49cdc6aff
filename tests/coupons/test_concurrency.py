"""CPN-8 on PostgreSQL: redemption is exact under concurrency (row locks cannot be proven on SQLite).

RULE CPN-8. Every race here is truly simultaneous: one thread per attempt, each with its OWN
database connection, opened before the start; all threads then wait on a threading.Barrier
and are released together into the real service. The barrier's last arrival counts the
connections open on the test database, so the test proves they were all there at once.
Each thread closes its connection at the end.

- 1,000 redemptions of a coupon with stock 10 (1,000 threads, 1,000 connections) → exactly 10
  succeed, stock ends at 0, the 990 others are refused with out_of_stock, and only the
  winners' redemption rows exist.
- One buyer racing 200 times (200 connections) against a per-user limit of 1 → exactly 1.
- 40 whole checkouts (`orders.services.checkout_place`) racing for a coupon of stock 5 →
  exactly 5 orders, and nothing of the refused checkouts is written.

The two redemption races call `coupons.services.redemption_take`, the very function the
checkout calls for every promotion it applies (lock the buyer's row, take a unit of stock
with a conditional UPDATE, check the per-user limit, record the use), each in its own
transaction; their orders are made up front in bulk, so the race is only about the coupon.

The server must accept that many connections: .ci/run raises PostgreSQL's max_connections
to 1,200. On a smaller server the test skips and says so.
"""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from accounts.models import Address, User
from cart.models import CartLine
from catalog.models import Variant
from core.errors import DomainError
from coupons.models import CollectedCoupon, Kind, OrderDiscount, Promotion, Redemption
from coupons.services import redemption_take
from orders.models import Checkout, Order
from orders.services import checkout_place
from tests.coupons.factories import T0, promotion_make, sellable, store_make

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SPARE = 10  # connections left for the test's own connection and anything else on the server
START_TIMEOUT = 120  # seconds for every thread to open its connection and reach the start line
FINISH_TIMEOUT = 300  # seconds for every thread to finish after the start
THREAD_STACK = 1024 * 1024  # 1,000 threads × the 8 MiB default would reserve 8 GiB of address space


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


def need_connections(n):
    """Skip (with the reason) unless the server accepts `n` more connections right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int,"
            " current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        limit, free = cursor.fetchone()
    if free < n + SPARE:
        pytest.skip(
            f"{n} simultaneous attempts need {n + SPARE} free PostgreSQL connections; this server "
            f"(max_connections {limit}) accepts {free} more. .ci/run raises max_connections to 1,200."
        )


def race(calls, *, atomic=True):
    """Run every call at the same moment, each on its own thread and its own connection.

    Each thread opens its connection, waits at a barrier until all have theirs, then runs its
    call (in its own transaction when `atomic`) and closes the connection. Returns, in order,
    ("ok", None) or ("refused", code) per call; any other failure fails the test.
    """
    n = len(calls)
    results = [None] * n
    open_at_start = []

    def count_connections():  # run once, by the last thread to arrive, before any is released
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            open_at_start.append(cursor.fetchone()[0])

    barrier = threading.Barrier(n, action=count_connections, timeout=START_TIMEOUT)

    def one(i, call):
        try:
            try:
                connection.ensure_connection()
            except BaseException:
                barrier.abort()  # the others must not wait for a thread that cannot start
                raise
            barrier.wait()
            try:
                if atomic:
                    with transaction.atomic():
                        call()
                else:
                    call()
                results[i] = ("ok", None)
            except DomainError as exc:
                results[i] = ("refused", exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread below
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    previous = threading.stack_size(THREAD_STACK)
    try:
        for t in threads:
            t.start()
    finally:
        threading.stack_size(previous)
    for t in threads:
        t.join(FINISH_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "some attempts did not finish in time"
    errors = [r[1] for r in results if r[0] == "error"]
    errors.sort(key=lambda e: e.startswith("BrokenBarrierError"))  # the cause first
    assert not errors, f"{len(errors)} attempts failed outside the service: {errors[:3]}"
    # All threads held their own connection at the start (plus this test's own connection).
    assert open_at_start and open_at_start[0] >= n, open_at_start
    return results


def users(n, prefix):
    User.objects.bulk_create(User(email=f"{prefix}{i}@example.com", password="!") for i in range(n))
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def orders_for(store, buyers):
    Order.objects.bulk_create(
        Order(
            number=f"C{i:07d}",
            buyer=b,
            store=store,
            currency="USD",
            ship_first_name="Mai",
            ship_last_name="Vang",
            ship_line1="1 Main St",
            ship_city="Saint Paul",
            ship_country="US",
            ship_phone="1",
            processing_days=3,
            placed_at=T0,
        )
        for i, b in enumerate(buyers)
    )
    return list(Order.objects.filter(store=store).order_by("pk"))


def test_cpn8_1000_concurrent_redemptions_of_stock_10_exactly_10_succeed():
    need_connections(1000)
    store = store_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=10)
    buyers = users(1000, "race")
    orders = orders_for(store, buyers)
    attempts = [
        (lambda b=b, o=o: redemption_take(promotion_id=coupon.pk, user=b, order=o, now=T0, amount_minor=100))
        for b, o in zip(buyers, orders, strict=True)
    ]
    results = race(attempts)
    won = [o.pk for o, r in zip(orders, results, strict=True) if r[0] == "ok"]
    assert len(won) == 10
    assert [r for r in results if r[0] != "ok"] == [("refused", "out_of_stock")] * 990
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 10 and coupon.stock_left == 0
    # Nothing half-written: a redemption row for each winner's order, none for the refused.
    assert sorted(Redemption.objects.filter(promotion=coupon).values_list("order_id", flat=True)) == won
    assert Redemption.objects.count() == 10


def test_cpn8_one_user_racing_200_times_against_a_limit_of_1_gets_exactly_one():
    need_connections(200)
    store = store_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, per_user_limit=1)
    (buyer,) = users(1, "solo")
    orders = orders_for(store, [buyer] * 200)
    attempts = [
        (lambda o=o: redemption_take(promotion_id=coupon.pk, user=buyer, order=o, now=T0, amount_minor=100))
        for o in orders
    ]
    results = race(attempts)
    won = [o.pk for o, r in zip(orders, results, strict=True) if r[0] == "ok"]
    assert len(won) == 1
    assert [r for r in results if r[0] != "ok"] == [("refused", "already_used")] * 199
    assert list(Redemption.objects.values_list("order_id", flat=True)) == won
    assert Redemption.objects.filter(promotion=coupon, user=buyer).count() == 1
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1


def test_cpn8_whole_checkouts_racing_for_a_coupon_of_stock_5():
    need_connections(40)
    store = store_make()
    variant = sellable(store, price=2_000, stock=500)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=5, amount_minor=300)
    buyers = users(40, "whole")
    Address.objects.bulk_create(
        Address(
            user=b,
            first_name="Mai",
            last_name="Vang",
            line1="1 Main St",
            city="Saint Paul",
            country="US",
            phone="1",
        )
        for b in buyers
    )
    CartLine.objects.bulk_create(
        CartLine(user=b, variant=variant, quantity=1, price_seen_minor=2_000) for b in buyers
    )
    CollectedCoupon.objects.bulk_create(
        CollectedCoupon(user=b, promotion=coupon, collected_at=T0 - dt.timedelta(hours=1)) for b in buyers
    )
    addresses = {a.user_id: a for a in Address.objects.filter(user__in=buyers)}

    def attempt(b):
        return lambda: checkout_place(
            buyer=b, address=addresses[b.pk], idempotency_key="k", now=T0, promotion_ids=[coupon.pk]
        )

    # checkout_place is the whole entry (its own transaction), as the checkout page calls it.
    results = race([attempt(b) for b in buyers], atomic=False)
    winners = sorted(b.pk for b, r in zip(buyers, results, strict=True) if r[0] == "ok")
    assert len(winners) == 5
    assert [r for r in results if r[0] != "ok"] == [("refused", "out_of_stock")] * 35
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 5
    # Nothing of a refused checkout is written: orders, checkouts, discounts, redemptions and
    # stock are the winners' only, and the refused buyers keep their carts.
    orders = Order.objects.filter(store=store)
    assert sorted(orders.values_list("buyer_id", flat=True)) == winners
    assert sorted(Checkout.objects.values_list("buyer_id", flat=True)) == winners
    assert sorted(Redemption.objects.values_list("user_id", flat=True)) == winners
    assert sorted(OrderDiscount.objects.values_list("order__buyer_id", flat=True)) == winners
    assert all(o.discount_total_minor == 300 for o in orders)
    assert Variant.objects.get(pk=variant.pk).stock == 500 - 5
    assert sorted(CartLine.objects.values_list("user_id", flat=True)) == sorted(
        b.pk for b in buyers if b.pk not in winners
    )


def test_ord1_two_simultaneous_checkouts_of_one_cart_place_it_once():
    """ORD-1: two tabs placing the same cart at the same moment (two idempotency keys): one
    checkout gets the orders, the other finds the cart empty; the stock is taken once."""
    need_connections(2)
    store = store_make()
    variant = sellable(store, price=2_000, stock=50)
    buyer = User.objects.create(email="twotabs@example.test", password="!")
    address = Address.objects.create(
        user=buyer, first_name="Mai", last_name="Vang", line1="1 Main St", city="Saint Paul",
        postal_code="55103", country="US", phone="+1 651 555 0100", is_default=True,
    )
    CartLine.objects.create(user=buyer, variant=variant, quantity=2, price_seen_minor=2_000)

    results = race(
        [
            lambda key=key: checkout_place(buyer=buyer, address=address, idempotency_key=key, now=T0)
            for key in ("tab-1", "tab-2")
        ],
        atomic=False,
    )

    assert sorted(results) == [("ok", None), ("refused", "empty_cart")]
    assert Order.objects.filter(buyer=buyer).count() == 1
    assert Checkout.objects.filter(buyer=buyer).count() == 1
    variant.refresh_from_db()
    assert variant.stock == 48
    assert not CartLine.objects.filter(user=buyer).exists()
