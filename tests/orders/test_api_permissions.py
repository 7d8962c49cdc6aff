"""Object-level permissions of the orders API: every order endpoint × every kind of caller.

A buyer sees and acts only on their own orders and checkouts (ORD-1…ORD-7, BP-4), a
seller only on their store's (ORD-4…ORD-6, BP-4); staff may read any order but the
actions stay with the parties (403 not_party); anything else that is not yours is 404
so its existence is not revealed; no credentials is 401. A refused call changes nothing.
"""

import itertools

import pytest

from orders.models import Order
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import UserFactory
from tests.orders.test_api import (
    HOUR,
    SHIPPED_AT,
    assert_error,
    call,
    make_shop,
    order_in,
    place,
    snapshot,
    z,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other_buyer", "other_seller", "counterparty", "owner", "staff")

# (method, path, body, the situation the order must be in, whose endpoint it is)
ENDPOINTS = {
    "buyer_list": ("get", "/orders", None, "paid", "buyer"),
    "buyer_detail": ("get", "/orders/{number}", None, "paid", "buyer"),
    "cancel": ("post", "/orders/{number}/cancel", None, "unpaid", "buyer"),
    "request_cancellation": ("post", "/orders/{number}/cancellation-request",
                             {"reason": "Ordered twice"}, "paid", "buyer"),
    "confirm_receipt": ("post", "/orders/{number}/confirm-receipt", None, "shipped", "buyer"),
    "request_extension": ("post", "/orders/{number}/extension-request", {"days": 5}, "late",
                          "buyer"),
    "checkout_detail": ("get", "/checkout/{checkout}", None, "unpaid", "buyer"),
    "checkout_pay": ("post", "/checkout/{checkout}/pay",
                     {"token": SUCCESS_TOKEN, "idempotency_key": "matrix"}, "unpaid", "buyer"),
    "seller_list": ("get", "/seller/orders", None, "paid", "seller"),
    "seller_detail": ("get", "/seller/orders/{number}", None, "paid", "seller"),
    "ship": ("post", "/seller/orders/{number}/ship",
             {"carrier": "Thailand Post", "tracking_number": "EX123456789TH"}, "paid", "seller"),
    "answer_cancellation": ("post", "/seller/orders/{number}/cancellation-request/answer",
                            {"accept": True}, "cancellation_pending", "seller"),
    "answer_extension": ("post", "/seller/orders/{number}/extension-request/answer",
                         {"accept": True}, "extension_pending", "seller"),
    "add_tracking": ("post", "/seller/orders/{number}/tracking-events",
                     {"status": "in_transit", "occurred_at": z(SHIPPED_AT + HOUR / 2)},
                     "shipped", "seller"),
}

# The expected status of each cell. Lists answer 200 to any signed-in person (their own
# orders; the order shows only to its owner); the seller list needs a store (409 no_store).
# `counterparty` is the other party of the same order: the seller on a buyer endpoint,
# the buyer on a seller endpoint.
#                        anonymous other_buyer other_seller counterparty owner staff
MATRIX = {
    "buyer_list":           (401,     200,        200,         200,       200,  200),
    "buyer_detail":         (401,     404,        404,         404,       200,  200),
    "cancel":               (401,     404,        404,         404,       200,  403),
    "request_cancellation": (401,     404,        404,         404,       200,  403),
    "confirm_receipt":      (401,     404,        404,         404,       200,  403),
    "request_extension":    (401,     404,        404,         404,       200,  403),
    "checkout_detail":      (401,     404,        404,         404,       200,  404),
    "checkout_pay":         (401,     404,        404,         404,       200,  404),
    "seller_list":          (401,     409,        200,         409,       200,  409),
    "seller_detail":        (401,     404,        404,         404,       200,  200),
    "ship":                 (401,     404,        404,         404,       200,  403),
    "answer_cancellation":  (401,     404,        404,         404,       200,  403),
    "answer_extension":     (401,     404,        404,         404,       200,  403),
    "add_tracking":         (401,     404,        404,         404,       201,  403),
}
EXPECTED = {name: dict(zip(ROLES, row, strict=True)) for name, row in MATRIX.items()}

CASES = [
    pytest.param(name, role, EXPECTED[name][role], id=f"{name}-{role}")
    for name, role in itertools.product(ENDPOINTS, ROLES)
]


def test_the_matrix_covers_every_order_endpoint_of_the_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    ours = {
        (method, path)
        for path, operations in paths.items()
        if path.startswith(("/api/v1/orders", "/api/v1/seller/orders", "/api/v1/checkout/"))
        for method in operations
    }
    covered = {
        (method, "/api/v1" + path.replace("{checkout}", "{checkout_id}"))
        for method, path, *_ in ENDPOINTS.values()
    }
    # The order's dispute, warranty and Free Return endpoints have their own matrices with the
    # same six callers: tests/disputes/test_api_permissions.py and tests/returns/test_api.py.
    from tests.disputes.test_api_permissions import ENDPOINTS as DISPUTE_ENDPOINTS

    covered |= {
        (method, "/api/v1" + path)
        for method, path, *_ in DISPUTE_ENDPOINTS.values()
        if path.startswith("/orders")
    }
    covered |= {("get", "/api/v1/orders/{number}/returns"), ("post", "/api/v1/orders/{number}/returns")}
    assert ours == covered


@pytest.mark.parametrize("endpoint, role, status", CASES)
def test_ORD_object_permission_matrix(endpoint, role, status):
    method, path, body, situation, side = ENDPOINTS[endpoint]
    shop = make_shop()
    order, at = order_in(shop, situation)
    other = make_shop()
    place(other)  # the other buyer and the other seller have an order of their own
    staff = UserFactory(is_staff=True)
    users = {
        "anonymous": None,
        "other_buyer": other.buyer,
        "other_seller": other.seller,
        "counterparty": shop.seller if side == "buyer" else shop.buyer,
        "owner": shop.buyer if side == "buyer" else shop.seller,
        "staff": staff,
    }
    before = snapshot(order)
    response = call(method, path.format(number=order.number, checkout=order.checkout_id), body,
                    user=users[role], at=at)

    if status >= 400:
        code = {401: "not_authenticated", 403: "not_party", 404: "not_found",
                409: "no_store"}[status]
        assert_error(response, status, code)
        assert snapshot(order) == before  # a refused call changes nothing
        return
    assert response.status_code == status, response.content
    data = response.json()
    if endpoint.endswith("_list"):  # the order shows only to its own buyer or seller
        listed = [row["number"] for row in data["items"]]
        assert (order.number in listed) == (role == "owner")
    elif endpoint.startswith("checkout"):
        assert [o["number"] for o in data["orders"]] == [order.number]
    elif endpoint != "add_tracking":
        assert data["number"] == order.number
    if method == "post":
        assert snapshot(order) != before
    if role == "staff" and "actions" in data:  # staff read, and are told they may not act
        assert all(not a["allowed"] and a["code"] == "not_party" for a in data["actions"].values())


def test_staff_read_any_order_but_the_order_does_not_change(db):
    shop = make_shop()
    order, at = order_in(shop, "paid")
    staff = UserFactory(is_staff=True)
    before = snapshot(order)
    for path in (f"/orders/{order.number}", f"/seller/orders/{order.number}"):
        body = call("get", path, user=staff, at=at).json()
        assert body["state"] == "awaiting_shipment"
    assert snapshot(order) == before
    inactive = UserFactory(is_staff=True, is_active=False)
    assert call("get", f"/orders/{order.number}", user=inactive, at=at).status_code == 401


def test_an_unknown_order_number_is_the_same_404_as_someone_elses(db):
    shop = make_shop()
    order, at = order_in(shop, "paid")
    stranger = UserFactory()
    unknown = call("get", "/orders/HA000000000000", user=stranger, at=at)
    theirs = call("get", f"/orders/{order.number}", user=stranger, at=at)
    assert unknown.status_code == theirs.status_code == 404
    assert unknown.json() == theirs.json()
    assert Order.objects.get(pk=order.pk).state == "awaiting_shipment"
