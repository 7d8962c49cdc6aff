"""Minimal cart: services and the grouped summary (prepares ORD-1; RULE WSH-1 moves into it)."""

import pytest

from cart.models import CartLine
from cart.selectors import cart_count, cart_summary
from cart.services import cart_add, cart_remove, cart_update_quantity
from core.errors import DomainError, NotFound
from tests.factories import StoreFactory, UserFactory, VariantFactory
from tests.wishlist.helpers import make_product, make_sized_product, set_price, set_stock

pytestmark = pytest.mark.django_db


def variant_of(product):
    return product.variants.order_by("position").first()


def test_cart_add_records_the_price_seen_and_merges():
    user = UserFactory()
    variant = variant_of(make_product(price=2500, stock=5))
    line = cart_add(user=user, variant=variant, quantity=2)
    assert (line.quantity, line.price_seen_minor) == (2, 2500)
    variant.price_minor = 2700
    variant.save()
    line = cart_add(user=user, variant=variant, quantity=3)
    assert (line.quantity, line.price_seen_minor) == (5, 2700)
    assert CartLine.objects.filter(user=user).count() == 1
    assert cart_count(user=user) == 5


def test_cart_add_cannot_exceed_the_stock():
    user = UserFactory()
    variant = variant_of(make_product(stock=3))
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=variant, quantity=4)
    assert exc.value.code == "not_enough_stock"
    assert exc.value.message == "Only 3 left."
    cart_add(user=user, variant=variant, quantity=2)
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=variant, quantity=2)
    assert exc.value.message == "Only 3 left, and 2 already in your cart."
    cart_add(user=user, variant=variant, quantity=1)
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=variant, quantity=1)
    assert "already have them all" in exc.value.message
    assert CartLine.objects.get(user=user).quantity == 3


@pytest.mark.parametrize("quantity", [0, -1, 1000, "2", 1.0, True, None])
def test_cart_add_refuses_bad_quantities(quantity):
    user = UserFactory()
    variant = variant_of(make_product(stock=2000))
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=variant, quantity=quantity)
    assert exc.value.code == "invalid_quantity"
    assert "quantity" in exc.value.fields
    assert not CartLine.objects.exists()


def test_cart_line_never_holds_more_than_999():
    user = UserFactory()
    variant = variant_of(make_product(stock=5000))
    cart_add(user=user, variant=variant, quantity=999)
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=variant, quantity=1)
    assert exc.value.code == "invalid_quantity"


def test_cart_add_refuses_what_is_not_sold():
    user = UserFactory()
    inactive_variant = VariantFactory(is_active=False, stock=5)
    inactive_product = variant_of(make_product(is_active=False))
    closed_store = variant_of(make_product(store=StoreFactory(is_active=False)))
    for variant in (inactive_variant, inactive_product, closed_store):
        with pytest.raises(DomainError) as exc:
            cart_add(user=user, variant=variant, quantity=1)
        assert exc.value.code == "unavailable"
    sold_out = variant_of(make_product(stock=0))
    with pytest.raises(DomainError) as exc:
        cart_add(user=user, variant=sold_out, quantity=1)
    assert exc.value.code == "out_of_stock"
    assert not CartLine.objects.exists()


def test_cart_update_quantity():
    user = UserFactory()
    variant = variant_of(make_product(stock=4))
    line = cart_add(user=user, variant=variant, quantity=1)
    assert cart_update_quantity(user=user, line_id=line.pk, quantity=4).quantity == 4
    with pytest.raises(DomainError) as exc:
        cart_update_quantity(user=user, line_id=line.pk, quantity=5)
    assert exc.value.code == "not_enough_stock"
    for bad in (0, -2, 1000, "3"):
        with pytest.raises(DomainError):
            cart_update_quantity(user=user, line_id=line.pk, quantity=bad)
    assert CartLine.objects.get().quantity == 4


def test_cart_update_may_lower_a_quantity_above_a_reduced_stock():
    user = UserFactory()
    product = make_product(stock=5)
    line = cart_add(user=user, variant=variant_of(product), quantity=5)
    set_stock(product, 2)
    assert cart_update_quantity(user=user, line_id=line.pk, quantity=3).quantity == 3
    assert cart_update_quantity(user=user, line_id=line.pk, quantity=2).quantity == 2


def test_cart_other_peoples_lines_cannot_be_changed():
    alice, bob = UserFactory(), UserFactory()
    line = cart_add(user=alice, variant=variant_of(make_product()), quantity=1)
    with pytest.raises(NotFound):
        cart_update_quantity(user=bob, line_id=line.pk, quantity=2)
    with pytest.raises(NotFound):
        cart_remove(user=bob, line_id=line.pk)
    with pytest.raises(NotFound):
        cart_remove(user=alice, line_id=10**30)
    assert CartLine.objects.get().quantity == 1
    assert cart_summary(user=bob).is_empty


def test_cart_remove():
    user = UserFactory()
    line = cart_add(user=user, variant=variant_of(make_product()), quantity=1)
    cart_remove(user=user, line_id=line.pk)
    assert not CartLine.objects.exists()


def test_cart_summary_groups_lines_by_store_with_subtotals():
    user = UserFactory()
    store_a, store_b = StoreFactory(name="Alpha Crafts"), StoreFactory(name="Beta Textiles")
    skirt = make_product(store=store_a, price=2500, stock=10)
    hat = make_product(store=store_a, price=1250, stock=10)
    euro = make_product(store=store_b, price=4000, stock=10, currency="EUR")
    cart_add(user=user, variant=variant_of(skirt), quantity=2)
    cart_add(user=user, variant=variant_of(hat), quantity=1)
    cart_add(user=user, variant=variant_of(euro), quantity=3)

    summary = cart_summary(user=user, locale="en_US")
    assert summary.count == 6
    assert not summary.has_problems
    assert [g.store.name for g in summary.stores] == ["Alpha Crafts", "Beta Textiles"]
    alpha, beta = summary.stores
    assert [v.line_total.amount for v in alpha.lines] == [5000, 1250]
    assert [(m.amount, m.currency) for m in alpha.subtotals] == [(6250, "USD")]
    assert alpha.subtotal_texts == ["$62.50"]
    assert [(m.amount, m.currency) for m in beta.subtotals] == [(12000, "EUR")]
    assert beta.lines[0].unit_price_text == "€40.00"


def test_cart_summary_flags_price_changes_and_stock_problems():
    user = UserFactory()
    dropped, rose = make_product(price=2500), make_product(price=1000)
    short, gone = make_product(stock=5), make_product()
    for product, qty in ((dropped, 1), (rose, 1), (short, 4), (gone, 1)):
        cart_add(user=user, variant=variant_of(product), quantity=qty)
    set_price(dropped, 2000)
    set_price(rose, 1100)
    set_stock(short, 2)
    gone.is_active = False
    gone.save()

    summary = cart_summary(user=user, locale="en_US")
    views = {v.product.pk: v for g in summary.stores for v in g.lines}
    assert views[dropped.pk].price_change == "dropped"
    assert views[dropped.pk].price_seen_text == "$25.00"
    assert views[rose.pk].price_change == "rose"
    assert views[short.pk].problem.startswith("Only 2 left")
    assert views[gone.pk].problem.startswith("This item is no longer sold")
    assert views[gone.pk].stock.code == "no_longer_sold"
    assert summary.has_problems
    # What cannot be bought is left out of the store subtotal.
    group = next(g for g in summary.stores if g.store == short.store)
    assert group.subtotals == []


def test_cart_summary_in_a_few_queries(django_assert_max_num_queries):
    user = UserFactory()
    for _ in range(4):
        cart_add(user=user, variant=variant_of(make_sized_product(stocks=(3, 3, 3))), quantity=1)
    with django_assert_max_num_queries(2):  # lines with variant/product/store + images
        summary = cart_summary(user=user)
    assert summary.count == 4
