"""The Free Return API (RET-1…RET-3, HLP-4): what it answers, the permission matrix over every
endpoint × {anonymous, other buyer, other seller, buyer, seller, staff}, and bad input."""

import json

import pytest
import time_machine
from django.test import Client

from returns.models import ReturnRequest
from returns.states import ReturnState
from tests.factories import StoreFactory, UserFactory
from tests.returns.factories import DAY, RECEIVED_AT, SECOND, SHIPPED_AT, ReturnShop

pytestmark = pytest.mark.django_db
API = "/api/v1"
AT = RECEIVED_AT + DAY


def call(method, path, body=None, *, user=None, at=AT, raw=None):
    with time_machine.travel(at, tick=False):
        client = Client()
        if user is not None:
            client.force_login(user)
        send = getattr(client, method)
        if raw is not None:
            return send(API + path, data=raw, content_type="application/json")
        if body is None:
            return send(API + path)
        return send(API + path, data=json.dumps(body), content_type="application/json")


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert body["fields"].get(field), body
    return body


def create_body(shop, order, quantity=1, **extra):
    return {"lines": [{"line_id": shop.line(order).pk, "quantity": quantity}], **extra}


def test_ret1_create_list_get(shop):
    order = shop.order()
    listing = call("get", f"/orders/{order.number}/returns", user=shop.buyer).json()
    eligibility = listing["eligibility"]
    assert eligibility["allowed"] and eligibility["next_is_free"] and eligibility["provider"] == "parcelpoint"
    assert eligibility["lines"] == [
        {
            "line_id": shop.line(order).pk,
            "product_title": shop.line(order).product_title,
            "quantity": 3,
            "units_left": 3,
        }
    ]
    response = call("post", f"/orders/{order.number}/returns", create_body(shop, order, 2), user=shop.buyer)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "code_issued" and body["is_free"] and not body["buyer_pays_shipping"]
    assert body["return_code"].startswith("RT-") and "ParcelPoint" in body["return_point"]
    assert [line["quantity"] for line in body["lines"]] == [2]
    assert body["events"][0]["kind"] == "code_issued"
    got = call("get", f"/returns/{body['id']}", user=shop.buyer).json()
    assert got["id"] == body["id"] and got["order"] == order.number
    listing = call("get", f"/orders/{order.number}/returns", user=shop.buyer).json()
    assert [r["id"] for r in listing["returns"]] == [body["id"]]
    assert listing["eligibility"]["next_is_free"] is False


def test_ret2_second_return_needs_the_cost_accepted(shop):
    order = shop.order()
    call("post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer)
    refused = call("post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer)
    assert_error(refused, 422, "paid_return_not_accepted", "accept_paid_shipping")
    ok = call(
        "post",
        f"/orders/{order.number}/returns",
        create_body(shop, order, accept_paid_shipping=True),
        user=shop.buyer,
    )
    assert ok.status_code == 201 and ok.json()["buyer_pays_shipping"] is True
    assert ok.json()["buyer_accepted_cost_at"] is not None


def test_hlp4_refusal_carries_the_rule_reason_and_date(shop):
    order = shop.order(receive=False)
    early = SHIPPED_AT + DAY
    listing = call("get", f"/orders/{order.number}/returns", user=shop.buyer, at=early).json()
    eligibility = listing["eligibility"]
    assert not eligibility["allowed"] and eligibility["code"] == "not_received_yet"
    assert eligibility["rule"] == "RET-1" and eligibility["reason"]
    assert eligibility["available_from"].startswith(order.promised_delivery_at.date().isoformat())
    refused = call(
        "post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer, at=early
    )
    body = assert_error(refused, 403, "not_received_yet")
    assert body["message"] == eligibility["reason"]


def test_ret1_window_through_the_api(shop):
    order = shop.order()
    end = RECEIVED_AT + 15 * DAY
    late = call(
        "post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer, at=end + SECOND
    )
    assert_error(late, 403, "window_passed")
    ok = call(
        "post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer, at=end - SECOND
    )
    assert ok.status_code == 201


def test_cancel_before_drop_off(shop):
    order = shop.order()
    created = call(
        "post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer
    ).json()
    done = call("post", f"/returns/{created['id']}/cancel", user=shop.buyer)
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    assert_error(call("post", f"/returns/{created['id']}/cancel", user=shop.buyer), 403, "return_finished")


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": "all"}, "lines"),
        ({"lines": [{"line_id": "abc", "quantity": 1}]}, "lines.0.line_id"),
        ({"lines": [{"line_id": 1}]}, "lines.0.quantity"),
        ({"lines": [{"line_id": 1, "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"line_id": 1, "quantity": -2}]}, "lines.0.quantity"),
        ({"lines": [{"line_id": 1, "quantity": 10**9}]}, "lines.0.quantity"),
        ({"lines": [{"line_id": 0, "quantity": 1}]}, "lines.0.line_id"),
        ({"lines": [{"line_id": 1, "quantity": 1}], "accept_paid_shipping": "maybe"}, "accept_paid_shipping"),
    ],
)
def test_bad_input_is_422_with_a_field_message(shop, body, field):
    order = shop.order()
    assert_error(
        call("post", f"/orders/{order.number}/returns", body, user=shop.buyer), 422, "validation_error", field
    )
    assert not ReturnRequest.objects.exists()


def test_bad_input_lines_of_the_order(shop):
    order = shop.order((shop.free, 1), (shop.plain, 1))
    other = shop.order()
    for line_id, quantity in (
        (shop.line(other).pk, 1),
        (shop.line(order, shop.plain).pk, 1),
        (shop.line(order).pk, 2),
    ):
        body = {"lines": [{"line_id": line_id, "quantity": quantity}]}
        assert_error(
            call("post", f"/orders/{order.number}/returns", body, user=shop.buyer),
            422,
            "validation_error",
            f"lines.{line_id}",
        )
    twice = {"lines": [{"line_id": shop.line(order).pk, "quantity": 1}] * 2}
    assert_error(
        call("post", f"/orders/{order.number}/returns", twice, user=shop.buyer),
        422,
        "validation_error",
        "lines.1.line_id",
    )
    assert_error(call("post", f"/orders/{order.number}/returns", raw=b"{nope", user=shop.buyer), 400)
    assert_error(call("get", "/returns/abc", user=shop.buyer), 422)
    assert_error(call("get", "/returns/0", user=shop.buyer), 422)
    assert_error(call("get", f"/orders/{'9' * 41}/returns", user=shop.buyer), 422)
    assert not ReturnRequest.objects.exists()


# --- the permission matrix ----------------------------------------------------------------------

ROLES = ("anonymous", "other_buyer", "other_seller", "buyer", "seller", "staff")
# fmt: off
#                     anonymous other_buyer other_seller buyer seller staff
MATRIX = {
    "order_list":     (401,     404,        404,         200,  200,   200),
    "order_create":   (401,     404,        404,         201,  403,   403),
    "return_get":     (401,     404,        404,         200,  200,   200),
    "return_cancel":  (401,     404,        404,         200,  403,   403),
}
# fmt: on


@pytest.fixture
def world(shop):
    order = shop.order()
    request = call(
        "post", f"/orders/{order.number}/returns", create_body(shop, order), user=shop.buyer
    ).json()
    other_store = StoreFactory()
    people = {
        "anonymous": None,
        "other_buyer": ReturnShop().buyer,
        "other_seller": other_store.owner,
        "buyer": shop.buyer,
        "seller": shop.seller,
        "staff": UserFactory(is_staff=True),
    }
    return shop, order, request, people


@pytest.mark.parametrize("endpoint", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, endpoint, role):
    shop, order, request, people = world
    user = people[role]
    before = ReturnRequest.objects.values_list("pk", "state").order_by("pk")
    before = list(before)
    if endpoint == "order_list":
        response = call("get", f"/orders/{order.number}/returns", user=user)
    elif endpoint == "order_create":
        body = create_body(shop, order, accept_paid_shipping=True)
        response = call("post", f"/orders/{order.number}/returns", body, user=user, at=AT + SECOND)
    elif endpoint == "return_get":
        response = call("get", f"/returns/{request['id']}", user=user)
    else:
        response = call("post", f"/returns/{request['id']}/cancel", user=user)
    expected = MATRIX[endpoint][ROLES.index(role)]
    assert response.status_code == expected, (endpoint, role, response.content)
    if expected >= 400:
        assert set(response.json()) == {"code", "message", "fields"}
        assert list(ReturnRequest.objects.values_list("pk", "state").order_by("pk")) == before


def test_unknown_order_and_return_are_404(shop):
    assert_error(call("get", "/orders/NOPE/returns", user=shop.buyer), 404)
    assert_error(call("get", "/returns/999999", user=shop.buyer), 404)
    assert ReturnState.CODE_ISSUED  # the module's states import is used
