"""catalog.selectors.product_search — RULE CAT-2 (search and browse with filters) and CAT-1."""

import pytest

from catalog.models import Product
from catalog.selectors import category_subtree_ids, product_search
from core.errors import DomainError
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    StoreFactory,
    UserFactory,
)
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db


def titles(queryset) -> list[str]:
    return [p.title for p in queryset]


def test_cat_2_text_search_needs_every_word():
    ProductFactory(title="Silver necklace", description="Hand-made")
    ProductFactory(title="Silver bracelet", description="Hand-made")
    ProductFactory(title="Story cloth", description="Embroidered")

    assert set(titles(product_search(q="silver"))) == {"Silver necklace", "Silver bracelet"}
    assert titles(product_search(q="SILVER necklace")) == ["Silver necklace"]
    assert titles(product_search(q="gold")) == []


def test_cat_2_text_search_also_finds_store_category_and_options():
    store = StoreFactory(name="Vang Textiles")
    ProductFactory(title="Apron", store=store)
    ProductFactory(title="Hat", variants=[{"price_minor": 900, "options": {"Colour": "Indigo"}}])

    assert titles(product_search(q="vang")) == ["Apron"]
    assert titles(product_search(q="indigo")) == ["Hat"]


def test_cat_2_wildcards_in_the_query_are_literal():
    ProductFactory(title="100% cotton scarf")
    ProductFactory(title="Wool scarf")

    assert titles(product_search(q="100%")) == ["100% cotton scarf"]
    assert titles(product_search(q="_")) == []


def test_cat_2_relevance_title_match_ranks_above_description_match():
    in_title = ProductFactory(title="Silver earrings", description="Pair of earrings")
    in_description = ProductFactory(title="Earrings", description="Made of silver")  # newer

    assert titles(product_search(q="silver")) == [in_title.title, in_description.title]
    # relevance is the default sort when there is a query
    assert titles(product_search(q="silver", sort="relevance")) == titles(product_search(q="silver"))


def test_cat_2_relevance_ties_go_to_the_newest():
    older = ProductFactory(title="Silver ring one")
    newer = ProductFactory(title="Silver ring two")

    assert titles(product_search(q="silver ring")) == [newer.title, older.title]


def test_cat_2_whole_phrase_in_title_wins():
    scattered = ProductFactory(title="Cloth bag with a story")
    phrase = ProductFactory(title="Story cloth bag")
    scattered.refresh_from_db()

    assert titles(product_search(q="story cloth"))[0] == phrase.title


def test_cat_2_default_sort_without_query_is_newest():
    first = ProductFactory()
    second = ProductFactory()
    third = ProductFactory()

    assert titles(product_search()) == [third.title, second.title, first.title]
    assert titles(product_search(sort="newest")) == [third.title, second.title, first.title]


def test_cat_2_sort_by_price_compares_across_currencies():
    usd = ProductFactory(title="USD 20", currency="USD", variants=[{"price_minor": 2000}])
    eur = ProductFactory(title="EUR 15", currency="EUR", variants=[{"price_minor": 1500}])  # ≈ $16.30
    gbp = ProductFactory(title="GBP 20", currency="GBP", variants=[{"price_minor": 2000}])  # ≈ $25.32

    assert titles(product_search(sort="price_asc")) == [eur.title, usd.title, gbp.title]
    assert titles(product_search(sort="price_desc")) == [gbp.title, usd.title, eur.title]


def test_cat_2_unknown_sort_is_a_field_error():
    with pytest.raises(DomainError) as caught:
        product_search(sort="cheapest")
    assert "sort" in caught.value.fields


def test_cat_2_category_filter_includes_sub_categories():
    textiles = CategoryFactory(name="Textiles")
    embroidery = CategoryFactory(name="Embroidery", parent=textiles)
    story_cloths = CategoryFactory(name="Story cloths", parent=embroidery)
    jewellery = CategoryFactory(name="Jewellery")
    ProductFactory(title="Top", category=textiles)
    ProductFactory(title="Child", category=embroidery)
    ProductFactory(title="Grandchild", category=story_cloths)
    ProductFactory(title="Other", category=jewellery)

    assert set(titles(product_search(category=textiles))) == {"Top", "Child", "Grandchild"}
    assert set(titles(product_search(category=embroidery))) == {"Child", "Grandchild"}
    assert set(category_subtree_ids(category=story_cloths)) == {story_cloths.pk}


def test_cat_2_price_range_in_usd():
    ProductFactory(title="Cheap", variants=[{"price_minor": 500}])
    ProductFactory(title="Middle", variants=[{"price_minor": 2000}])
    ProductFactory(title="Dear", variants=[{"price_minor": 9000}])

    assert set(titles(product_search(price_min=1000, price_max=5000))) == {"Middle"}
    assert set(titles(product_search(price_min=2000))) == {"Middle", "Dear"}  # bounds included
    assert set(titles(product_search(price_max=2000))) == {"Cheap", "Middle"}


def test_cat_2_price_range_in_the_visitors_currency_is_converted():
    # EUR reference rate: 0.92 per USD. €10.00 ≈ $10.87, €20.00 ≈ $21.74.
    ProductFactory(title="$10.00", variants=[{"price_minor": 1000}])
    ProductFactory(title="$15.00", variants=[{"price_minor": 1500}])
    ProductFactory(title="€19.00 product", currency="EUR", variants=[{"price_minor": 1900}])
    ProductFactory(title="$25.00", variants=[{"price_minor": 2500}])

    found = set(titles(product_search(price_min=1000, price_max=2000, currency="EUR")))
    assert found == {"$15.00", "€19.00 product"}


def test_cat_2_store_and_ships_from_filters():
    thai = StoreFactory(ships_from="TH")
    us = StoreFactory(ships_from="US")
    ProductFactory(title="From Thailand", store=thai)
    ProductFactory(title="From US", store=us)

    assert titles(product_search(store=thai)) == ["From Thailand"]
    assert titles(product_search(ships_from="US")) == ["From US"]
    with pytest.raises(DomainError):
        product_search(ships_from="ZZ")


def test_cat_2_free_return_only():
    ProductFactory(title="Returnable", free_return=True)
    ProductFactory(title="Final sale", free_return=False)

    assert titles(product_search(free_return_only=True)) == ["Returnable"]
    assert len(titles(product_search(free_return_only=False))) == 2


def test_cat_1_only_active_products_of_active_stores():
    ProductFactory(title="Visible")
    ProductFactory(title="Hidden", is_active=False)
    ProductFactory(title="Closed store", store=StoreFactory(is_active=False))

    assert titles(product_search()) == ["Visible"]


def test_cat_1_out_of_stock_products_are_listed_with_their_stock():
    ProductFactory(title="Sold out", variants=[{"price_minor": 1000, "stock": 0}])
    [product] = product_search()
    assert product.in_stock is False


def test_wished_is_annotated_for_the_signed_in_user_only():
    user, other = UserFactory(), UserFactory()
    wished = ProductFactory(title="Wished")
    ProductFactory(title="Not wished")
    WishItem.objects.create(user=user, product=wished, price_when_added_minor=2500)

    assert {p.title: p.wished for p in product_search(user=user)} == {
        "Wished": True, "Not wished": False}
    assert not any(p.wished for p in product_search(user=other))
    assert not any(p.wished for p in product_search(user=None))


def test_no_n_plus_one(django_assert_max_num_queries):
    user = UserFactory()
    for _ in range(10):
        product = ProductFactory()
        ProductImageFactory(product=product)
        ProductImageFactory(product=product)
    with django_assert_max_num_queries(2):  # products (store, category, wished joined) + first images
        products = list(product_search(user=user, q="story"))
        for p in products:
            assert p.store.name and p.category.name
            assert len(p.first_images) == 1
    assert len(products) == 10


def test_first_image_is_the_lowest_position():
    product = ProductFactory()
    ProductImageFactory(product=product, position=5, alt_text="second")
    ProductImageFactory(product=product, position=1, alt_text="first")
    [found] = product_search()
    assert [i.alt_text for i in found.first_images] == ["first"]
    assert Product.objects.count() == 1
