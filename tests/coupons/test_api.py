"""The buyer coupons API (CPN-4 collect and My Coupons, CPN-5 preview, CPN-6 refusal codes) and
the checkout API taking the chosen promotions and codes; bad input answered 4xx, never 500."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from coupons.models import CollectedCoupon, Kind, Promotion, Redemption
from orders.models import Order
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _at_t0():
    with time_machine.travel(T0, tick=False):
        yield


def send(method, path, body=None, *, user=None, raw=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    call = getattr(client, method)
    if raw is not None:
        return call(API + path, data=raw, content_type="application/json")
    if body is None:
        return call(API + path)
    return call(API + path, data=json.dumps(body), content_type="application/json")


def error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["message"]
    if code:
        assert body["code"] == code, body
    return body


@pytest.fixture
def shop(db):
    store = store_make()
    return store, sellable(store, price=3_000)


def test_cpn4_collect_once_and_my_coupons_grouped(shop):
    store, _ = shop
    buyer, _ = buyer_make()
    running = promotion_make(Kind.STORE_COUPON, store=store)
    later = promotion_make(
        Kind.PLATFORM_COUPON, starts_at=T0 + dt.timedelta(days=1), ends_at=T0 + dt.timedelta(days=3)
    )
    assert send("post", f"/coupons/{running.pk}/collect", user=buyer).status_code == 201
    assert send("post", f"/coupons/{running.pk}/collect", user=buyer).status_code == 200
    assert send("post", f"/coupons/{later.pk}/collect", user=buyer).status_code == 201
    assert CollectedCoupon.objects.filter(user=buyer).count() == 2
    assert Promotion.objects.get(pk=running.pk).collected_count == 1
    ended = promotion_make(Kind.STORE_COUPON, store=store, collect_for=buyer)
    Promotion.objects.filter(pk=ended.pk).update(
        starts_at=T0 - dt.timedelta(days=9), ends_at=T0 - dt.timedelta(days=1)
    )
    used = promotion_make(Kind.STORE_COUPON, store=store, collect_for=buyer)
    other_buyer, address = buyer_make()
    order = Order.objects.create(
        number="X1",
        buyer=buyer,
        store=store,
        currency="USD",
        ship_first_name="A",
        ship_last_name="B",
        ship_line1="x",
        ship_city="y",
        ship_country="US",
        ship_phone="1",
        processing_days=3,
        placed_at=T0,
    )
    Redemption.objects.create(promotion=used, user=buyer, order=order, amount_minor=1, created_at=T0)
    body = send("get", "/coupons/mine", user=buyer).json()
    assert [c["promotion_id"] for c in body["valid"]] == [running.pk]
    assert [c["promotion_id"] for c in body["not_yet_active"]] == [later.pk]
    assert [c["promotion_id"] for c in body["expired"]] == [ended.pk]
    assert [c["promotion_id"] for c in body["used"]] == [used.pk]
    assert body["expired"][0]["status_code"] == "expired"


def test_cpn4_collect_refusals_and_bad_input(shop):
    store, _ = shop
    buyer, _ = buyer_make()
    gone = promotion_make(Kind.STORE_COUPON, store=store, total_stock=1)
    Promotion.objects.filter(pk=gone.pk).update(redeemed_count=1)
    error(send("post", f"/coupons/{gone.pk}/collect", user=buyer), 409, "out_of_stock")
    code = promotion_make(Kind.STORE_CODE, store=store)
    error(send("post", f"/coupons/{code.pk}/collect", user=buyer), 404, "unknown_coupon")  # codes are typed
    error(send("post", "/coupons/999999/collect", user=buyer), 404)
    assert send("post", "/coupons/0/collect", user=buyer).status_code == 422
    assert send("post", "/coupons/abc/collect", user=buyer).status_code == 422
    assert send("post", f"/coupons/{gone.pk}/collect").status_code == 401
    assert send("get", "/coupons/mine").status_code == 401


@pytest.mark.parametrize(
    "setup,expected",
    [
        ({"min_spend_minor": 3_001}, (422, "min_spend_not_met")),
        ({"starts_at": T0 + dt.timedelta(seconds=1)}, (422, "not_yet_active")),
        ({"ends_at": T0}, (422, "expired")),
        ({"eligible_users": "followers"}, (422, "not_for_this_user")),
        ({"total_stock": 0}, (409, "out_of_stock")),
        ({"paused": True}, (422, "paused")),
    ],
)
def test_cpn6_check_code_refusal_codes(shop, setup, expected):
    store, variant = shop
    buyer, _ = buyer_make()
    cart_add(buyer, variant)
    fields = {"starts_at": T0 - dt.timedelta(days=1), **setup}
    promotion_make(Kind.STORE_CODE, store=store, code="SPRING10", **fields)
    status, code = expected
    body = error(send("post", "/coupons/check-code", {"code": "spring10"}, user=buyer), status, code)
    assert body["fields"]["code"]


def test_cpn6_check_code_other_reasons_and_normalisation(shop):
    store, variant = shop
    buyer, _ = buyer_make()
    cart_add(buyer, variant)
    other_product = sellable(store, price=10)
    promotion_make(Kind.STORE_CODE, store=store, code="ONLYTHAT", products=[other_product.product])
    error(
        send("post", "/coupons/check-code", {"code": "onlythat"}, user=buyer), 422, "not_for_these_products"
    )
    promotion_make(Kind.PLATFORM_CODE, code="WELCOME5", amount_minor=500)
    ok = send("post", "/coupons/check-code", {"code": "  wel come5 "}, user=buyer)
    assert ok.status_code == 200 and ok.json()["code"] == "WELCOME5" and ok.json()["applies"] is True
    error(send("post", "/coupons/check-code", {"code": "NOSUCH"}, user=buyer), 404, "unknown_code")
    error(send("post", "/coupons/check-code", {"code": "!!"}, user=buyer), 422, "invalid_code")
    error(send("post", "/coupons/check-code", {"code": ""}, user=buyer), 422, "invalid_code")
    assert send("post", "/coupons/check-code", {"code": 5}, user=buyer).status_code == 422
    assert send("post", "/coupons/check-code", raw="{nope", user=buyer).status_code in (400, 422)


def test_cpn6_check_code_already_used(shop):
    store, variant = shop
    buyer, address = buyer_make()
    cart_add(buyer, variant)
    promotion_make(Kind.STORE_CODE, store=store, code="ONCE")
    body = {"address_id": address.pk, "idempotency_key": "c1", "codes": ["once"]}
    assert send("post", "/checkout", body, user=buyer).status_code == 201
    cart_add(buyer, variant)
    error(send("post", "/coupons/check-code", {"code": "ONCE"}, user=buyer), 409, "already_used")


def test_cpn5_preview_preselects_best_lists_alternatives_and_the_checkout_takes_the_switch(shop):
    store, variant = shop
    buyer, address = buyer_make()
    cart_add(buyer, variant)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, amount_minor=500, collect_for=buyer)
    code = promotion_make(Kind.STORE_CODE, store=store, code="TWO", amount_minor=200)
    late = promotion_make(
        Kind.STORE_COUPON, store=store, collect_for=buyer, starts_at=T0 + dt.timedelta(days=1)
    )
    body = send("post", "/coupons/checkout-preview", {"codes": ["two"]}, user=buyer).json()
    assert body["best"]["promotion_ids"] == [coupon.pk]
    assert body["best"]["saving"][0]["amount_minor"] == 500
    assert body["reason"]
    assert [code.pk] in [alt["promotion_ids"] for alt in body["alternatives"]]
    assert {(n["promotion_id"], n["code"]) for n in body["not_applicable"]} == {(late.pk, "not_yet_active")}
    picked = send(
        "post", "/coupons/checkout-preview", {"codes": ["two"], "promotion_ids": [code.pk]}, user=buyer
    )
    assert picked.json()["picked"]["orders"][0]["discount_minor"] == 200
    placed = send(
        "post",
        "/checkout",
        {"address_id": address.pk, "idempotency_key": "c1", "codes": ["two"], "promotion_ids": [code.pk]},
        user=buyer,
    )
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(buyer=buyer)
    assert (order.discount_total_minor, order.total_minor) == (200, 3_300)


def test_cpn6_checkout_api_refusals_and_bad_input(shop):
    store, variant = shop
    buyer, address = buyer_make()
    cart_add(buyer, variant)
    coupon = promotion_make(Kind.STORE_COUPON, store=store, min_spend_minor=10_000, collect_for=buyer)
    base = {"address_id": address.pk, "idempotency_key": "c1"}
    body = error(
        send("post", "/checkout", {**base, "promotion_ids": [coupon.pk]}, user=buyer),
        422,
        "min_spend_not_met",
    )
    assert "promotion_ids" in body["fields"]
    error(
        send("post", "/checkout", {**base, "promotion_ids": [987654]}, user=buyer), 422, "unknown_promotion"
    )
    error(send("post", "/checkout", {**base, "codes": ["nope"]}, user=buyer), 422, "unknown_code")
    assert send("post", "/checkout", {**base, "promotion_ids": ["x"]}, user=buyer).status_code == 422
    assert send("post", "/checkout", {**base, "codes": ["x" * 41]}, user=buyer).status_code == 422
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "window,ok",
    [
        ((T0, T0 + dt.timedelta(days=1)), True),  # starts this very second
        ((T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(days=1)), False),  # one second too early
        ((T0 - dt.timedelta(days=1), T0 + dt.timedelta(seconds=1)), True),  # ends in one second
        ((T0 - dt.timedelta(days=1), T0), False),  # ended this very second
    ],
)
def test_cpn2_validity_edges_through_the_api(shop, window, ok):
    store, variant = shop
    buyer, _ = buyer_make()
    cart_add(buyer, variant)
    promotion_make(Kind.STORE_CODE, store=store, code="EDGE", starts_at=window[0], ends_at=window[1])
    response = send("post", "/coupons/check-code", {"code": "edge"}, user=buyer)
    assert (response.status_code == 200) is ok, response.content
