"""Wish list API (RULE WSH-1): /api/v1/wishlist/."""

import pytest

from accounts.models import ApiToken
from cart.models import CartLine
from tests.factories import UserFactory
from tests.wishlist.helpers import make_product, make_sized_product, set_price, set_stock
from wishlist.models import WishItem
from wishlist.services import wishlist_add

pytestmark = pytest.mark.django_db

URL = "/api/v1/wishlist/"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(client, user):
    """A client that sends the user's bearer token."""
    _, key = ApiToken.issue(user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def assert_error_shape(body, code):
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]


def test_wsh1_api_needs_authentication(client):
    product = make_product()
    for method, url, data in [
        ("get", URL, None),
        ("post", URL, {"product_id": product.pk}),
        ("delete", f"{URL}{product.pk}", None),
        ("post", f"{URL}{product.pk}/move-to-cart", {}),
    ]:
        response = getattr(client, method)(url, data=data, content_type="application/json")
        assert response.status_code == 401, (method, url)
        assert_error_shape(response.json(), "not_authenticated")
    bad_token = client.get(URL, HTTP_AUTHORIZATION="Bearer nope")
    assert bad_token.status_code == 401


def test_wsh1_api_list_with_price_change_and_availability(api, user):
    product = make_product(price=2500, stock=3, title="Batik scarf")
    wishlist_add(user=user, product=product)
    set_price(product, 2000)
    wishlist_add(user=UserFactory(), product=make_product(title="Not mine"))

    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert {"items", "count", "page", "pages", "page_size"} <= set(body)
    assert body["count"] == 1
    [item] = body["items"]
    assert item["product"]["id"] == product.pk
    assert item["product"]["title"] == "Batik scarf"
    assert item["product"]["store"]["name"] == product.store.name
    assert item["price"] == {"amount": 2000, "currency": "USD"}
    assert item["price_when_added"] == {"amount": 2500, "currency": "USD"}
    assert item["price_change"] == "dropped"
    assert item["available"] is True
    assert item["stock_state"] == "low_stock"
    assert item["stock_text"] == "Only 3 left"
    assert item["needs_variant_choice"] is False
    assert [v["id"] for v in item["variants"]] == [product.variants.get().pk]


def test_wsh1_api_list_paginates_and_rejects_bad_paging(api, user):
    for _ in range(3):
        wishlist_add(user=user, product=make_product())
    body = api.get(URL, {"page": 2, "page_size": 2}).json()
    assert (body["count"], body["page"], body["pages"], len(body["items"])) == (3, 2, 2, 1)
    for params, field in [
        ({"page": 0}, "page"),
        ({"page_size": 1000}, "page_size"),
        ({"page": "x"}, "page"),
    ]:
        response = api.get(URL, params)
        assert response.status_code == 422
        assert field in response.json()["fields"]


def test_wsh1_api_list_shows_no_longer_sold(api, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    product.is_active = False
    product.save()
    [item] = api.get(URL).json()["items"]
    assert item["available"] is False
    assert item["stock_state"] == "no_longer_sold"
    assert item["price"] is None


def test_wsh1_api_add_is_201_then_200(api, user):
    product = make_product(price=4200)
    response = api.post(URL, {"product_id": product.pk}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["price_when_added"] == {"amount": 4200, "currency": "USD"}
    again = api.post(URL, {"product_id": product.pk}, content_type="application/json")
    assert again.status_code == 200
    assert WishItem.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "This field is required."),
        ({"product_id": None}, None),
        ({"product_id": "abc"}, None),
        ({"product_id": "5"}, None),
        ({"product_id": 1.5}, None),
        ({"product_id": True}, None),
        ({"product_id": -1}, None),
        ({"product_id": 0}, None),
        ({"product_id": 10**30}, None),
        ({"product_id": 987654}, "No product with this id is for sale."),
    ],
)
def test_wsh1_api_add_bad_input_is_a_field_error(api, payload, message):
    response = api.post(URL, payload, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert list(body["fields"]) == ["product_id"]
    if message:
        assert body["fields"]["product_id"] == [message]
    assert not WishItem.objects.exists()


def test_wsh1_api_add_refuses_a_product_no_longer_sold(api):
    product = make_product(is_active=False)
    response = api.post(URL, {"product_id": product.pk}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["fields"]["product_id"] == ["No product with this id is for sale."]


def test_wsh1_api_add_with_a_broken_body(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields"}


def test_wsh1_api_delete(api, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    response = api.delete(f"{URL}{product.pk}")
    assert response.status_code == 204
    assert not WishItem.objects.exists()
    response = api.delete(f"{URL}{product.pk}")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")
    assert api.delete(f"{URL}999999").status_code == 404


def test_wsh1_api_delete_with_a_bad_id(api):
    response = api.delete(f"{URL}abc")
    assert response.status_code == 422
    assert "product_id" in response.json()["fields"]


def test_wsh1_api_cannot_delete_other_peoples_items(api):
    other, product = UserFactory(), make_product()
    wishlist_add(user=other, product=product)
    assert api.delete(f"{URL}{product.pk}").status_code == 404
    assert WishItem.objects.filter(user=other).count() == 1


def test_wsh1_api_move_to_cart_without_a_body(api, user):
    product = make_product(price=2500)
    wishlist_add(user=user, product=product)
    response = api.post(f"{URL}{product.pk}/move-to-cart", content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cart_line"]["variant_id"] == product.variants.get().pk
    assert body["cart_line"]["quantity"] == 1
    assert body["cart_line"]["unit_price"] == {"amount": 2500, "currency": "USD"}
    assert (body["cart_count"], body["wishlist_count"]) == (1, 0)


def test_wsh1_api_move_to_cart_with_a_variant(api, user):
    product = make_sized_product()
    wishlist_add(user=user, product=product)
    url = f"{URL}{product.pk}/move-to-cart"
    response = api.post(url, {}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "variant_required"
    assert "variant_id" in body["fields"]
    large = product.variants.get(options={"Size": "L"})
    response = api.post(url, {"variant_id": large.pk}, content_type="application/json")
    assert response.status_code == 200
    assert CartLine.objects.get(user=user).variant == large


@pytest.mark.parametrize("variant_id", ["abc", -1, 0, 999999, 10**30, 2.5])
def test_wsh1_api_move_to_cart_bad_variant(api, user, variant_id):
    product = make_sized_product()
    wishlist_add(user=user, product=product)
    response = api.post(
        f"{URL}{product.pk}/move-to-cart",
        {"variant_id": variant_id},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["variant_id"]
    assert not CartLine.objects.exists()


def test_wsh1_api_move_to_cart_refusals(api, user):
    product = make_product()
    response = api.post(f"{URL}{product.pk}/move-to-cart", content_type="application/json")
    assert response.status_code == 404  # not on the list
    wishlist_add(user=user, product=product)
    set_stock(product, 0)
    response = api.post(f"{URL}{product.pk}/move-to-cart", content_type="application/json")
    assert response.status_code == 409
    assert_error_shape(response.json(), "out_of_stock")
    assert WishItem.objects.filter(user=user).count() == 1


def test_wsh1_api_works_with_the_browser_session(client, user):
    client.force_login(user)
    product = make_product()
    response = client.post(URL, {"product_id": product.pk}, content_type="application/json")
    assert response.status_code == 201
    assert client.get(URL).json()["count"] == 1
