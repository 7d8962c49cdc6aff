"""Coupons through the real checkout (CPN-3, CPN-5, CPN-6, CPN-7, CPN-8, ORD-8, PAY-4):
discounts written per order and line, totals, redemption counts, give-back of unpaid orders,
the security review of a reused coupon, and who funds what in the ledger."""

import datetime as dt

import pytest
from django.db.models import Sum

from cart.models import CartLine
from catalog.models import Product
from core.errors import DomainError
from coupons.models import Kind, LineDiscount, OrderDiscount, Promotion, Redemption, RefundCouponUse
from ledger.models import Account
from orders.models import Order
from orders.services import checkout_pay, checkout_place, order_cancel_unpaid, order_close
from orders.states import Actor, CloseReason, State
from payments.models import Refund, RefundCoupon
from payments.providers.simulated import SUCCESS_TOKEN
from payments.services import refund_order_amount
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make

pytestmark = pytest.mark.django_db


def place(buyer, address, key="k1", **kw):
    return checkout_place(buyer=buyer, address=address, idempotency_key=key, now=T0, **kw)


def pay(checkout, key="p1"):
    return checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=key, now=T0)


def balance(kind, **owner):
    account = Account.objects.filter(kind=kind, **owner).first()
    return account.balance_minor if account else 0


@pytest.fixture
def shop(db):
    store = store_make()
    return store, sellable(store, price=3_000), sellable(store, price=7_000)


def test_cpn5_checkout_applies_the_best_combination_and_writes_every_part(shop):
    store, v1, v2 = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1, v2)  # 10 000 of items, 500 shipping
    instant = promotion_make(Kind.STORE_INSTANT, store=store, percent_bp=500)  # 500
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=1_000, collect_for=buyer)
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=850, collect_for=buyer)
    checkout = place(buyer, address)
    order = Order.objects.get(checkout=checkout)
    assert order.items_total_minor == 10_000
    assert order.discount_total_minor == 500 + 1_000 + 850
    assert order.total_minor == 10_000 + 500 - 2_350
    by_promotion = dict(OrderDiscount.objects.filter(order=order).values_list("promotion_id", "amount_minor"))
    assert by_promotion == {instant.pk: 500, coupon.pk: 1_000, platform.pk: 850}
    for discount in OrderDiscount.objects.filter(order=order):  # CPN-7: the lines carry it exactly
        assert discount.lines.aggregate(s=Sum("amount_minor"))["s"] == discount.amount_minor
    assert OrderDiscount.objects.get(promotion=platform).funder == "platform"
    assert OrderDiscount.objects.get(promotion=coupon).funder == "seller"
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1
    assert Redemption.objects.filter(user=buyer, status="active").count() == 3


def test_cpn3_store_code_chosen_by_the_buyer_excludes_the_platform_coupon(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    code = promotion_make(Kind.STORE_CODE, store=store, code="SPRING10", amount_minor=300)
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=200, collect_for=buyer)
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, promotion_ids=[code.pk, platform.pk], codes=[" spring 10 "])
    assert excinfo.value.code == "cannot_combine"  # CPN-3/CPN-6: no order left for the platform coupon
    assert not Order.objects.exists()
    checkout = place(buyer, address, promotion_ids=[code.pk], codes=["spring10"])
    order = Order.objects.get(checkout=checkout)
    assert order.discount_total_minor == 300


def test_cpn6_unknown_code_refuses_the_checkout_and_changes_nothing(shop):
    _, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, codes=["NOPE-123"])
    assert excinfo.value.code == "unknown_code"
    assert not Order.objects.exists()
    assert CartLine.objects.filter(user=buyer).count() == 1


def test_cpn6_min_spend_refusal_at_checkout_says_how_much_more(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, min_spend_minor=3_001, collect_for=buyer)
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, promotion_ids=[coupon.pk])
    assert excinfo.value.code == "min_spend_not_met" and "$0.01" in excinfo.value.message
    assert excinfo.value.fields["promotion_ids"]


def test_cpn8_cancelled_unpaid_order_gives_the_coupon_back(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=1, collect_for=buyer)
    order = Order.objects.get(checkout=place(buyer, address))
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1
    order_cancel_unpaid(order=order, buyer=buyer, now=T0 + dt.timedelta(minutes=5))
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 0
    assert Redemption.objects.get(promotion=coupon).status == "returned"
    cart_add(buyer, v1)  # usable again
    again = Order.objects.get(checkout=place(buyer, address, key="k2"))
    assert again.discount_total_minor == 300


def test_cpn8_paid_order_closed_later_keeps_the_coupon_used(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=5, collect_for=buyer)
    checkout = place(buyer, address)
    pay(checkout)
    order = Order.objects.get(checkout=checkout)
    order_close(order=order, actor=Actor.SYSTEM, close_reason=CloseReason.SELLER_SHIP_TIMEOUT, now=T0)
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1
    assert Redemption.objects.get(promotion=coupon).status == "active"


def test_cpn8_platform_coupon_comes_back_when_the_last_of_its_orders_closes_unpaid():
    buyer, address = buyer_make()
    a, b = store_make(), store_make()
    cart_add(buyer, sellable(a, price=1_000), sellable(b, price=3_000))
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=400, collect_for=buyer)
    checkout = place(buyer, address)
    first, second = Order.objects.filter(checkout=checkout).order_by("pk")
    assert (first.discount_total_minor, second.discount_total_minor) == (100, 300)  # CPN-7 pro rata
    order_cancel_unpaid(order=first, buyer=buyer, now=T0)
    assert Promotion.objects.get(pk=platform.pk).redeemed_count == 1
    order_cancel_unpaid(order=second, buyer=buyer, now=T0)
    assert Promotion.objects.get(pk=platform.pk).redeemed_count == 0


def test_ORD_8_order_paid_with_a_coupon_already_used_on_another_paid_order_is_closed_and_refunded(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    coupon = promotion_make(Kind.STORE_COUPON, store=store, per_user_limit=2, collect_for=buyer)
    cart_add(buyer, v1)
    first = place(buyer, address, key="k1")
    pay(first, "p1")
    cart_add(buyer, v1)
    second = place(buyer, address, key="k2")
    # The limit was lowered after the second checkout (or the use slipped past it): the review catches it.
    Promotion.objects.filter(pk=coupon.pk).update(per_user_limit=1)
    pay(second, "p2")
    reviewed = Order.objects.get(checkout=second)
    assert reviewed.state == State.CLOSED
    assert reviewed.close_reason == CloseReason.SECURITY_COUPON_REUSE
    assert Refund.objects.filter(order=reviewed).aggregate(s=Sum("amount_minor"))["s"] == reviewed.total_minor
    assert Order.objects.get(checkout=first).state == State.AWAITING_SHIPMENT


def test_ORD_8_first_use_is_not_closed(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    promotion_make(Kind.STORE_COUPON, store=store, collect_for=buyer)
    cart_add(buyer, v1)
    checkout = place(buyer, address)
    pay(checkout)
    assert Order.objects.get(checkout=checkout).state == State.AWAITING_SHIPMENT


def test_cpn7_platform_funded_discount_enters_escrow_and_a_partial_refund_returns_its_share(shop):
    store, v1, v2 = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1, v2)  # 10 000 + 500 shipping
    promotion_make(Kind.STORE_COUPON, store=store, amount_minor=1_000, collect_for=buyer)  # seller-funded
    promotion_make(Kind.PLATFORM_COUPON, amount_minor=1_900, collect_for=buyer)  # platform-funded
    checkout = place(buyer, address)
    pay(checkout)
    order = Order.objects.get(checkout=checkout)
    assert order.total_minor == 10_500 - 2_900 == 7_600
    escrow = Account.objects.get(kind="order_escrow", order=order)
    assert escrow.balance_minor == 7_600 + 1_900  # the buyer's payment plus the platform's share
    assert balance("platform_discounts") == -1_900
    refund_order_amount(order=order, amount_minor=3_800, reason="Half back", event_key="half", now=T0)
    escrow.refresh_from_db()
    assert balance("platform_discounts") == -1_900 + 950  # half of the platform's 1 900 back
    assert escrow.balance_minor == 9_500 - 3_800 - 950
    refund_order_amount(order=order, amount_minor=3_800, reason="The rest", event_key="rest", now=T0)
    escrow.refresh_from_db()
    assert escrow.balance_minor == 0 and balance("platform_discounts") == 0


def test_cpn7_seller_funded_discount_only_lowers_what_the_buyer_pays(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    promotion_make(Kind.STORE_INSTANT, store=store, amount_minor=500)
    checkout = place(buyer, address)
    pay(checkout)
    order = Order.objects.get(checkout=checkout)
    assert Account.objects.get(kind="order_escrow", order=order).balance_minor == 3_000 + 500 - 500
    assert balance("platform_discounts") == 0


def test_pay4_cod_refund_coupon_is_spendable_at_checkout(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    paid = Order.objects.get(checkout=place(buyer, address, key="old"))
    refund = Refund.objects.create(
        order=paid,
        amount_minor=1_200,
        currency="USD",
        destination="coupon",
        reason="COD refund",
        idempotency_key="cod-1",
        created_at=T0,
    )
    coupon = RefundCoupon.objects.create(
        refund=refund, owner=buyer, code="RF-TEST", amount_minor=1_200, currency="USD", created_at=T0
    )
    cart_add(buyer, v1)
    order = Order.objects.get(checkout=place(buyer, address, key="new", use_refund_coupons=True))
    assert order.discount_total_minor == 1_200
    assert OrderDiscount.objects.get(order=order).refund_coupon == coupon
    assert OrderDiscount.objects.get(order=order).funder == "platform"
    assert RefundCouponUse.objects.get(refund_coupon=coupon).amount_minor == 1_200
    cart_add(buyer, v1)
    third = Order.objects.get(checkout=place(buyer, address, key="third", use_refund_coupons=True))
    assert third.discount_total_minor == 0  # spent
    order_cancel_unpaid(order=order, buyer=buyer, now=T0)
    assert RefundCouponUse.objects.get(refund_coupon=coupon).status == "returned"


def test_cpn8_checkout_without_any_coupon_changes_nothing(shop):
    _, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    order = Order.objects.get(checkout=place(buyer, address))
    assert (order.discount_total_minor, order.total_minor) == (0, 3_500)
    assert not OrderDiscount.objects.exists() and not LineDiscount.objects.exists()


def test_cpn8_order_closed_by_the_payment_window_gives_the_coupon_back_one_second_after(shop):
    from deadlines.models import Deadline
    from deadlines.worker import deadlines_fire_due

    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, total_stock=1, collect_for=buyer)
    order = Order.objects.get(checkout=place(buyer, address))
    due = Deadline.objects.get(subject_id=order.pk, kind="payment_window").due_at
    deadlines_fire_due(now=due - dt.timedelta(seconds=1))
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 1
    deadlines_fire_due(now=due + dt.timedelta(seconds=1))
    order.refresh_from_db()
    assert order.state == State.CLOSED
    assert Promotion.objects.get(pk=coupon.pk).redeemed_count == 0
    assert Redemption.objects.get(promotion=coupon).status == "returned"


def test_cpn7_seller_is_released_the_undiscounted_amount_of_a_platform_discount_minus_commission(shop):
    from ledger.services import commission_of, ledger_release_order

    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)  # 3 000 + 500 shipping
    promotion_make(Kind.PLATFORM_COUPON, amount_minor=700, collect_for=buyer)
    checkout = place(buyer, address)
    pay(checkout)
    order = Order.objects.get(checkout=checkout)
    assert order.total_minor == 2_800
    ledger_release_order(order=order, now=T0 + dt.timedelta(days=60))
    assert balance("seller_available", store=store) == 3_500 - commission_of(3_500)
    assert balance("platform_discounts") == -700


def test_cpn6_a_typed_code_that_applies_nowhere_refuses_the_checkout_with_its_reason(shop):
    store, v1, _ = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1)
    promotion_make(Kind.STORE_CODE, store=store, code="BIGSPEND", min_spend_minor=3_001)
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, codes=["bigspend"])
    assert excinfo.value.code == "min_spend_not_met" and excinfo.value.fields["codes"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("amount", [1_000, 999, 7])
def test_cpn7_a_fixed_platform_coupon_across_currencies_sums_exactly_in_its_own_currency(amount):
    """CPN-7: a fixed platform coupon over a USD, a EUR and a VND store order is allocated in its
    own currency (the parts sum exactly to what it gave); each order gets its part converted."""
    from core.money import Money, convert

    stores = [store_make(currency=c) for c in ("USD", "EUR", "VND")]
    prices = (3_000, 2_000, 500_000)  # $30, €20, ₫500,000
    variants = [sellable(store, price=price) for store, price in zip(stores, prices, strict=True)]
    for variant, store in zip(variants, stores, strict=True):  # priced in the store's currency
        Product.objects.filter(pk=variant.product_id).update(currency=store.currency)
    buyer, address = buyer_make()
    cart_add(buyer, *variants)
    platform = promotion_make(Kind.PLATFORM_COUPON, amount_minor=amount, currency="USD", collect_for=buyer)

    checkout = place(buyer, address)

    discounts = list(OrderDiscount.objects.filter(promotion=platform).select_related("order"))
    redemption = Redemption.objects.get(promotion=platform)
    assert redemption.currency == "USD"
    assert sum(d.source_amount_minor for d in discounts) == redemption.amount_minor == amount
    for d in discounts:  # each order's part, converted once into the order's currency
        assert d.amount_minor == convert(Money(d.source_amount_minor, "USD"), d.order.currency).amount
        assert d.order.discount_total_minor == d.amount_minor
    if amount >= 100:  # a few cents may leave an order no part at all
        assert {d.order.currency for d in discounts} == {"USD", "EUR", "VND"}
    assert checkout.orders.count() == 3


def test_cpn7_store_discounts_keep_one_amount_in_their_own_currency(shop):
    store, v1, v2 = shop
    buyer, address = buyer_make()
    cart_add(buyer, v1, v2)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=1_000, collect_for=buyer)
    place(buyer, address)
    discount = OrderDiscount.objects.get(promotion=coupon)
    assert discount.source_amount_minor == discount.amount_minor == 1_000
    redemption = Redemption.objects.get(promotion=coupon)
    assert (redemption.amount_minor, redemption.currency) == (1_000, store.currency)
