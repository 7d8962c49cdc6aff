"""Bad input at the model level (CPN-1, CPN-2, CPN-8): the database itself refuses a percentage
over 100, an end before the start, stock below what was redeemed, a code on a kind without
codes, a store kind without a store; promo codes are normalised. Also: the order page shows
the saving per source (CPN-5)."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from coupons.models import Kind, Promotion
from coupons.selectors import code_normalise, code_problem
from orders.models import Order
from orders.services import checkout_place
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    return store_make()


def refused(**kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        promotion_make(**kwargs)


def test_cpn2_percent_over_100_and_zero_are_refused(store):
    refused(kind=Kind.STORE_COUPON, store=store, percent_bp=10_001)
    refused(kind=Kind.STORE_COUPON, store=store, percent_bp=0)
    assert promotion_make(Kind.STORE_COUPON, store=store, percent_bp=10_000).percent_bp == 10_000


def test_cpn2_exactly_one_benefit(store):
    refused(kind=Kind.STORE_COUPON, store=store, percent_bp=1000, amount_minor=100)
    refused(kind=Kind.STORE_COUPON, store=store, percent_bp=None, amount_minor=0)


def test_cpn2_end_before_or_at_start_is_refused(store):
    refused(kind=Kind.STORE_COUPON, store=store, starts_at=T0, ends_at=T0)
    refused(kind=Kind.STORE_COUPON, store=store, starts_at=T0, ends_at=T0 - dt.timedelta(seconds=1))


def test_cpn8_stock_below_redeemed_is_refused(store):
    promotion = promotion_make(Kind.STORE_COUPON, store=store, total_stock=3)
    Promotion.objects.filter(pk=promotion.pk).update(redeemed_count=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.filter(pk=promotion.pk).update(total_stock=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.filter(pk=promotion.pk).update(redeemed_count=4)


def test_cpn1_kind_decides_store_and_code(store):
    refused(kind=Kind.STORE_COUPON, store=None)  # a store kind needs its store
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.create(
            kind=Kind.PLATFORM_COUPON,
            store=store,
            title="x",
            percent_bp=100,
            currency="USD",
            starts_at=T0,
            ends_at=T0 + dt.timedelta(days=1),
            created_at=T0,
            updated_at=T0,
        )
    refused(kind=Kind.STORE_COUPON, store=store, code="NOPE")  # only code kinds carry a code
    refused(kind=Kind.STORE_CODE, store=store, code="")


def test_cpn2_live_codes_are_unique_per_scope(store):
    promotion_make(Kind.STORE_CODE, store=store, code="SAME")
    refused(kind=Kind.STORE_CODE, store=store, code="SAME")
    assert promotion_make(Kind.STORE_CODE, store=store_make(), code="SAME")  # another store: fine
    promotion_make(Kind.PLATFORM_CODE, code="SAME")
    refused(kind=Kind.PLATFORM_CODE, code="SAME")


def test_cpn2_codes_are_normalised_and_checked():
    assert code_normalise("  spring 10\t") == "SPRING10"
    assert code_normalise(None) == ""
    assert code_problem("SPRING10") is None
    assert code_problem("") and code_problem("AB") and code_problem("ÉTÉ10") and code_problem("A" * 33)


def test_cpn5_order_page_shows_each_discount(store):
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=3_000))
    promotion_make(Kind.STORE_INSTANT, store=store, amount_minor=250, title="Spring sale")
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)
    order = Order.objects.get(checkout=checkout)
    client = Client()
    client.force_login(buyer)
    with time_machine.travel(T0, tick=False):
        page = client.get(f"/orders/{order.number}/")
    assert page.status_code == 200
    assert "Spring sale" in page.content.decode() and "−$2.50" in page.content.decode()
