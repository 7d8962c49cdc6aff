"""The product and search pages are cached per catalog version — RULE CAT-2, CAT-3.

A price or stock change goes through catalog.services.product_refresh_summary,
which bumps the version, so the very next request shows it."""

import pytest
from django.urls import reverse

from catalog.models import Product, Variant
from catalog.services import catalog_changed, product_refresh_summary
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bowl():
    return ProductFactory(title="Silver bowl", variants=[{"price_minor": 2500, "stock": 4}])


def urls(product):
    return [reverse("catalog:product", args=[product.slug]),
            reverse("catalog:search") + "?q=silver",
            reverse("catalog:home")]


def change_variant(product, **values):
    Variant.objects.filter(product=product).update(**values)
    product_refresh_summary(product=product)


def test_cat_3_price_change_shows_on_the_next_request_of_both_pages(client, bowl):
    for url in urls(bowl):
        assert "$25.00" in client.get(url).content.decode()

    change_variant(bowl, price_minor=1999)

    for url in urls(bowl):
        html = client.get(url).content.decode()
        assert "$19.99" in html, url
        assert "$25.00" not in html, url


def test_cat_2_stock_change_shows_on_the_next_request(client, bowl):
    for url in urls(bowl):
        assert "Out of stock" not in client.get(url).content.decode()

    change_variant(bowl, stock=0)

    for url in urls(bowl):
        assert "Out of stock" in client.get(url).content.decode(), url


def test_pages_are_served_from_the_cache_until_the_version_moves(client, bowl):
    """A write that skips the catalog services is not seen; the version bump is what counts."""
    for url in urls(bowl):
        client.get(url)
    Product.objects.filter(pk=bowl.pk).update(title="Silver bowl, renamed")
    for url in urls(bowl):
        assert "renamed" not in client.get(url).content.decode()

    catalog_changed()

    for url in urls(bowl):
        assert "Silver bowl, renamed" in client.get(url).content.decode(), url


def test_the_cache_is_kept_apart_per_country_and_currency(client):
    jar = ProductFactory(domestic_delivery=True, warehouse_country="FR",
                         variants=[{"price_minor": 2500}])
    url = reverse("catalog:product", args=[jar.slug])

    client.cookies["ha_country"] = "US"
    us = client.get(url).content.decode()
    assert "$25.00" in us and "Domestic delivery within France" in us
    client.cookies["ha_currency"] = "EUR"
    assert "≈ €23.00" in client.get(url).content.decode()
    client.cookies["ha_country"] = "FR"
    fr = client.get(url).content.decode()
    assert "no customs duties" in fr and "≈ €23.00" in fr
    del client.cookies["ha_currency"]
    client.cookies["ha_country"] = "US"
    again = client.get(url).content.decode()
    assert "$25.00" in again and "no customs duties" not in again


def test_a_new_product_appears_in_search_at_once(client, bowl):
    search = reverse("catalog:search") + "?q=silver"
    assert "Silver cup" not in client.get(search).content.decode()
    ProductFactory(title="Silver cup")  # the factory saves through product_refresh_summary
    assert "Silver cup" in client.get(search).content.decode()


def test_empty_filter_fields_share_the_cache_entry_of_no_filter(client, bowl, django_assert_max_num_queries):
    search = reverse("catalog:search")
    client.get(search, {"q": "silver"})
    with django_assert_max_num_queries(1):  # what htmx sends: every field, most of them empty
        response = client.get(search, {"q": "silver", "category": "", "price_min": "", "store": "",
                                       "ships_from": "", "sort": ""})
    assert "Silver bowl" in response.content.decode()
