"""The public catalog API — RULE CAT-1 (data), CAT-2 (filters), CAT-3 (product details)."""

import pytest

from core.middleware import COUNTRY_COOKIE
from tests.factories import (
    CategoryFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ProductImageFactory,
    ShippingMethodFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog"


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]


def slugs(body) -> list[str]:
    return [item["slug"] for item in body["items"]]


# --- products list (CAT-2) ---------------------------------------------------------------

def test_cat_2_products_list_is_public_and_paginated(client):
    for _ in range(5):
        ProductFactory()
    response = client.get(f"{API}/products", {"page_size": 2, "page": 3})

    assert response.status_code == 200  # no session, no token
    body = response.json()
    assert {k: body[k] for k in ("count", "page", "pages", "page_size")} == {
        "count": 5, "page": 3, "pages": 3, "page_size": 2}
    assert len(body["items"]) == 1


def test_cat_2_product_item_shape(client):
    store = StoreFactory(name="Moua Silver", ships_from="LA")
    category = CategoryFactory(name="Jewellery")
    product = ProductFactory(title="Ring", store=store, category=category, currency="EUR",
                             free_return=True, warranty=False, domestic_delivery=True,
                             warehouse_country="FR", processing_days=3,
                             variants=[{"price_minor": 1840, "stock": 2},
                                       {"price_minor": 2000, "stock": 1}])
    ProductImageFactory(product=product)

    [item] = client.get(f"{API}/products").json()["items"]

    assert item["slug"] == product.slug and item["title"] == "Ring"
    assert item["url"] == f"/p/{product.slug}/"
    assert item["price"] == {"amount": 1840, "currency": "EUR"}
    assert item["price_usd"] == {"amount": 2000, "currency": "USD"}  # 18.40 / 0.92
    assert item["in_stock"] is True and item["stock"] == 3
    assert item["processing_days"] == 3
    assert item["badges"] == {"free_return": True, "warranty": False,
                              "domestic_delivery": True, "warehouse_country": "FR"}
    assert item["category"] == {"slug": category.slug, "name": "Jewellery"}
    assert item["store"] == {"slug": store.slug, "name": "Moua Silver", "ships_from": "LA",
                             "url": f"/s/{store.slug}/"}
    assert item["image"].startswith("http://testserver/media/products/")


def test_cat_2_products_filters_and_sort(client):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    thai = StoreFactory(ships_from="TH")
    a = ProductFactory(title="Silver ring", category=child, store=thai, free_return=True,
                       variants=[{"price_minor": 3000}])
    us = StoreFactory(ships_from="US")
    b = ProductFactory(title="Cloth", description="silver thread", category=parent, store=us,
                       variants=[{"price_minor": 1000}])
    c = ProductFactory(title="Hat", store=us, variants=[{"price_minor": 2000}])

    def found(**params):
        response = client.get(f"{API}/products", params)
        assert response.status_code == 200, response.json()
        return slugs(response.json())

    assert found(q="silver") == [a.slug, b.slug]  # title match first
    assert found(category=parent.slug, sort="price_asc") == [b.slug, a.slug]
    assert found(store=thai.slug) == [a.slug]
    assert found(ships_from="th") == [a.slug]
    assert found(free_return="true") == [a.slug]
    assert found(price_min=1500, price_max=2500) == [c.slug]
    assert found(price_min=1500, currency="EUR", sort="price_desc") == [a.slug, c.slug]
    assert found(sort="price_desc") == [a.slug, c.slug, b.slug]
    assert found() == [c.slug, b.slug, a.slug]  # newest


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price_min": -1}, "price_min"),
        ({"price_max": "abc"}, "price_max"),
        ({"price_min": 1.5}, "price_min"),
        ({"currency": "XYZ"}, "currency"),
        ({"ships_from": "ZZ"}, "ships_from"),
        ({"ships_from": "THA"}, "ships_from"),
        ({"sort": "cheapest"}, "sort"),
        ({"q": "x" * 201}, "q"),
        ({"free_return": "maybe"}, "free_return"),
        ({"category": "no-such"}, "category"),
        ({"store": "no-such"}, "store"),
        ({"price_min": 50, "price_max": 10}, "price_max"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": 1000}, "page_size"),
    ],
)
def test_cat_2_bad_query_params_are_422_with_field_messages(client, params, field):
    response = client.get(f"{API}/products", params)

    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert field in body["fields"], body
    assert all(isinstance(m, str) and m for m in body["fields"][field])


def test_cat_2_unknown_currency_message(client):
    body = client.get(f"{API}/products", {"currency": "XYZ"}).json()
    assert body["fields"]["currency"] == ["Unknown currency."]


def test_products_list_query_count(client, django_assert_max_num_queries):
    for _ in range(12):
        ProductImageFactory(product=ProductFactory())
    with django_assert_max_num_queries(3):  # count, page, first images
        assert len(client.get(f"{API}/products").json()["items"]) == 12


# --- product detail (CAT-3) --------------------------------------------------------------

@pytest.fixture
def lamp():
    store = StoreFactory(name="Her Lanterns", ships_from="TH")
    product = ProductFactory(
        title="Paper lantern", store=store, processing_days=5, warranty=True,
        variants=[{"price_minor": 1200, "stock": 4, "options": {"Colour": "Red"}},
                  {"price_minor": 1500, "stock": 0, "options": {"Colour": "Gold"}}],
    )
    post = ShippingMethodFactory(store=store, name="Post", carrier="Thailand Post", price_minor=300)
    DeliveryEstimateFactory(method=post, country="US", min_days=9, max_days=14)
    DeliveryEstimateFactory(method=post, country="", min_days=15, max_days=30)
    courier = ShippingMethodFactory(store=store, name="Courier", carrier="DHL", price_minor=2000)
    DeliveryEstimateFactory(method=courier, country="US", min_days=2, max_days=4)
    product.shipping_methods.add(post, courier)
    ProductImageFactory(product=product, alt_text="Lit at night")
    return product


def test_cat_3_product_detail(client, lamp):
    response = client.get(f"{API}/products/{lamp.slug}", {"country": "us"})

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Paper lantern" and body["processing_days"] == 5
    assert body["badges"]["warranty"] is True and body["badges"]["free_return"] is False
    assert body["store"]["name"] == "Her Lanterns" and body["store"]["ships_from"] == "TH"
    red, gold = body["variants"]
    assert red["options"] == {"Colour": "Red"} and red["label"] == "Colour: Red"
    assert red["price"] == {"amount": 1200, "currency": "USD"}
    assert red["stock"] == 4 and red["available"] is True
    assert gold["stock"] == 0 and gold["available"] is False
    [image] = body["images"]
    assert image["url"].startswith("http://testserver/media/") and image["alt"] == "Lit at night"
    assert image["width"] == 240 and image["thumbnail_url"]
    assert body["shipping_country"] == "US"
    assert body["shipping"] == [
        {"name": "Courier", "carrier": "DHL", "price": {"amount": 2000, "currency": "USD"},
         "tracked": True, "delivers": True,
         "estimate": {"min_days": 2, "max_days": 4, "country": "US"}},
        {"name": "Post", "carrier": "Thailand Post", "price": {"amount": 300, "currency": "USD"},
         "tracked": True, "delivers": True,
         "estimate": {"min_days": 9, "max_days": 14, "country": "US"}},
    ]


def test_cat_3_product_detail_fallback_and_no_delivery(client, lamp):
    body = client.get(f"{API}/products/{lamp.slug}", {"country": "DE"}).json()
    courier, post = body["shipping"]
    assert courier["delivers"] is False and courier["estimate"] is None
    assert post["delivers"] is True
    assert post["estimate"] == {"min_days": 15, "max_days": 30, "country": ""}


def test_cat_3_product_detail_defaults_to_the_visitors_country(client, lamp):
    client.cookies[COUNTRY_COOKIE] = "DE"
    assert client.get(f"{API}/products/{lamp.slug}").json()["shipping_country"] == "DE"


@pytest.mark.parametrize("country", ["ZZ", "USA", "1"])
def test_cat_3_product_detail_bad_country_is_422(client, lamp, country):
    response = client.get(f"{API}/products/{lamp.slug}", {"country": country})
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert "country" in body["fields"]


def test_unknown_or_hidden_product_is_404_in_the_error_shape(client):
    hidden = ProductFactory(is_active=False)
    for slug in ("nope", hidden.slug):
        response = client.get(f"{API}/products/{slug}")
        assert response.status_code == 404
        assert_error_shape(response.json(), "not_found")


def test_product_detail_query_count(client, lamp, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # product, variants, images, methods, estimates
        assert client.get(f"{API}/products/{lamp.slug}").status_code == 200


# --- stores and categories -------------------------------------------------------------------

def test_cat_1_stores_list_and_detail(client):
    alpha = StoreFactory(name="Alpha", tagline="First", description="About us", ships_from="LA")
    ProductFactory(store=alpha)
    ProductFactory(store=alpha, is_active=False)
    StoreFactory(name="Beta")
    StoreFactory(name="Closed", is_active=False)

    body = client.get(f"{API}/stores", {"page_size": 1}).json()
    assert body["count"] == 2 and body["pages"] == 2
    assert body["items"] == [{"slug": alpha.slug, "name": "Alpha", "ships_from": "LA",
                              "url": f"/s/{alpha.slug}/", "tagline": "First", "currency": "USD",
                              "product_count": 1}]

    detail = client.get(f"{API}/stores/{alpha.slug}").json()
    assert detail["description"] == "About us" and detail["product_count"] == 1

    missing = client.get(f"{API}/stores/closed")
    assert missing.status_code == 404
    assert_error_shape(missing.json(), "not_found")
    assert client.get(f"{API}/stores", {"page": -1}).status_code == 422


def test_cat_1_categories(client):
    parent = CategoryFactory(name="Textiles", description="Cloth")
    CategoryFactory(name="Aprons", parent=parent)

    body = client.get(f"{API}/categories").json()
    by_name = {c["name"]: c for c in body}
    assert by_name["Textiles"] == {"slug": parent.slug, "name": "Textiles",
                                   "description": "Cloth", "parent": None}
    assert by_name["Aprons"]["parent"] == parent.slug


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_cat_2_huge_prices_are_answered_not_crashed(client, huge):
    ProductFactory()
    low = client.get(f"{API}/products", {"price_min": huge})
    assert low.status_code == 200 and low.json()["count"] == 0
    high = client.get(f"{API}/products", {"price_max": huge})
    assert high.status_code == 200 and high.json()["count"] == 1
