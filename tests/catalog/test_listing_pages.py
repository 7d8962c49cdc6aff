"""Search, category, store and home pages — RULE CAT-2 (filters, sort, pagination, bad input)."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from core.middleware import CURRENCY_COOKIE
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, UserFactory
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db

SEARCH = reverse("catalog:search")


def card_titles(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h3><a href="/p/[^"]+/">([^<]+)</a></h3>', html)


def errors_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def test_cat_2_search_page_shows_matching_products_and_the_form(client):
    ProductFactory(title="Silver necklace")
    ProductFactory(title="Story cloth")

    response = client.get(SEARCH, {"q": "silver"})

    assert response.status_code == 200
    assert card_titles(response) == ["Silver necklace"]
    html = response.content.decode()
    assert "Results for “silver”" in html
    assert "1 product" in html
    for field in ("q", "category", "price_min", "price_max", "store", "ships_from",
                  "free_return", "sort"):
        assert f'id="f-{field}"' in html and f'for="f-{field}"' in html  # every input is labelled
    assert "Free Return only" in html


def test_cat_2_every_filter_on_the_page(client):
    textiles = CategoryFactory(name="Textiles")
    sub = CategoryFactory(name="Aprons", parent=textiles)
    thai = StoreFactory(name="Thai Store", ships_from="TH")
    lao = StoreFactory(name="Lao Store", ships_from="LA")
    ProductFactory(title="Apron A", category=sub, store=thai, free_return=True,
                   variants=[{"price_minor": 2000}])
    ProductFactory(title="Apron B", category=sub, store=lao, variants=[{"price_minor": 4000}])
    ProductFactory(title="Ring", store=thai, variants=[{"price_minor": 1000}])

    def found(**params):
        return sorted(card_titles(client.get(SEARCH, params)))

    assert found(category=textiles.slug) == ["Apron A", "Apron B"]
    assert found(store=lao.slug) == ["Apron B"]
    assert found(ships_from="TH") == ["Apron A", "Ring"]
    assert found(ships_from="th") == ["Apron A", "Ring"]
    assert found(free_return="on") == ["Apron A"]
    assert found(price_min="15", price_max="30") == ["Apron A"]
    assert found(price_min="15.5") == ["Apron A", "Apron B"]
    assert found(q="apron", store=thai.slug) == ["Apron A"]


def test_cat_2_sorting_on_the_page(client):
    ProductFactory(title="Mid", variants=[{"price_minor": 2000}])
    ProductFactory(title="Low", variants=[{"price_minor": 1000}])
    ProductFactory(title="High", variants=[{"price_minor": 3000}])

    assert card_titles(client.get(SEARCH, {"sort": "price_asc"})) == ["Low", "Mid", "High"]
    assert card_titles(client.get(SEARCH, {"sort": "price_desc"})) == ["High", "Mid", "Low"]
    assert card_titles(client.get(SEARCH)) == ["High", "Low", "Mid"]  # newest first


def test_cat_2_price_filter_is_in_the_display_currency(client):
    # €20.00 ≈ $21.74 at the reference rate (0.92 EUR per USD).
    ProductFactory(title="$21", variants=[{"price_minor": 2100}])
    ProductFactory(title="$22", variants=[{"price_minor": 2200}])
    client.cookies[CURRENCY_COOKIE] = "EUR"

    response = client.get(SEARCH, {"price_max": "20"})

    assert card_titles(response) == ["$21"]
    html = response.content.decode()
    assert "Highest price (EUR)" in html
    assert "≈ €" in html  # cards show the converted price


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"price_min": "-5"}, "Lowest price", "cannot be negative"),
        ({"price_max": "abc"}, "Highest price", "Enter the price as a number"),
        ({"price_min": "NaN"}, "Lowest price", "Enter the price as a number"),
        ({"price_min": "1e400"}, "Lowest price", ""),
        ({"price_min": "12.345"}, "Lowest price", "at most 2 decimal places"),
        ({"price_min": "9" * 20}, "Lowest price", "too large"),
        ({"price_min": "30", "price_max": "10"}, "Highest price", "must not be below"),
        ({"ships_from": "ZZ"}, "Ships from", "Unknown country code"),
        ({"ships_from": "Thailand"}, "Ships from", "two-letter"),
        ({"category": "no-such-category"}, "Category", "Unknown category"),
        ({"store": "no-such-store"}, "Store", "Unknown store"),
        ({"sort": "cheapest"}, "Sort by", "Unknown sort order"),
        ({"page": "two"}, "Page", "whole number"),
        ({"page": "0"}, "Page", "start at 1"),
        ({"q": "x" * 201}, "Search for", "under 200 characters"),
    ],
)
def test_cat_2_bad_input_is_a_field_error_never_a_500(client, params, field, message):
    ProductFactory()
    response = client.get(SEARCH, params)

    assert response.status_code == 200
    errors = errors_of(response)
    assert field in errors
    assert message in errors


def test_cat_2_decimals_follow_the_display_currency(client):
    client.cookies[CURRENCY_COOKIE] = "VND"  # no minor unit
    response = client.get(SEARCH, {"price_min": "10.5"})
    assert "VND prices have no decimals" in errors_of(response)


def test_cat_2_page_out_of_range_says_so_and_shows_the_last_page(client):
    for _ in range(3):
        ProductFactory()
    response = client.get(SEARCH, {"page": "9"})

    assert response.status_code == 200
    assert "There is no page 9; the last page is 1." in errors_of(response)
    assert len(card_titles(response)) == 3


def test_cat_2_pagination_24_per_page_keeps_the_filters(client):
    for i in range(30):
        ProductFactory(title=f"Scarf {i:02}", free_return=True)
    ProductFactory(title="Scarf without free return")

    first = client.get(SEARCH, {"q": "scarf", "free_return": "on", "sort": "newest"})
    assert len(card_titles(first)) == 24
    html = first.content.decode()
    assert "30 products · page 1 of 2" in html
    next_link = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html).group(1).replace("&amp;", "&")
    assert "q=scarf" in next_link and "free_return=on" in next_link and "sort=newest" in next_link
    assert "page=2" in next_link

    second = client.get(next_link)
    assert len(card_titles(second)) == 6
    assert "Scarf without free return" not in card_titles(second)
    assert 'rel="prev"' in second.content.decode()


def test_cat_2_htmx_request_gets_only_the_results_block(client):
    ProductFactory(title="Silver ring")

    partial = client.get(SEARCH, {"q": "silver"}, headers={"HX-Request": "true"})
    full = client.get(SEARCH, {"q": "silver"})

    assert card_titles(partial) == ["Silver ring"]
    assert "<html" not in partial.content.decode()
    assert 'class="filters"' not in partial.content.decode()
    assert "<html" in full.content.decode() and 'id="results"' in full.content.decode()
    assert "HX-Request" in partial["Vary"] and "HX-Request" in full["Vary"]
    # a history restore asks for the whole page again
    restore = client.get(SEARCH, {"q": "silver"},
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_the_filter_form_is_wired_for_htmx(client):
    html = client.get(SEARCH).content.decode()
    form = re.search(r'<form class="filters"[^>]*>', html).group(0)
    assert 'hx-get="/search/"' in form
    assert 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form
    assert 'method="get"' in form  # works without JavaScript too


def test_htmx_errors_show_inside_the_results_block(client):
    response = client.get(SEARCH, {"price_min": "-1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps 2xx only
    assert "cannot be negative" in response.content.decode()


def test_cat_2_category_page_lists_the_subtree_and_sub_categories(client):
    parent = CategoryFactory(name="Textiles", description="Cloth made by hand")
    child = CategoryFactory(name="Aprons", parent=parent)
    ProductFactory(title="Apron", category=child)
    ProductFactory(title="Bag", category=parent)
    ProductFactory(title="Ring")

    response = client.get(reverse("catalog:category", args=[parent.slug]))

    assert sorted(card_titles(response)) == ["Apron", "Bag"]
    html = response.content.decode()
    assert "<h1>Textiles</h1>" in html and "Cloth made by hand" in html
    assert f'href="/c/{child.slug}/"' in html
    assert 'id="f-category"' not in html  # the category is fixed here
    child_page = client.get(reverse("catalog:category", args=[child.slug]), {"sort": "price_asc"})
    assert card_titles(child_page) == ["Apron"]
    assert f'href="/c/{parent.slug}/"' in child_page.content.decode()  # breadcrumb


def test_category_and_store_pages_404_for_unknown_slugs(client):
    assert client.get(reverse("catalog:category", args=["nope"])).status_code == 404
    assert client.get(reverse("catalog:store", args=["nope"])).status_code == 404
    closed = StoreFactory(is_active=False)
    assert client.get(reverse("catalog:store", args=[closed.slug])).status_code == 404


def test_cat_1_store_page_shows_its_products_with_filters(client):
    store = StoreFactory(name="Vang Silver", tagline="Silver since 1980", ships_from="LA")
    ProductFactory(title="Ring", store=store, free_return=True)
    ProductFactory(title="Bracelet", store=store)
    ProductFactory(title="Elsewhere")

    url = reverse("catalog:store", args=[store.slug])
    response = client.get(url)
    html = response.content.decode()
    assert sorted(card_titles(response)) == ["Bracelet", "Ring"]
    assert "Silver since 1980" in html and "Ships from Laos" in html and "2 products" in html
    assert 'id="f-store"' not in html
    assert card_titles(client.get(url, {"free_return": "on"})) == ["Ring"]
    assert "Unknown country code" in errors_of(client.get(url, {"ships_from": "QQ"}))


def test_stores_page_lists_open_stores_with_counts(client):
    store = StoreFactory(name="Alpha")
    ProductFactory(store=store)
    ProductFactory(store=store, is_active=False)
    StoreFactory(name="Closed", is_active=False)

    html = client.get(reverse("catalog:stores")).content.decode()
    assert "Alpha" in html and "1 product" in html
    assert "Closed" not in html
    for bad in ("0", "x", "99"):
        response = client.get(reverse("catalog:stores"), {"page": bad})
        assert response.status_code == 200 and "Alpha" in response.content.decode()


def test_home_page_shows_categories_newest_products_and_stores(client):
    category = CategoryFactory(name="Jewellery")
    store = StoreFactory(name="Xiong Crafts")
    ProductFactory(title="Newest ring", category=category, store=store)

    html = client.get(reverse("catalog:home")).content.decode()
    assert "Jewellery" in html and f'href="/c/{category.slug}/"' in html
    assert "Newest ring" in html
    assert "Featured stores" in html and "Xiong Crafts" in html


def test_product_card_badges_and_out_of_stock(client):
    ProductFactory(title="All badges", free_return=True, warranty=True, domestic_delivery=True,
                   warehouse_country="US")
    ProductFactory(title="Sold out", variants=[{"price_minor": 1000, "stock": 0}])

    html = client.get(SEARCH, headers={"Accept-Language": "en-US"}).content.decode()
    assert "Free Return</li>" in html
    assert "Warranty</li>" in html
    assert "Domestic delivery: no customs duties" in html  # warehouse in the visitor's country
    assert "Out of stock</li>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # French browser, English pages chosen
    fr = client.get(SEARCH, headers={"Accept-Language": "fr-FR"}).content.decode()
    assert "Domestic delivery in United States" in fr


def test_wish_toggles_on_cards_follow_the_signed_in_person(client):
    wished = ProductFactory(title="Wished")
    ProductFactory(title="Other")
    mai, tou = UserFactory(), UserFactory()
    WishItem.objects.create(user=mai, product=wished, price_when_added_minor=2500)

    client.force_login(mai)
    html = client.get(SEARCH).content.decode()
    assert html.count('aria-pressed="true"') == 1
    assert html.count('aria-pressed="false"') == 1
    assert f'action="/wishlist/toggle/{wished.pk}/"' in html

    client.force_login(tou)  # the cached results must not carry Mai's wish list
    html = client.get(SEARCH).content.decode()
    assert html.count('aria-pressed="true"') == 0
    assert html.count('aria-pressed="false"') == 2


def test_search_query_counts(client, django_assert_max_num_queries):
    category = CategoryFactory()
    for _ in range(30):
        ProductFactory(category=category, free_return=True)
    params = {"q": "story", "category": category.slug, "free_return": "on"}

    # cold: version, categories, stores, subtree, count, products, first images
    with django_assert_max_num_queries(8):
        assert client.get(SEARCH, params).status_code == 200
    with django_assert_max_num_queries(1):  # warm, anonymous: only the catalog version
        assert client.get(SEARCH, params).status_code == 200
    client.force_login(UserFactory())
    with django_assert_max_num_queries(6):  # + session, user, wished ids, header counts
        assert client.get(SEARCH, params).status_code == 200


def test_home_and_category_query_counts(client, django_assert_max_num_queries):
    category = CategoryFactory()
    for _ in range(15):
        ProductFactory(category=category)
    with django_assert_max_num_queries(6):
        client.get(reverse("catalog:home"))
    with django_assert_max_num_queries(1):
        client.get(reverse("catalog:home"))
    with django_assert_max_num_queries(8):
        client.get(reverse("catalog:category", args=[category.slug]))
    with django_assert_max_num_queries(1):
        client.get(reverse("catalog:category", args=[category.slug]))
