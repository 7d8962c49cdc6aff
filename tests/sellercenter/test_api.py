"""Seller API at /api/v1/seller/ (RULE CAT-1): authentication, the no-store case, ownership
(another seller's objects are 404), field errors in the one error shape, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from catalog.models import Product, Store
from tests.factories import (
    CategoryFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ProductImageFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.sellercenter.imagefiles import image_bytes, jpeg_upload, upload

pytestmark = pytest.mark.django_db

BASE = "/api/v1/seller"


class Api:
    """A JSON client with a bearer token."""

    def __init__(self, user):
        _, key = ApiToken.issue(user)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def get(self, path, data=None):
        return self.client.get(BASE + path, data)

    def post(self, path, data=None):
        return self.client.post(BASE + path, data, content_type="application/json")

    def patch(self, path, data=None):
        return self.client.patch(BASE + path, data, content_type="application/json")

    def put(self, path, data=None):
        return self.client.put(BASE + path, data, content_type="application/json")

    def delete(self, path):
        return self.client.delete(BASE + path)

    def upload(self, path, data):
        return self.client.post(BASE + path, data)  # multipart


def assert_error(response, status, code, field=None, fragment=""):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    if field:
        assert field in body["fields"], body
        assert any(fragment in m for m in body["fields"][field]), body
    return body


@pytest.fixture
def store():
    return StoreFactory(name="Api Store", currency="USD")


@pytest.fixture
def api(store):
    return Api(store.owner)


@pytest.fixture
def category():
    return CategoryFactory(name="Jewellery")


@pytest.fixture
def product(store):
    return ProductFactory(store=store, title="Silver torque",
                          variants=[{"sku": "T-1", "price_minor": 4000, "stock": 2,
                                     "options": {"Size": "M"}}])


@pytest.fixture
def foreign():
    other = StoreFactory(name="Other Api Store")
    product = ProductFactory(store=other)
    method = ShippingMethodFactory(store=other)
    DeliveryEstimateFactory(method=method, country="US")
    return {"product": product, "variant": product.variants.get(), "method": method,
            "image": ProductImageFactory(product=product)}


# --- authentication and the no-store case ---------------------------------------------------


def test_cat_1_api_needs_authentication():
    response = Client().get(BASE + "/store")
    assert_error(response, 401, "not_authenticated")
    response = Client(HTTP_AUTHORIZATION="Bearer wrong").get(BASE + "/products")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/store"), ("patch", "/store"), ("get", "/products"), ("post", "/products"),
    ("get", "/products/1"), ("get", "/shipping-methods"), ("post", "/shipping-methods"),
    ("put", "/shipping-methods/1/estimates/ROW"),
])
def test_cat_1_api_without_store_is_409_no_store(method, path):
    api = Api(UserFactory())
    payload = {"name": "x", "carrier": "y", "category_id": 1, "title": "t", "min_days": 1,
               "max_days": 2}
    response = getattr(api, method)(path, payload) if method != "get" else api.get(path)
    body = assert_error(response, 409, "no_store")
    assert "store" in body["message"]


def test_cat_1_api_session_auth_works(client, store):
    client.force_login(store.owner)
    assert client.get(BASE + "/store").json()["name"] == "Api Store"


# --- store -----------------------------------------------------------------------------------


def test_cat_1_api_store_create_get_patch():
    user = UserFactory()
    api = Api(user)
    response = api.post("/store", {"name": "Hmong Silver", "ships_from": "la",
                                   "currency": "lak"})
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["ships_from"], body["currency"]) == ("hmong-silver", "LA", "LAK")
    assert api.get("/store").json()["id"] == body["id"]
    response = api.patch("/store", {"tagline": "Made in Luang Prabang"})
    assert response.json()["tagline"] == "Made in Luang Prabang"
    assert response.json()["name"] == "Hmong Silver"
    assert_error(api.post("/store", {"name": "Again", "ships_from": "LA"}), 409, "store_exists")


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"ships_from": "TH"}, "name", "required"),
        ({"name": 12, "ships_from": "TH"}, "name", "valid string"),
        ({"name": "", "ships_from": "TH"}, "name", "required"),
        ({"name": "n" * 81, "ships_from": "TH"}, "name", "at most 80"),
        ({"name": "Ok"}, "ships_from", "required"),
        ({"name": "Ok", "ships_from": "ZZ"}, "ships_from", "country code"),
        ({"name": "Ok", "ships_from": "TH", "currency": "XXX"}, "currency", "not a currency"),
        ({"name": "Api Store", "ships_from": "TH"}, "name", "Another store"),
    ],
)
def test_cat_1_api_store_create_bad_input(store, payload, field, fragment):
    response = Api(UserFactory()).post("/store", payload)
    assert_error(response, 422, "validation_error", field, fragment)
    assert Store.objects.count() == 1


def test_cat_1_api_store_patch_bad_input(api):
    assert_error(api.patch("/store", {"name": None}), 422, "validation_error", "name",
                 "required")
    assert_error(api.patch("/store", {"currency": "EURO"}), 422, "validation_error",
                 "currency", "not a currency")


def test_cat_1_api_malformed_json_is_a_clean_error(api):
    response = api.client.post(BASE + "/store", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert {"code", "message", "fields"} <= set(response.json())


# --- products ----------------------------------------------------------------------------------


def test_cat_1_api_product_create_and_get(api, store, category):
    method = ShippingMethodFactory(store=store)
    response = api.post("/products", {
        "category_id": category.pk, "title": "Silver bangle", "currency": "EUR",
        "free_return": True, "domestic_delivery": True, "warehouse_country": "DE",
        "shipping_method_ids": [method.pk],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["processing_days"] == 7
    assert body["category"] == {"id": category.pk, "name": "Jewellery", "slug": category.slug}
    assert body["min_price"] == {"amount": 0, "currency": "EUR"}
    assert body["shipping_method_ids"] == [method.pk]
    assert (body["variants"], body["images"]) == ([], [])
    assert body["url"] == reverse("catalog:product", kwargs={"slug": body["slug"]})
    assert api.get(f"/products/{body['id']}").json()["title"] == "Silver bangle"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"category_id": None}, "category_id", "valid integer"),
        ({"category_id": 999999}, "category_id", "does not exist"),
        ({"title": ""}, "title", "required"),
        ({"title": "t" * 141}, "title", "at most 140"),
        ({"processing_days": -1}, "processing_days", "from 1 to 60"),
        ({"processing_days": 61}, "processing_days", "from 1 to 60"),
        ({"processing_days": "five"}, "processing_days", "valid integer"),
        ({"currency": "BTC"}, "currency", "not a currency"),
        ({"free_return": "maybe"}, "free_return", "valid boolean"),
        ({"domestic_delivery": True}, "warehouse_country", "warehouse"),
        ({"warehouse_country": "QQ", "domestic_delivery": True}, "warehouse_country", "country"),
        ({"shipping_method_ids": ["a"]}, "shipping_method_ids.0", "valid integer"),
        ({"shipping_method_ids": [424242]}, "shipping_method_ids", "Not shipping methods"),
    ],
)
def test_cat_1_api_product_create_bad_input(api, category, overrides, field, fragment):
    payload = {"category_id": category.pk, "title": "Good"} | overrides
    assert_error(api.post("/products", payload), 422, "validation_error", field, fragment)
    assert not Product.objects.exists()


def test_cat_1_api_product_missing_fields(api):
    body = assert_error(api.post("/products", {}), 422, "validation_error")
    assert body["fields"]["category_id"] == ["This field is required."]
    assert body["fields"]["title"] == ["This field is required."]


def test_cat_1_api_product_refuses_other_stores_shipping_method(api, category, foreign):
    response = api.post("/products", {"category_id": category.pk, "title": "Good",
                                      "shipping_method_ids": [foreign["method"].pk]})
    assert_error(response, 422, "validation_error", "shipping_method_ids", "Not shipping")


def test_cat_1_api_product_list_paginated_and_own_only(api, store, product, foreign):
    ProductFactory(store=store, title="Unlisted one", is_active=False)
    response = api.get("/products", {"page_size": 1})
    body = response.json()
    assert set(body) == {"items", "count", "page", "pages", "page_size"}
    assert (body["count"], body["pages"], len(body["items"])) == (2, 2, 1)
    titles = {p["title"] for p in api.get("/products").json()["items"]}
    assert titles == {"Silver torque", "Unlisted one"}
    inactive = api.get("/products", {"active": "false"}).json()["items"]
    assert [p["title"] for p in inactive] == ["Unlisted one"]
    item = api.get("/products", {"q": "t-1"}).json()["items"][0]
    assert item["variants"][0]["price"] == {"amount": 4000, "currency": "USD"}
    assert_error(api.get("/products", {"page_size": 0}), 422, "validation_error", "page_size")
    assert_error(api.get("/products", {"page": "x"}), 422, "validation_error", "page")


def test_cat_1_api_product_patch_and_delete_unlists(api, product, category):
    response = api.patch(f"/products/{product.pk}", {"title": "Silver torque, large",
                                                      "category_id": category.pk})
    assert response.status_code == 200
    assert response.json()["title"] == "Silver torque, large"
    assert response.json()["category"]["id"] == category.pk
    assert_error(api.patch(f"/products/{product.pk}", {"processing_days": 0}), 422,
                 "validation_error", "processing_days")
    assert_error(api.patch(f"/products/{product.pk}", {"category_id": None}), 422,
                 "validation_error", "category_id", "required")
    response = api.delete(f"/products/{product.pk}")
    assert response.status_code == 200 and response.json()["is_active"] is False
    product.refresh_from_db()
    assert not product.is_active and Product.objects.filter(pk=product.pk).exists()
    assert api.patch(f"/products/{product.pk}", {"is_active": True}).json()["is_active"]


def test_cat_1_api_product_currency_locked_with_variants(api, product):
    assert_error(api.patch(f"/products/{product.pk}", {"currency": "EUR"}), 422,
                 "validation_error", "currency", "cannot change")


def test_cat_1_api_other_sellers_objects_are_404(api, product, foreign):
    p, v, m, i = foreign["product"], foreign["variant"], foreign["method"], foreign["image"]
    calls = [
        api.get(f"/products/{p.pk}"),
        api.patch(f"/products/{p.pk}", {"title": "Mine"}),
        api.delete(f"/products/{p.pk}"),
        api.post(f"/products/{p.pk}/variants", {"sku": "X", "price_minor": 1, "stock": 1}),
        api.patch(f"/products/{p.pk}/variants/{v.pk}", {"stock": 0}),
        api.delete(f"/products/{p.pk}/variants/{v.pk}"),
        api.patch(f"/products/{product.pk}/variants/{v.pk}", {"stock": 0}),
        api.delete(f"/products/{product.pk}/variants/{v.pk}"),
        api.upload(f"/products/{p.pk}/images", {"image": jpeg_upload()}),
        api.delete(f"/products/{p.pk}/images/{i.pk}"),
        api.delete(f"/products/{product.pk}/images/{i.pk}"),
        api.patch(f"/shipping-methods/{m.pk}", {"name": "Mine"}),
        api.delete(f"/shipping-methods/{m.pk}"),
        api.put(f"/shipping-methods/{m.pk}/estimates/US", {"min_days": 1, "max_days": 2}),
        api.delete(f"/shipping-methods/{m.pk}/estimates/US"),
    ]
    for response in calls:
        assert_error(response, 404, "not_found")
    p.refresh_from_db()
    v.refresh_from_db()
    m.refresh_from_db()
    assert p.is_active and p.title != "Mine" and v.stock == 5 and m.name != "Mine"
    assert p.images.count() == 1 and m.estimates.count() == 1


def test_cat_1_api_unknown_ids(api):
    assert_error(api.get("/products/999999"), 404, "not_found")
    response = api.get("/products/abc")
    assert response.status_code in (404, 422)
    assert {"code", "message", "fields"} == set(response.json())


# --- variants ---------------------------------------------------------------------------------------


def test_cat_1_api_variants_update_product_summary(api, product):
    response = api.post(f"/products/{product.pk}/variants",
                        {"sku": "T-2", "options": {"Size": "L"}, "price_minor": 3500, "stock": 4})
    assert response.status_code == 201
    variant = response.json()
    assert variant["price"] == {"amount": 3500, "currency": "USD"}
    body = api.get(f"/products/{product.pk}").json()
    assert body["min_price"] == {"amount": 3500, "currency": "USD"}
    assert body["total_stock"] == 6
    product.refresh_from_db()
    assert (product.min_price_minor, product.price_usd_minor, product.total_stock) == (
        3500, 3500, 6)

    response = api.patch(f"/products/{product.pk}/variants/{variant['id']}",
                         {"price": {"amount": 5000, "currency": "usd"}, "stock": 1})
    assert response.json()["price_minor"] == 5000
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (4000, 3)

    response = api.delete(f"/products/{product.pk}/variants/{variant['id']}")
    assert response.json() == {"deleted": True, "message": "Variant removed."}
    product.refresh_from_db()
    assert product.total_stock == 2


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"price_minor": -100}, "price_minor", "more than zero"),
        ({"price_minor": 0}, "price_minor", "more than zero"),
        ({"price_minor": 12.5}, "price_minor", "valid integer"),
        ({"price_minor": "100"}, "price_minor", "valid integer"),
        ({"price_minor": None}, "price_minor", "required"),
        ({"price_minor": None, "price": {"amount": 100, "currency": "EUR"}}, "price.currency",
         "USD"),
        ({"price_minor": None, "price": {"amount": "1"}}, "price.amount", "valid integer"),
        ({"price_minor": 100, "price": {"amount": 200, "currency": "USD"}}, "price_minor",
         "either"),
        ({"stock": -1}, "stock", "from 0"),
        ({"stock": True}, "stock", "valid integer"),
        ({"sku": "t-1"}, "sku", "Another variant"),
        ({"sku": "s" * 65}, "sku", "at most 64"),
        ({"options": {"Size": 3}}, "options.Size", "valid string"),
        ({"options": ["Size", "M"]}, "options", "valid dictionary"),
        ({"options": {"Size": "M"}}, "options", "exactly these options"),
    ],
)
def test_cat_1_api_variant_bad_input(api, product, overrides, field, fragment):
    payload = {"sku": "T-9", "options": {"Size": "XL"}, "price_minor": 100, "stock": 1}
    payload = {k: v for k, v in (payload | overrides).items() if v is not None}
    response = api.post(f"/products/{product.pk}/variants", payload)
    assert_error(response, 422, "validation_error", field, fragment)
    assert product.variants.count() == 1


# --- images -------------------------------------------------------------------------------------------


def test_cat_1_api_image_upload(api, product):
    response = api.upload(f"/products/{product.pk}/images",
                          {"image": jpeg_upload((1200, 900)), "alt_text": "Front"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"], body["alt_text"]) == (1200, 900, "Front")
    assert body["thumbnail_url"].endswith("-thumb.webp") and body["url"].endswith(".jpg")
    detail = api.get(f"/products/{product.pk}").json()
    assert [i["id"] for i in detail["images"]] == [body["id"]]
    response = api.patch(f"/products/{product.pk}/images/{body['id']}", {"alt_text": "Side"})
    assert response.json()["alt_text"] == "Side"
    assert api.delete(f"/products/{product.pk}/images/{body['id']}").status_code == 204
    assert not product.images.exists()


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"image": upload(b"plain text pretending", "fake.jpg")}, "not a picture"),
        ({"image": upload(image_bytes("PNG", (150, 150)), "small.png")}, "at least 200"),
        ({"image": upload(image_bytes("JPEG", (600, 600))[:300], "cut.jpg")}, "damaged"),
        ({}, "required"),
    ],
)
def test_cat_1_api_image_upload_bad(api, product, files, fragment):
    response = api.upload(f"/products/{product.pk}/images", files)
    assert_error(response, 422, response.json()["code"], "image", fragment)
    assert not product.images.exists()


def test_cat_1_api_image_upload_oversize(api, product, settings):
    settings.HMONG_POLICY = {"product_image_max_bytes": 10_000}
    response = api.upload(f"/products/{product.pk}/images",
                          {"image": upload(image_bytes("PNG", (500, 500), noise=True), "b.png")})
    assert_error(response, 422, "invalid_image", "image", "MB")


def test_cat_1_api_image_alt_text_too_long(api, product):
    response = api.upload(f"/products/{product.pk}/images",
                          {"image": jpeg_upload(), "alt_text": "a" * 201})
    assert_error(response, 422, "validation_error", "alt_text", "at most 200")


# --- shipping methods ------------------------------------------------------------------------------------


def test_cat_1_api_shipping_methods_and_estimates(api, store):
    response = api.post("/shipping-methods", {"name": "Registered", "carrier": "Thailand Post",
                                              "price": {"amount": 350, "currency": "USD"}})
    assert response.status_code == 201, response.content
    method = response.json()
    assert (method["price"], method["is_tracked"], method["estimates"]) == (
        {"amount": 350, "currency": "USD"}, True, [])

    response = api.put(f"/shipping-methods/{method['id']}/estimates/us",
                       {"min_days": 8, "max_days": 15})
    assert response.json() == {"country": "US", "min_days": 8, "max_days": 15}
    response = api.put(f"/shipping-methods/{method['id']}/estimates/ROW",
                       {"min_days": 15, "max_days": 45})
    assert response.json()["country"] == "ROW"
    listed = api.get("/shipping-methods").json()
    assert [e["country"] for e in listed[0]["estimates"]] == ["ROW", "US"]

    response = api.patch(f"/shipping-methods/{method['id']}", {"price_minor": 0,
                                                                "is_tracked": False})
    assert (response.json()["price_minor"], response.json()["is_tracked"]) == (0, False)

    assert api.delete(f"/shipping-methods/{method['id']}/estimates/US").status_code == 204
    assert_error(api.delete(f"/shipping-methods/{method['id']}/estimates/US"), 404,
                 "not_found")
    assert api.delete(f"/shipping-methods/{method['id']}").status_code == 204
    assert not store.shipping_methods.exists()


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"carrier": "EMS"}, "name", "required"),
        ({"name": "", "carrier": "EMS"}, "name", "required"),
        ({"name": "A", "carrier": "EMS", "price_minor": -5}, "price_minor", "negative"),
        ({"name": "A", "carrier": "EMS", "currency": "ZZZ"}, "currency", "not a currency"),
        ({"name": "A", "carrier": "EMS", "price": {"amount": 5, "currency": "EUR"}},
         "price.currency", "USD"),
        ({"name": "A", "carrier": "EMS", "is_tracked": "sometimes"}, "is_tracked", "boolean"),
        ({"name": "A" * 81, "carrier": "EMS"}, "name", "at most 80"),
    ],
)
def test_cat_1_api_shipping_method_bad_input(api, store, payload, field, fragment):
    assert_error(api.post("/shipping-methods", payload), 422, "validation_error", field,
                 fragment)
    assert not store.shipping_methods.exists()


@pytest.mark.parametrize(
    ("country", "payload", "field", "fragment"),
    [
        ("XX", {"min_days": 1, "max_days": 2}, "country", "country code"),
        ("ROW", {"min_days": 5, "max_days": 2}, "max_days", "shorter"),
        ("ROW", {"min_days": 0, "max_days": 2}, "min_days", "from 1 to 120"),
        ("ROW", {"min_days": 1, "max_days": 121}, "max_days", "from 1 to 120"),
        ("ROW", {"min_days": 1}, "max_days", "required"),
        ("ROW", {"min_days": "one", "max_days": 2}, "min_days", "valid integer"),
    ],
)
def test_cat_1_api_estimate_bad_input(api, store, country, payload, field, fragment):
    method = ShippingMethodFactory(store=store)
    response = api.put(f"/shipping-methods/{method.pk}/estimates/{country}", payload)
    assert_error(response, 422, "validation_error", field, fragment)
    assert not method.estimates.exists()


def test_cat_1_api_product_list_queries_do_not_grow_with_products(api, store):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/products").status_code == 200
        return len(queries)

    method = ShippingMethodFactory(store=store)
    first = ProductFactory(store=store, variants=[{"price_minor": 1, "stock": 1},
                                                  {"price_minor": 2, "stock": 1}])
    first.shipping_methods.add(method)
    ProductImageFactory(product=first)
    count()  # the token's first use records last_used_at
    one = count()
    for _ in range(4):
        product = ProductFactory(store=store, variants=[{"price_minor": 1, "stock": 1},
                                                        {"price_minor": 2, "stock": 1}])
        product.shipping_methods.add(method)
        ProductImageFactory(product=product)
    assert count() == one


def test_cat_1_api_schema_lists_seller_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/seller/products/{product_id}/images" in paths
    assert "/api/v1/seller/shipping-methods/{method_id}/estimates/{country}" in paths
