"""The cart API (ORD-1: the cart grouped by store, one future order each): list, add, change,
remove — with stock checked, price changes shown, and bad input answered 4xx in the one
error shape with nothing changed."""

import json

import pytest
from django.test import Client

from cart.models import CartLine
from catalog.models import Product, Variant
from tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/cart"


def send(method: str, path: str, body=None, *, user=None, raw: str | None = None):
    client = Client()
    if user is not None:
        client.force_login(user)
    call = getattr(client, method)
    if raw is not None:
        return call(API + path, data=raw, content_type="application/json")
    if body is None:
        return call(API + path)
    return call(API + path, data=json.dumps(body), content_type="application/json")


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in body["fields"], body
        assert all(isinstance(m, str) and m for m in body["fields"][field])
    return body


def lines(user) -> list[tuple[int, int]]:
    return list(CartLine.objects.filter(user=user).order_by("pk").values_list("variant_id", "quantity"))


@pytest.fixture
def buyer():
    return UserFactory()


@pytest.fixture
def variant():
    return ProductFactory(variants=[{"price_minor": 2500, "stock": 5}]).variants.get()


def test_ORD_1_an_empty_cart(buyer):
    # RULE ORD-1
    body = send("get", "/", user=buyer).json()
    assert body == {"stores": [], "count": 0, "has_problems": False, "is_empty": True}


def test_ORD_1_the_cart_is_grouped_by_store_with_subtotals(buyer, variant):
    # RULE ORD-1
    other = ProductFactory(store=StoreFactory(name="Another store"),
                           variants=[{"price_minor": 1000, "stock": 9}]).variants.get()
    first = send("post", "/lines", {"variant_id": variant.pk, "quantity": 2}, user=buyer)
    assert first.status_code == 201, first.content
    merged = send("post", "/lines", {"variant_id": variant.pk, "quantity": 1}, user=buyer)
    assert merged.status_code == 200  # added to the line already there
    send("post", "/lines", {"variant_id": other.pk, "quantity": 1}, user=buyer)

    body = send("get", "/", user=buyer).json()
    assert body["count"] == 4 and body["is_empty"] is False and body["has_problems"] is False
    groups = {g["store"]["id"]: g for g in body["stores"]}
    mine = groups[variant.product.store_id]
    (line,) = mine["lines"]
    assert line["variant"]["id"] == variant.pk and line["quantity"] == 3
    assert line["unit_price"] == {"amount": 2500, "currency": "USD"}
    assert line["line_total"] == {"amount": 7500, "currency": "USD"}
    assert line["max_quantity"] == 5 and line["stock_state"] == "low_stock"  # 5 left
    assert line["problem"] is None and line["price_change"] is None
    assert line["product"]["url"]
    assert mine["subtotals"] == [{"amount": 7500, "currency": "USD"}]
    assert groups[other.product.store_id]["subtotals"] == [{"amount": 1000, "currency": "USD"}]


def test_the_cart_shows_a_price_change_and_a_vanished_product(buyer, variant):
    send("post", "/lines", {"variant_id": variant.pk, "quantity": 1}, user=buyer)
    Variant.objects.filter(pk=variant.pk).update(price_minor=2000)
    line = send("get", "/", user=buyer).json()["stores"][0]["lines"][0]
    assert line["price_change"] == "dropped"
    assert line["price_seen"] == {"amount": 2500, "currency": "USD"}
    assert line["unit_price"] == {"amount": 2000, "currency": "USD"}
    Product.objects.filter(pk=variant.product_id).update(is_active=False)
    body = send("get", "/", user=buyer).json()
    line = body["stores"][0]["lines"][0]
    assert body["has_problems"] is True
    assert line["stock_state"] == "no_longer_sold" and line["available"] is False
    assert line["problem"]
    assert body["stores"][0]["subtotals"] == []  # what cannot be bought is not counted


def test_change_and_remove_a_line(buyer, variant):
    send("post", "/lines", {"variant_id": variant.pk, "quantity": 1}, user=buyer)
    line_id = CartLine.objects.get(user=buyer).pk
    changed = send("patch", f"/lines/{line_id}", {"quantity": 4}, user=buyer)
    assert changed.status_code == 200, changed.content
    assert changed.json()["stores"][0]["lines"][0]["quantity"] == 4
    removed = send("delete", f"/lines/{line_id}", user=buyer)
    assert removed.status_code == 204
    assert lines(buyer) == []
    assert_error(send("delete", f"/lines/{line_id}", user=buyer), 404, "not_found")


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"variant_id": "{v}", "quantity": "2"}, 422, "validation_error", "quantity"),
        ({"variant_id": "{v}", "quantity": 1.5}, 422, "validation_error", "quantity"),
        ({"variant_id": "{v}", "quantity": True}, 422, "validation_error", "quantity"),
        ({"variant_id": "{v}", "quantity": 0}, 422, "invalid_quantity", "quantity"),
        ({"variant_id": "{v}", "quantity": -1}, 422, "invalid_quantity", "quantity"),
        ({"variant_id": "{v}", "quantity": 1000}, 422, "invalid_quantity", "quantity"),
        ({"variant_id": "{v}", "quantity": 10**30}, 422, "invalid_quantity", "quantity"),
        ({"variant_id": "{v}", "quantity": 6}, 409, "not_enough_stock", "quantity"),
        ({"variant_id": "{v}", "quantity": 4}, 409, "not_enough_stock", "quantity"),  # 2 + 4 > 5
        ({"variant_id": 999_999, "quantity": 1}, 422, "validation_error", "variant_id"),
        ({"variant_id": "abc", "quantity": 1}, 422, "validation_error", "variant_id"),
        ({"variant_id": 0, "quantity": 1}, 422, "validation_error", "variant_id"),
        ({"variant_id": 2**64, "quantity": 1}, 422, "validation_error", "variant_id"),
        ({"quantity": 1}, 422, "validation_error", "variant_id"),
        ("inactive", 409, "unavailable", "variant_id"),
        ("out_of_stock", 409, "out_of_stock", "variant_id"),
    ],
)
def test_ORD_1_bad_additions_are_refused_and_change_nothing(buyer, variant, body, status, code,
                                                            field):
    # RULE ORD-1
    CartLine.objects.create(user=buyer, variant=variant, quantity=2, price_seen_minor=2500)
    if body == "inactive":
        Variant.objects.filter(pk=variant.pk).update(is_active=False)
        body = {"variant_id": variant.pk, "quantity": 1}
    elif body == "out_of_stock":
        Variant.objects.filter(pk=variant.pk).update(stock=0)
        body = {"variant_id": variant.pk, "quantity": 1}
    elif body.get("variant_id") == "{v}":
        body = {**body, "variant_id": variant.pk}
    before = lines(buyer)
    assert_error(send("post", "/lines", body, user=buyer), status, code, field)
    assert lines(buyer) == before


@pytest.mark.parametrize(
    "quantity, status, code",
    [("3", 422, "validation_error"), (2.5, 422, "validation_error"), (None, 422, "validation_error"),
     (0, 422, "invalid_quantity"), (6, 409, "not_enough_stock")],
)
def test_bad_quantity_changes_are_refused_and_change_nothing(buyer, variant, quantity, status,
                                                             code):
    line = CartLine.objects.create(user=buyer, variant=variant, quantity=2, price_seen_minor=2500)
    assert_error(send("patch", f"/lines/{line.pk}", {"quantity": quantity}, user=buyer), status,
                 code, "quantity")
    assert lines(buyer) == [(variant.pk, 2)]


def test_someone_elses_line_is_not_found_and_does_not_change(buyer, variant):
    stranger_line = CartLine.objects.create(user=UserFactory(), variant=variant, quantity=2,
                                            price_seen_minor=2500)
    assert_error(send("patch", f"/lines/{stranger_line.pk}", {"quantity": 1}, user=buyer), 404,
                 "not_found")
    assert_error(send("delete", f"/lines/{stranger_line.pk}", user=buyer), 404, "not_found")
    assert CartLine.objects.get(pk=stranger_line.pk).quantity == 2
    assert_error(send("patch", f"/lines/{2**64}", {"quantity": 1}, user=buyer), 422,
                 "validation_error")
    assert send("get", "/", user=buyer).json()["is_empty"] is True  # not in my cart either


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(buyer, variant):
    assert_error(send("post", "/lines", raw="{oops", user=buyer), 400, "bad_request")
    assert lines(buyer) == []


@pytest.mark.parametrize(
    "method, path, body",
    [("get", "/", None), ("post", "/lines", {"variant_id": 1, "quantity": 1}),
     ("patch", "/lines/1", {"quantity": 1}), ("delete", "/lines/1", None)],
)
def test_the_cart_api_needs_a_signed_in_person(method, path, body):
    assert_error(send(method, path, body), 401, "not_authenticated")
