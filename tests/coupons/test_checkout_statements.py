"""The coupon path of a checkout stays lean (CPN-5, CPN-7, CPN-8, ORD-8), on SQLite and PostgreSQL.

Counted here: the SQL statements the coupon code itself runs (coupons.services / coupons.selectors
are the innermost project frames issuing them; the ledger's statements under
order_capture_with_discounts are the ledger's), through connection.execute_wrapper, which sees
the ORM's statements and the hand-written ones of deadlines.rows alike.

checkout_place → checkout_discounts_apply: the offers with their product/category lists and the
buyer's row lock (1), the buyer's uses and wallet (1), the orders' totals (1), the OrderDiscount,
LineDiscount and Redemption INSERTs (3), the promotions' stock (1, last) — however many store
orders. checkout_pay: the paid order's coupon facts (platform-funded amount and the ORD-8 A
check) in one statement. What they write is checked in test_checkout.py; the values are
checked here too, so a lean statement cannot drift from what the ORM wrote.
"""

import os
import sys

import pytest
from django.db.models import Sum

from core.errors import DomainError
from coupons.models import CollectedCoupon, Kind, LineDiscount, OrderDiscount, Promotion, Redemption
from coupons.services import coupon_reused, platform_funded_minor
from ledger.models import Account
from orders.models import Order
from orders.services import checkout_pay, checkout_place
from orders.states import State
from payments.providers.simulated import SUCCESS_TOKEN
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make
from tests.sql import statements

pytestmark = pytest.mark.django_db

_SRC = os.sep + "src" + os.sep
_HELPERS = (os.path.join("deadlines", "rows.py"),)
_COUPONS = (os.path.join("coupons", "services.py"), os.path.join("coupons", "selectors.py"))


def _issuer() -> str:
    """The innermost project file (not the lean-SQL helpers) on the stack: who runs the statement."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if _SRC in name and not name.endswith(_HELPERS):
            return name
        frame = frame.f_back
    return ""


def coupon_statements():
    """Collects the SQL run by the coupon code inside the block."""
    return statements(lambda sql: _issuer().endswith(_COUPONS))


def place(buyer, address, key="k1", **kw):
    return checkout_place(buyer=buyer, address=address, idempotency_key=key, now=T0, **kw)


def pay(checkout, key="p1"):
    return checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=key, now=T0)


def test_cpn8_checkout_with_a_store_and_a_platform_coupon_runs_seven_coupon_statements():
    store = store_make()
    v1, v2 = sellable(store, price=3_000), sellable(store, price=7_000)
    buyer, address = buyer_make()
    cart_add(buyer, v1, v2)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=1_000, collect_for=buyer)
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=850, collect_for=buyer, total_stock=9)
    with coupon_statements() as sqls:
        checkout = place(buyer, address)
    assert len(sqls) == 7, sqls
    assert "coupons_promotion" in sqls[0] and "accounts_user" in sqls[0]  # offers + buyer's lock
    assert sqls[-1].startswith('UPDATE "coupons_promotion"')  # the stock, last (CPN-8)
    order = Order.objects.get(checkout=checkout)
    assert (order.discount_total_minor, order.total_minor) == (1_850, 10_500 - 1_850)
    discounts = {d.promotion_id: d for d in OrderDiscount.objects.filter(order=order)}
    assert {pid: (d.amount_minor, d.funder, d.kind, d.title) for pid, d in discounts.items()} == {
        coupon.pk: (1_000, "seller", "store_coupon", coupon.title),
        platform.pk: (850, "platform", "platform_coupon", platform.title),
    }
    for d in discounts.values():  # CPN-7: the lines carry each discount exactly
        assert LineDiscount.objects.filter(order_discount=d).aggregate(s=Sum("amount_minor"))["s"] == (
            d.amount_minor
        )
        assert LineDiscount.objects.filter(order_discount=d).count() == 2
    uses = Redemption.objects.filter(user=buyer).order_by("promotion_id").values_list(
        "promotion_id", "order_id", "checkout_id", "amount_minor", "status", "created_at"
    )
    assert list(uses) == [
        (coupon.pk, order.pk, checkout.pk, 1_000, "active", T0),
        (platform.pk, order.pk, checkout.pk, 850, "active", T0),
    ]
    assert Promotion.objects.get(pk=platform.pk).redeemed_count == 1

    # ORD-8 A and CPN-7 at payment: one statement.
    with coupon_statements() as sqls:
        pay(checkout)
    assert len(sqls) == 1, sqls
    order.refresh_from_db()
    assert order.state == State.AWAITING_SHIPMENT
    escrow = Account.objects.get(kind="order_escrow", order=order)
    assert escrow.balance_minor == order.total_minor + 850  # the platform's share paid in


def test_cpn7_a_platform_coupon_over_two_store_orders_still_takes_seven_statements():
    a, b = store_make(), store_make()
    buyer, address = buyer_make()
    cart_add(buyer, sellable(a, price=1_000), sellable(b, price=3_000))
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=400, collect_for=buyer)
    instant = promotion_make(Kind.STORE_INSTANT, store=b, amount_minor=200)
    with coupon_statements() as sqls:
        checkout = place(buyer, address)
    assert len(sqls) == 7, sqls
    first, second = Order.objects.filter(checkout=checkout).order_by("pk")
    # CPN-7: the platform's 400 pro rata over 1 000 and 2 800 (after the instant 200): 105 / 295.
    assert (first.discount_total_minor, second.discount_total_minor) == (105, 200 + 295)
    assert (first.total_minor, second.total_minor) == (1_500 - 105, 3_500 - 495)
    use = Redemption.objects.get(promotion=platform)
    assert (use.order_id, use.amount_minor) == (first.pk, 400)  # on its first order, summed
    assert Redemption.objects.get(promotion=instant).order_id == second.pk
    assert Promotion.objects.get(pk=platform.pk).redeemed_count == 1


def test_cpn5_checkout_without_any_offer_reads_once_and_writes_nothing():
    store = store_make()
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=3_000))
    promotion_make(Kind.STORE_COUPON, store=store_make(), collect_for=buyer)  # another store's
    with coupon_statements() as sqls:
        checkout = place(buyer, address)
    assert len(sqls) == 1, sqls
    order = Order.objects.get(checkout=checkout)
    assert (order.discount_total_minor, order.total_minor) == (0, 3_500)
    with coupon_statements() as sqls:
        pay(checkout)
    assert sqls == []  # no discount: no coupon check at payment
    assert not OrderDiscount.objects.exists() and not Redemption.objects.exists()


def test_ORD_8_coupon_reused_counts_other_paid_active_uses_of_other_checkouts_against_the_limit():
    # RULE ORD-8 (A): the same answers as the query it replaced, case by case.
    store = store_make()
    variant = sellable(store, price=3_000)
    buyer, address = buyer_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, per_user_limit=3, collect_for=buyer)
    checkouts = []
    for n in range(3):
        cart_add(buyer, variant)
        checkouts.append(place(buyer, address, key=f"k{n}"))
    first, second, third = (Order.objects.get(checkout=c) for c in checkouts)

    def reused(order):
        fresh = Order.objects.get(pk=order.pk)  # the answer is kept per instance
        return coupon_reused(fresh)

    assert not reused(third)  # no other use is paid
    Order.objects.filter(pk__in=[first.pk, second.pk]).update(paid_at=T0)
    assert not reused(third)  # two paid uses, limit 3
    Promotion.objects.filter(pk=coupon.pk).update(per_user_limit=2)
    assert reused(third)  # two paid uses, limit 2
    assert not reused(first)  # its own use does not count: one other paid use
    Redemption.objects.filter(order=second).update(status="returned")
    assert not reused(third)  # a given-back use does not count
    Redemption.objects.filter(order=second).update(status="active", checkout=checkouts[2])
    assert not reused(third)  # a use of the same checkout does not count
    Redemption.objects.filter(order=second).update(checkout=None)
    assert reused(third)  # a use without a checkout counts
    assert platform_funded_minor(Order.objects.get(pk=third.pk)) == 0  # a seller-funded coupon


def test_cpn8_checkout_refuses_a_coupon_at_its_per_user_limit_and_applies_it_below():
    # RULE CPN-8: the uses are counted (only where the limit can be reached, all that decides).
    store = store_make()
    variant = sellable(store, price=3_000)
    buyer, address = buyer_make()
    other, other_address = buyer_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=500, per_user_limit=2)
    for who in (buyer, other):
        CollectedCoupon.objects.create(user=who, promotion=coupon, collected_at=T0)
    cart_add(other, variant)
    place(other, other_address, key="o1")  # another buyer's use: counts in the stock, not for us
    for n in range(2):
        cart_add(buyer, variant)
        order = Order.objects.get(checkout=place(buyer, address, key=f"k{n}", promotion_ids=[coupon.pk]))
        assert order.discount_total_minor == 500
    cart_add(buyer, variant)
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, key="k2", promotion_ids=[coupon.pk])
    assert excinfo.value.code == "per_user_limit_reached"
    order = Order.objects.get(checkout=place(buyer, address, key="k3"))  # the best without it
    assert order.discount_total_minor == 0
    assert Redemption.objects.filter(promotion=coupon, user=buyer).count() == 2
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 3
