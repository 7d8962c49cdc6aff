"""CPN-8 on PostgreSQL: redemption is exact under concurrency (row locks cannot be proven on SQLite).

How the load is made, honestly: a pool of 50 threads, each with its own database connection,
works through 1,000 redemption attempts (not 1,000 simultaneous connections: PostgreSQL's
connection limit and the two shared cores would make that a test of the machine). Each
attempt is one transaction running `coupons.services.redemption_take`, the very function the
checkout calls for every promotion it applies: lock the buyer's row, take a unit of stock with
a conditional UPDATE, check the per-user limit, record the use. Orders are made up front in
bulk, so the race is only about the coupon. A smaller race then goes through the whole
`orders.services.checkout_place`.
"""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from accounts.models import Address, User
from cart.models import CartLine
from core.errors import DomainError
from coupons.models import Kind, Promotion, Redemption
from coupons.services import redemption_take
from orders.models import Order
from orders.services import checkout_place
from tests.coupons.factories import T0, promotion_make, sellable, store_make

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions are proven on PostgreSQL only")


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


def hammer(attempts, workers=50):
    """Run each attempt in its own transaction on a pool of threads; ("ok", …) or ("refused", code)."""

    def run(call):
        try:
            with transaction.atomic():
                call()
            return ("ok", None)
        except DomainError as exc:
            return ("refused", exc.code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, attempts))


def test_cpn8_1000_concurrent_redemptions_of_stock_10_exactly_10_succeed():
    store = store_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=10)
    buyers = users(1000, "race")
    orders = orders_for(store, buyers)
    attempts = [
        (lambda b=b, o=o: redemption_take(promotion_id=coupon.pk, user=b, order=o, now=T0, amount_minor=100))
        for b, o in zip(buyers, orders, strict=True)
    ]
    results = hammer(attempts)
    assert sum(1 for r in results if r[0] == "ok") == 10
    assert [r for r in results if r[0] != "ok"] == [("refused", "out_of_stock")] * 990
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 10 and coupon.stock_left == 0
    assert Redemption.objects.filter(promotion=coupon).count() == 10


def test_cpn8_one_user_racing_200_times_against_a_limit_of_1_gets_exactly_one():
    store = store_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, per_user_limit=1)
    (buyer,) = users(1, "solo")
    orders = orders_for(store, [buyer] * 200)
    attempts = [
        (lambda o=o: redemption_take(promotion_id=coupon.pk, user=buyer, order=o, now=T0, amount_minor=100))
        for o in orders
    ]
    results = hammer(attempts)
    assert sum(1 for r in results if r[0] == "ok") == 1
    assert [r for r in results if r[0] != "ok"] == [("refused", "already_used")] * 199
    assert Redemption.objects.filter(promotion=coupon, user=buyer).count() == 1
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1


def test_cpn8_whole_checkouts_racing_for_a_coupon_of_stock_5():
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
    from coupons.models import CollectedCoupon

    CollectedCoupon.objects.bulk_create(
        CollectedCoupon(user=b, promotion=coupon, collected_at=T0 - dt.timedelta(hours=1)) for b in buyers
    )

    def attempt(b):
        address = Address.objects.get(user=b)
        return lambda: checkout_place(
            buyer=b, address=address, idempotency_key="k", now=T0, promotion_ids=[coupon.pk]
        )

    results = hammer([attempt(b) for b in buyers], workers=20)
    assert sum(1 for r in results if r[0] == "ok") == 5
    assert {r[1] for r in results if r[0] != "ok"} == {"out_of_stock"}
    assert Order.objects.filter(store=store).count() == 5
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 5
