"""Wish list services and selectors (RULE WSH-1)."""

import pytest

from cart.models import CartLine
from cart.services import cart_add
from core.errors import DomainError, NotFound
from tests.factories import StoreFactory, UserFactory
from tests.wishlist.helpers import make_product, make_sized_product, set_price, set_stock
from wishlist.models import WishItem
from wishlist.selectors import wish_line, wishlist_count, wishlist_items, wishlist_lines
from wishlist.services import (
    wishlist_add,
    wishlist_move_to_cart,
    wishlist_remove,
    wishlist_toggle,
)

pytestmark = pytest.mark.django_db


def lines_of(user):
    return list(wishlist_lines(user=user, locale="en_US")[0:100])


# --- add / remove / toggle ----------------------------------------------------


def test_wsh1_add_records_the_price_when_added():
    user, product = UserFactory(), make_product(price=2500)
    item, created = wishlist_add(user=user, product=product)
    assert created
    assert item.price_when_added_minor == 2500
    assert wishlist_count(user=user) == 1


def test_wsh1_add_is_idempotent_and_keeps_the_first_price():
    user, product = UserFactory(), make_product(price=2500)
    wishlist_add(user=user, product=product)
    set_price(product, 1900)
    item, created = wishlist_add(user=user, product=product)
    assert not created
    assert item.price_when_added_minor == 2500
    assert WishItem.objects.filter(user=user).count() == 1


def test_wsh1_a_product_no_longer_sold_cannot_be_added():
    user = UserFactory()
    product = make_product(is_active=False)
    with pytest.raises(DomainError) as exc:
        wishlist_add(user=user, product=product)
    assert exc.value.code == "unavailable"
    closed_store = make_product(store=StoreFactory(is_active=False))
    with pytest.raises(DomainError):
        wishlist_add(user=user, product=closed_store)
    assert not WishItem.objects.exists()


def test_wsh1_remove_and_remove_twice():
    user, product = UserFactory(), make_product()
    wishlist_add(user=user, product=product)
    wishlist_remove(user=user, product=product)
    assert wishlist_count(user=user) == 0
    with pytest.raises(NotFound):
        wishlist_remove(user=user, product=product)


def test_wsh1_toggle_adds_then_removes():
    user, product = UserFactory(), make_product()
    assert wishlist_toggle(user=user, product=product) is True
    assert wishlist_toggle(user=user, product=product) is False
    assert wishlist_count(user=user) == 0


def test_wsh1_a_product_no_longer_sold_can_still_be_toggled_off():
    user, product = UserFactory(), make_product()
    wishlist_add(user=user, product=product)
    product.is_active = False
    product.save()
    assert wishlist_toggle(user=user, product=product) is False


def test_wsh1_other_peoples_items_are_never_touched():
    alice, bob, product = UserFactory(), UserFactory(), make_product()
    wishlist_add(user=alice, product=product)
    assert lines_of(bob) == []
    with pytest.raises(NotFound):
        wishlist_remove(user=bob, product=product)
    with pytest.raises(NotFound):
        wishlist_move_to_cart(user=bob, product=product)
    assert wishlist_count(user=alice) == 1
    assert not CartLine.objects.filter(user=bob).exists()


# --- the list: current price, change, availability ----------------------------


def test_wsh1_list_shows_current_price_and_a_price_drop():
    user, product = UserFactory(), make_product(price=2500)
    wishlist_add(user=user, product=product)
    set_price(product, 2000)
    [line] = lines_of(user)
    assert line.price.amount == 2000 and line.price.currency == "USD"
    assert line.price_when_added.amount == 2500
    assert line.price_change == "dropped"
    assert line.price_difference.amount == 500
    assert line.price_text == "$20.00"
    assert line.price_when_added_text == "$25.00"


def test_wsh1_list_shows_a_price_rise_and_no_change():
    user, up, same = UserFactory(), make_product(price=1000), make_product(price=1000)
    wishlist_add(user=user, product=up)
    wishlist_add(user=user, product=same)
    set_price(up, 1200)
    by_id = {line.product.pk: line for line in lines_of(user)}
    assert by_id[up.pk].price_change == "rose"
    assert by_id[up.pk].price_difference.amount == 200
    assert by_id[same.pk].price_change is None
    assert by_id[same.pk].price_difference is None


@pytest.mark.parametrize(
    ("stock", "code", "text", "available"),
    [
        (12, "in_stock", "In stock", True),
        (3, "low_stock", "Only 3 left", True),
        (0, "out_of_stock", "Out of stock", False),
    ],
)
def test_wsh1_list_shows_availability(stock, code, text, available):
    user, product = UserFactory(), make_product(stock=12)
    wishlist_add(user=user, product=product)
    set_stock(product, stock)
    [line] = lines_of(user)
    assert (line.stock.code, line.stock.text, line.available) == (code, text, available)


def test_wsh1_list_says_no_longer_sold_when_product_or_store_is_inactive():
    user = UserFactory()
    product, other = make_product(), make_product()
    wishlist_add(user=user, product=product)
    wishlist_add(user=user, product=other)
    product.is_active = False
    product.save()
    other.store.is_active = False
    other.store.save()
    for line in lines_of(user):
        assert line.stock.code == "no_longer_sold"
        assert line.stock.text == "No longer sold"
        assert not line.available
        assert line.price is None


def test_wsh1_list_offers_variant_choices_when_options_differ():
    user, product = UserFactory(), make_sized_product(stocks=(4, 0, 7))
    wishlist_add(user=user, product=product)
    [line] = lines_of(user)
    assert line.needs_choice
    assert [c.label for c in line.choices] == ["Size: S", "Size: M", "Size: L"]
    assert [c.stock.available for c in line.choices] == [True, False, True]
    assert line.stock.text == "In stock"  # 11 units over all sizes


def test_wsh1_list_is_newest_first_and_in_few_queries(django_assert_max_num_queries):
    user = UserFactory()
    products = [make_product() for _ in range(5)]
    for product in products:
        wishlist_add(user=user, product=product)
    with django_assert_max_num_queries(3):  # items + variants + images
        lines = [wish_line(item) for item in wishlist_items(user=user)]
    assert [line.product.pk for line in lines] == [p.pk for p in reversed(products)]


# --- move to cart ---------------------------------------------------------------


def test_wsh1_move_to_cart_with_a_single_variant():
    user, product = UserFactory(), make_product(price=2500, stock=2)
    wishlist_add(user=user, product=product)
    line = wishlist_move_to_cart(user=user, product=product)
    assert line.variant == product.variants.get()
    assert line.quantity == 1
    assert line.price_seen_minor == 2500
    assert wishlist_count(user=user) == 0


def test_wsh1_move_to_cart_needs_a_variant_choice_when_options_differ():
    user, product = UserFactory(), make_sized_product()
    wishlist_add(user=user, product=product)
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(user=user, product=product)
    assert exc.value.code == "variant_required"
    assert "variant_id" in exc.value.fields
    assert wishlist_count(user=user) == 1
    large = product.variants.get(options={"Size": "L"})
    line = wishlist_move_to_cart(user=user, product=product, variant=large)
    assert line.variant == large
    assert wishlist_count(user=user) == 0


def test_wsh1_move_to_cart_takes_the_first_in_stock_variant_when_options_are_the_same():
    user = UserFactory()
    product = make_sized_product(stocks=(0, 2, 3))
    product.variants.update(options={})
    wishlist_add(user=user, product=product)
    line = wishlist_move_to_cart(user=user, product=product)
    assert line.variant.stock == 2


def test_wsh1_move_to_cart_refuses_out_of_stock_and_keeps_the_item():
    user, product = UserFactory(), make_product(stock=0)
    wishlist_add(user=user, product=product)
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(user=user, product=product)
    assert exc.value.code == "out_of_stock"
    sized = make_sized_product(stocks=(4, 0, 7))
    wishlist_add(user=user, product=sized)
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(
            user=user, product=sized, variant=sized.variants.get(options={"Size": "M"})
        )
    assert exc.value.code == "out_of_stock"
    assert wishlist_count(user=user) == 2
    assert not CartLine.objects.exists()


def test_wsh1_move_to_cart_refuses_a_product_no_longer_sold():
    user, product = UserFactory(), make_product()
    wishlist_add(user=user, product=product)
    product.is_active = False
    product.save()
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(user=user, product=product)
    assert exc.value.code == "unavailable"
    assert wishlist_count(user=user) == 1


def test_wsh1_move_to_cart_refuses_a_variant_of_another_product():
    user, product, other = UserFactory(), make_product(), make_product()
    wishlist_add(user=user, product=product)
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(user=user, product=product, variant=other.variants.get())
    assert exc.value.code == "invalid_variant"
    assert exc.value.fields == {"variant_id": ["This option does not belong to this product."]}


def test_wsh1_move_to_cart_merges_with_the_cart_and_respects_stock():
    user, product = UserFactory(), make_product(stock=2)
    variant = product.variants.get()
    cart_add(user=user, variant=variant, quantity=1)
    wishlist_add(user=user, product=product)
    line = wishlist_move_to_cart(user=user, product=product)
    assert line.quantity == 2
    wishlist_add(user=user, product=product)
    with pytest.raises(DomainError) as exc:
        wishlist_move_to_cart(user=user, product=product)
    assert exc.value.code == "not_enough_stock"
    assert wishlist_count(user=user) == 1  # nothing changed: the move is all or nothing
    assert CartLine.objects.get(user=user).quantity == 2
