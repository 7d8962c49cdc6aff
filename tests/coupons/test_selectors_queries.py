"""The coupon reads of a checkout, each in one statement (CPN-5, CPN-8): what they return is
exactly what the separate queries returned before (perf pass 2, bench/README.md)."""

import pytest

from coupons import selectors
from coupons.models import Kind
from orders.services import checkout_place
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_cpn8_buyer_facts_reads_uses_and_wallet_in_one_statement(django_assert_num_queries):
    store = store_make()
    variant = sellable(store, price=5_000)
    buyer, address = buyer_make()
    other, _ = buyer_make()
    used = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=500, collect_for=buyer)
    held = promotion_make(Kind.PLATFORM_COUPON, amount_minor=10_000_000, min_spend_minor=10_000_000,
                          collect_for=buyer)  # collected, never applicable: not used
    others = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=100, collect_for=other)
    cart_add(buyer, variant)
    checkout_place(buyer=buyer, address=address, idempotency_key="q1", now=T0)  # redeems `used`
    ids = [used.pk, held.pk, others.pk]
    with django_assert_num_queries(1):
        facts = selectors.buyer_facts(user=buyer, promotion_ids=ids, offers=[])
    assert dict(facts.used) == {used.pk: 1}
    assert facts.collected == frozenset({used.pk, held.pk})
    assert selectors.buyer_facts(user=other, promotion_ids=ids, offers=[]).collected == frozenset({others.pk})
    assert selectors.buyer_facts(user=buyer, promotion_ids=[], offers=[]).used == {}


def test_cpn5_offers_read_their_products_and_categories_in_one_statement(django_assert_num_queries):
    store = store_make()
    first, second = sellable(store), sellable(store)
    category = CategoryFactory()
    both = promotion_make(Kind.STORE_COUPON, store=store, products=[first.product, second.product],
                          categories=[category])
    products_only = promotion_make(Kind.STORE_COUPON, store=store, products=[first.product])
    anything = promotion_make(Kind.STORE_INSTANT, store=store)
    with django_assert_num_queries(1):
        offers = {o.id: o for o in selectors._offers([both, products_only, anything])}
    assert offers[both.pk].product_ids == frozenset({first.product.pk, second.product.pk})
    assert offers[both.pk].category_ids == frozenset({category.pk})
    assert offers[products_only.pk].product_ids == frozenset({first.product.pk})
    assert offers[products_only.pk].category_ids == frozenset()
    assert offers[anything.pk].product_ids == frozenset() == offers[anything.pk].category_ids
    with django_assert_num_queries(0):
        assert selectors._offers([]) == []
