"""The place path stays lean (ORD-1): cart_add and checkout_place run a fixed, small number of
SQL statements whatever the number of lines and stores, and the shipping choice they make in
one statement is the rule's: the cheapest method every product of the store order offers, with
the destination's estimate, else the rest-of-world one.

Statements are counted with an execute wrapper (it sees the lean helpers' statements on both
databases). The discounts (coupons) and the deadline rows have their own counts; they are left
out here.
"""

import datetime as dt

import pytest

from cart.models import CartLine
from cart.services import cart_add
from catalog.models import Product, Variant
from core.errors import Conflict
from orders.models import Order, OrderEvent, OrderLine
from orders.services import _shipping_for, checkout_place
from orders.states import State
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.sql import statements as sql_statements

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
OTHERS = ("coupons_", '"accounts_user"', "deadlines_")  # the discounts' and the deadlines' statements

CART_ADD_STATEMENTS = 2  # the variant read under lock; the line's upsert
PLACE_STATEMENTS = 10  # checkout, cart+variants, shipping, orders, lines, events, cart delete,
# variant stock, product total stock, catalog version


def statements():
    # Savepoints are the test's own transaction.
    return sql_statements(lambda sql: not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def own(seen: list[str]) -> list[str]:
    return [sql for sql in seen if not any(name in sql for name in OTHERS)]


def sellable(store, *, price=2500, stock=5, processing_days=7):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, price_minor=500)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(store=store, processing_days=processing_days,
                             variants=[{"price_minor": price, "stock": stock}])
    product.shipping_methods.add(method)
    return product.variants.get()


def test_ORD_1_cart_add_runs_two_statements_for_a_new_line_and_for_a_merge():
    buyer = UserFactory()
    variant = sellable(StoreFactory(), stock=9)
    with statements() as first:
        cart_add(user=buyer, variant=variant, quantity=2)
    with statements() as merge:
        line = cart_add(user=buyer, variant=variant, quantity=3)
    assert len(first) == CART_ADD_STATEMENTS, first
    assert len(merge) == CART_ADD_STATEMENTS, merge
    assert (line.quantity, line.price_seen_minor) == (5, 2500)
    assert (line.user_id, line.variant_id) == (buyer.pk, variant.pk)
    assert CartLine.objects.get(user=buyer).quantity == 5


@pytest.mark.parametrize("stores", [1, 3])
def test_ORD_1_checkout_place_statements_do_not_grow_with_lines_or_stores(stores):
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    variants = []
    for _ in range(stores):
        store = StoreFactory()
        variants += [sellable(store, price=1000), sellable(store, price=700, processing_days=12)]
    for variant in variants:
        cart_add(user=buyer, variant=variant, quantity=2)
    with statements() as seen:
        checkout = checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)
    assert len(own(seen)) <= PLACE_STATEMENTS, own(seen)
    orders = list(Order.objects.filter(checkout=checkout).order_by("store_id"))
    assert len(orders) == stores
    for order in orders:
        assert order.state == State.AWAITING_PAYMENT
        assert (order.items_total_minor, order.shipping_total_minor) == (2 * 1000 + 2 * 700, 500)
        assert order.total_minor == order.items_total_minor + 500
        assert (order.processing_days, order.delivery_max_days) == (12, 20)
        assert order.placed_at == T0 and order.buyer_id == buyer.pk
        assert OrderLine.objects.filter(order=order).count() == 2
        (event,) = OrderEvent.objects.filter(order=order)
        assert (event.kind, event.to_state, event.actor, event.actor_user_id) == (
            "placed", State.AWAITING_PAYMENT, "buyer", buyer.pk
        )
        assert (event.at, event.reason, event.data) == (T0, "Order placed", {})
    assert {v.stock for v in Variant.objects.filter(pk__in=[v.pk for v in variants])} == {3}
    assert {p.total_stock for p in Product.objects.filter(variants__in=variants)} == {3}
    assert not CartLine.objects.filter(user=buyer).exists()


def test_ORD_1_the_order_lines_keep_what_was_bought(django_assert_num_queries):
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    variant = sellable(StoreFactory(), price=1200, processing_days=4)
    variant.options = {"Size": "M", "Colour": "Indigo"}
    variant.save()
    cart_add(user=buyer, variant=variant, quantity=3)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)
    with django_assert_num_queries(0):
        assert checkout.buyer == buyer  # known, not read again
    line = OrderLine.objects.get(order__checkout=checkout)
    assert (line.variant_id, line.product_title, line.variant_label) == (
        variant.pk, variant.product.title, "Colour: Indigo, Size: M"
    )
    assert (line.unit_price_minor, line.quantity, line.processing_days) == (1200, 3, 4)


def _method(store, price, *estimates):
    method = ShippingMethodFactory(store=store, price_minor=price)
    for country, days in estimates:
        DeliveryEstimateFactory(method=method, country=country, min_days=1, max_days=days)
    return method


def test_ORD_1_the_shipping_choice_is_the_cheapest_method_every_product_offers():
    store, other_store = StoreFactory(), StoreFactory()
    cheap = _method(store, 100, ("", 30))
    middle = _method(store, 300, ("FR", 6), ("", 25))
    dear = _method(store, 900, ("FR", 3))
    elsewhere = _method(other_store, 50, ("", 9))
    free = ProductFactory(store=store)  # no methods chosen: any method of its store
    picky = ProductFactory(store=store)
    picky.shipping_methods.add(middle, dear)
    pickier = ProductFactory(store=store)
    pickier.shipping_methods.add(dear)

    method, estimate = _shipping_for(store, [free], "FR")
    assert (method, estimate.max_days) == (cheap, 30)  # the rest-of-world estimate
    method, estimate = _shipping_for(store, [free, picky], "FR")
    assert (method, estimate.country, estimate.max_days) == (middle, "FR", 6)  # the country's own
    method, estimate = _shipping_for(store, [free, picky], "DE")
    assert (method, estimate.max_days) == (middle, 25)
    assert _shipping_for(store, [picky, pickier], "FR")[0] == dear
    assert _shipping_for(store, [picky, pickier], "DE") is None  # dear has no estimate for DE
    lost = ProductFactory(store=store)
    lost.shipping_methods.add(elsewhere)  # only another store's method: nothing common
    assert _shipping_for(store, [free, lost], "FR") is None
    assert _shipping_for(other_store, [ProductFactory(store=other_store)], "FR")[0] == elsewhere


def test_ORD_1_a_store_that_cannot_deliver_places_nothing():
    buyer = UserFactory()
    address = AddressFactory(user=buyer, country="FR")
    store = StoreFactory()
    product = ProductFactory(store=store, variants=[{"price_minor": 1000, "stock": 5}])
    product.shipping_methods.add(_method(store, 100, ("US", 5)))
    cart_add(user=buyer, variant=product.variants.get(), quantity=1)
    with pytest.raises(Conflict) as refused:
        checkout_place(buyer=buyer, address=address, idempotency_key="k", now=T0)
    assert refused.value.code == "no_delivery"
    assert refused.value.fields == {"address_id": [f"{store.name} does not deliver there."]}
    assert not Order.objects.exists() and CartLine.objects.filter(user=buyer).count() == 1
