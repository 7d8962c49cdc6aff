"""The orders JSON API (ORD-1…ORD-8, BP-1, BP-4, RFD-2, HLP-4, PAY-5): checkout, pay, the
buyer's and the seller's actions, the `deadlines` and `actions` blocks with exact UTC
instants, and bad input that answers 4xx in the one error shape and changes nothing.

The object-permission matrix is in test_api_permissions.py; the helpers here are shared
with it.
"""

import datetime as dt
import json
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from accounts.models import ApiToken
from cart.models import CartLine
from catalog.models import Product, Variant
from core.models import Holiday
from deadlines.models import Deadline
from deadlines.worker import deadlines_fire_due
from orders.models import Checkout, Order, TrackingEvent
from orders.services import (
    checkout_pay,
    checkout_place,
    extension_request,
    order_mark_shipped,
    order_request_cancellation,
)
from payments.models import Payment, Refund
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.tasks import run_pending_tasks

pytestmark = pytest.mark.django_db

API = "/api/v1"
T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Chicago (business zone)
SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# --- helpers (also used by test_api_permissions.py) ---------------------------------------------


def z(instant: dt.datetime) -> str:
    """An instant as the API writes it: UTC with a Z."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def call(method: str, path: str, body=None, *, user=None, at: dt.datetime = T0, raw=None,
         token: str | None = None):
    """One API request as `user` (None: anonymous) with the site's clock at `at`."""
    with time_machine.travel(at, tick=False):
        client = Client()
        if user is not None:
            client.force_login(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        send = getattr(client, method)
        if raw is not None:
            return send(API + path, data=raw, content_type="application/json", **headers)
        if body is None:
            return send(API + path, **headers)
        return send(API + path, data=json.dumps(body), content_type="application/json", **headers)


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """A 4xx in the one error shape, with a message for `field` when given."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in body["fields"], body
        assert body["fields"][field] and all(isinstance(m, str) and m for m in body["fields"][field])
    return body


@dataclass
class Shop:
    buyer: object
    address: object
    seller: object
    store: object
    variant: Variant


def sellable(store, *, price=2500, stock=5, processing_days=7, max_days=20) -> Variant:
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, carrier="Thailand Post")
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=max_days)
    product = ProductFactory(store=store, processing_days=processing_days,
                             variants=[{"price_minor": price, "stock": stock}])
    product.shipping_methods.add(method)
    return product.variants.get()


def make_shop(**kwargs) -> Shop:
    buyer = UserFactory()
    store = StoreFactory()
    return Shop(buyer=buyer, address=AddressFactory(user=buyer), seller=store.owner, store=store,
                variant=sellable(store, **kwargs))


def place(shop: Shop, *, qty=1, key="k1", now=T0) -> Order:
    CartLine.objects.create(user=shop.buyer, variant=shop.variant, quantity=qty,
                            price_seen_minor=shop.variant.price_minor)
    checkout = checkout_place(buyer=shop.buyer, address=shop.address, idempotency_key=key, now=now)
    return checkout.orders.get()


def pay(order: Order, *, now=T0) -> Order:
    checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key=f"pay-{order.pk}",
                 now=now)
    return Order.objects.get(pk=order.pk)


def ship(order: Order, *, now) -> Order:
    return order_mark_shipped(order=order, seller=order.store.owner, carrier="Thailand Post",
                              tracking_number="EX123456789TH", now=now)


PAID_AT = T0
SHIPPED_AT = T0 + 2 * DAY  # Wednesday 2026-11-04 15:00 UTC
PST = SHIPPED_AT + 20 * DAY  # the delivery estimate is 20 days


def order_in(shop: Shop, situation: str) -> tuple[Order, dt.datetime]:
    """An order in `situation` and an instant at which to act on it."""
    order = place(shop)
    if situation == "unpaid":
        return order, T0 + HOUR
    order = pay(order, now=PAID_AT)
    if situation == "paid":
        return order, T0 + HOUR
    if situation == "cancellation_pending":
        order_request_cancellation(order=order, buyer=shop.buyer, reason="Ordered twice",
                                   now=T0 + HOUR)
        return order, T0 + 2 * HOUR
    order = ship(order, now=SHIPPED_AT)
    if situation == "shipped":
        return order, SHIPPED_AT + HOUR
    if situation == "late":
        return order, PST + HOUR
    if situation == "extension_pending":
        extension_request(order=order, buyer=shop.buyer, days=10, reason="Not here yet",
                          now=PST + HOUR)
        return order, PST + 2 * HOUR
    raise ValueError(situation)


def snapshot(order: Order) -> dict:
    """Everything an action could change on an order."""
    fresh = Order.objects.get(pk=order.pk)
    return {
        "row": {f.attname: getattr(fresh, f.attname) for f in Order._meta.concrete_fields},
        "events": list(fresh.events.values_list("pk", flat=True)),
        "refunds": list(fresh.refunds.values_list("pk", flat=True)),
        "cancellations": list(fresh.cancellation_requests.values_list("pk", "status")),
        "extensions": list(fresh.extension_requests.values_list("pk", "status")),
        "tracking": list(fresh.tracking_events.values_list("pk", flat=True)),
        "deadlines": list(
            Deadline.objects.filter(subject_type="order", subject_id=order.pk)
            .order_by("pk").values_list("pk", "kind", "status", "due_at")
        ),
    }


@pytest.fixture
def shop(db) -> Shop:
    return make_shop()


# --- OpenAPI -------------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_order_and_cart_paths(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/cart/", "/api/v1/cart/lines", "/api/v1/cart/lines/{line_id}",
        "/api/v1/checkout", "/api/v1/checkout/{checkout_id}", "/api/v1/checkout/{checkout_id}/pay",
        "/api/v1/orders", "/api/v1/orders/{number}", "/api/v1/orders/{number}/cancel",
        "/api/v1/orders/{number}/cancellation-request", "/api/v1/orders/{number}/confirm-receipt",
        "/api/v1/orders/{number}/extension-request",
        "/api/v1/seller/orders", "/api/v1/seller/orders/{number}",
        "/api/v1/seller/orders/{number}/ship",
        "/api/v1/seller/orders/{number}/cancellation-request/answer",
        "/api/v1/seller/orders/{number}/extension-request/answer",
        "/api/v1/seller/orders/{number}/tracking-events",
        "/api/v1/seller/store",  # the seller center's router still answers beside ours
    ):
        assert path in paths, path
    detail = paths["/api/v1/orders/{number}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"]["$ref"].endswith("BuyerOrderOut")


# --- checkout (ORD-1) ----------------------------------------------------------------------------


def test_ORD_1_checkout_makes_one_order_per_store_each_with_its_payment_window(shop):
    # RULE ORD-1
    other_store = StoreFactory()
    second = sellable(other_store, price=1000, stock=3, processing_days=12)
    assert call("post", "/cart/lines", {"variant_id": shop.variant.pk, "quantity": 2},
                user=shop.buyer).status_code == 201
    assert call("post", "/cart/lines", {"variant_id": second.pk, "quantity": 1},
                user=shop.buyer).status_code == 201

    response = call("post", "/checkout", {"address_id": shop.address.pk, "idempotency_key": "abc"},
                    user=shop.buyer)
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["orders"]) == 2
    by_store = {o["store"]["id"]: o for o in body["orders"]}
    mine = by_store[shop.store.pk]
    assert mine["state"] == "awaiting_payment" and mine["state_label"] == "Awaiting payment"
    assert mine["total"] == {"amount": 2 * 2500 + 500, "currency": "USD"}
    assert mine["item_count"] == 2
    # ORD-3: 24 hours to pay, as an absolute UTC instant with its rule and party.
    assert mine["deadlines"] == [{"kind": "payment_window", "label": "Pay by",
                                  "due_at": "2026-11-03T15:00:00Z", "rule": "ORD-3",
                                  "party": "buyer"}]
    assert body["totals"] == [{"amount": 5500 + 1500, "currency": "USD"}]
    assert body["payments"] == []
    assert Variant.objects.get(pk=shop.variant.pk).stock == 3
    assert not CartLine.objects.filter(user=shop.buyer).exists()

    # A double submit: the same key answers 200 with the same checkout and creates nothing.
    again = call("post", "/checkout", {"address_id": shop.address.pk, "idempotency_key": "abc"},
                 user=shop.buyer, at=T0 + SECOND)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Order.objects.count() == 2 and Checkout.objects.count() == 1

    got = call("get", f"/checkout/{body['id']}", user=shop.buyer)
    assert got.status_code == 200 and got.json()["id"] == body["id"]


def _cart(shop: Shop, qty: int = 1) -> None:
    CartLine.objects.create(user=shop.buyer, variant=shop.variant, quantity=qty,
                            price_seen_minor=shop.variant.price_minor)


def _checkout_state(shop: Shop) -> tuple:
    return (
        Order.objects.count(),
        Checkout.objects.count(),
        list(CartLine.objects.filter(user=shop.buyer).values_list("variant_id", "quantity")),
        Variant.objects.get(pk=shop.variant.pk).stock,
    )


@pytest.mark.parametrize(
    "case, status, code, field",
    [
        ("empty_cart", 422, "empty_cart", None),
        ("missing_address", 422, "validation_error", "address_id"),
        ("address_id_as_text", 422, "validation_error", "address_id"),
        ("someone_elses_address", 422, "invalid_address", "address_id"),
        ("unknown_address", 422, "invalid_address", "address_id"),
        ("address_without_full_name", 422, "incomplete_name", "address_id"),
        ("vanished_variant", 409, "cart_problems", "items.{variant}"),
        ("unlisted_product", 409, "cart_problems", "items.{variant}"),
        ("deleted_product", 422, "empty_cart", None),
        ("not_enough_stock", 409, "cart_problems", "items.{variant}"),
        ("empty_key", 422, "invalid", "idempotency_key"),
        ("key_too_long", 422, "invalid", "idempotency_key"),
        ("no_delivery_there", 409, "no_delivery", "address_id"),
    ],
)
def test_ORD_1_bad_checkouts_answer_4xx_and_change_nothing(shop, case, status, code, field):
    # RULE ORD-1
    body = {"address_id": shop.address.pk, "idempotency_key": "k"}
    if case != "empty_cart":
        _cart(shop, qty=2)
    if case == "missing_address":
        del body["address_id"]
    elif case == "address_id_as_text":
        body["address_id"] = str(shop.address.pk)
    elif case == "someone_elses_address":
        body["address_id"] = AddressFactory().pk
    elif case == "unknown_address":
        body["address_id"] = 999_999
    elif case == "address_without_full_name":
        body["address_id"] = AddressFactory(user=shop.buyer, last_name="  ").pk
    elif case == "vanished_variant":
        Variant.objects.filter(pk=shop.variant.pk).update(is_active=False)
    elif case == "unlisted_product":
        Product.objects.filter(pk=shop.variant.product_id).update(is_active=False)
    elif case == "deleted_product":
        shop.variant.product.delete()  # the cart line goes with it
    elif case == "not_enough_stock":
        Variant.objects.filter(pk=shop.variant.pk).update(stock=1)
    elif case == "empty_key":
        body["idempotency_key"] = ""
    elif case == "key_too_long":
        body["idempotency_key"] = "k" * 65
    elif case == "no_delivery_there":
        body["address_id"] = AddressFactory(user=shop.buyer, country="FR").pk
        shop.variant.product.shipping_methods.get().estimates.update(country="US")
    before = _checkout_state(shop) if case != "deleted_product" else None
    response = call("post", "/checkout", body, user=shop.buyer)
    assert_error(response, status, code, field and field.format(variant=shop.variant.pk))
    assert Order.objects.count() == 0 and Checkout.objects.count() == 0
    if before is not None:
        assert _checkout_state(shop) == before


def test_checkout_with_a_body_that_is_not_json_is_a_4xx_in_the_error_shape(shop):
    _cart(shop)
    response = call("post", "/checkout", raw="{not json", user=shop.buyer)
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields"}
    assert Order.objects.count() == 0


# --- pay (PAY-5, ORD-4) ------------------------------------------------------------------------------


def test_PAY_5_paying_starts_the_ORD_4_ship_by_countdown_and_a_repeat_charges_once(shop):
    # RULE PAY-5, ORD-4
    order = place(shop)
    path = f"/checkout/{order.checkout_id}/pay"
    response = call("post", path, {"token": SUCCESS_TOKEN, "idempotency_key": "p1"},
                    user=shop.buyer, at=T0 + HOUR)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"] == []  # nothing left to pay
    (row,) = body["orders"]
    assert row["state"] == "awaiting_shipment"
    assert row["paid_at"] == "2026-11-02T16:00:00Z"
    # 7 business days from Monday 10:00 Chicago: the next Wednesday, same wall time.
    ship_by = {"kind": "ship_by", "label": "Ship by", "due_at": "2026-11-11T16:00:00Z",
               "rule": "ORD-4", "party": "seller"}
    assert row["deadlines"] == [ship_by]
    assert [p["state"] for p in body["payments"]] == ["succeeded"]

    again = call("post", path, {"token": SUCCESS_TOKEN, "idempotency_key": "p1"},
                 user=shop.buyer, at=T0 + HOUR + SECOND)
    assert again.status_code == 200
    assert again.json()["orders"][0]["deadlines"] == [ship_by]
    assert Payment.objects.count() == 1


def test_a_declined_card_answers_402_and_the_order_keeps_waiting_for_payment(shop):
    order = place(shop)
    path = f"/checkout/{order.checkout_id}/pay"
    before = snapshot(order)
    declined = call("post", path, {"token": "tok_declined", "idempotency_key": "p1"},
                    user=shop.buyer, at=T0 + HOUR)
    assert_error(declined, 402, "payment_failed", "token")
    assert snapshot(order) == before
    assert Payment.objects.get().state == Payment.State.FAILED
    ok = call("post", path, {"token": SUCCESS_TOKEN, "idempotency_key": "p2"}, user=shop.buyer,
              at=T0 + HOUR)
    assert ok.status_code == 200
    assert Order.objects.get(pk=order.pk).state == "awaiting_shipment"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"token": "", "idempotency_key": "p"}, "token"),
        ({"idempotency_key": "p"}, "token"),
        ({"token": SUCCESS_TOKEN}, "idempotency_key"),
        ({"token": SUCCESS_TOKEN, "idempotency_key": "p" * 65}, "idempotency_key"),
        ({"token": SUCCESS_TOKEN, "idempotency_key": 12}, "idempotency_key"),
    ],
)
def test_PAY_5_bad_payment_input_is_422_and_changes_nothing(shop, body, field):
    # RULE PAY-5
    order = place(shop)
    before = snapshot(order)
    response = call("post", f"/checkout/{order.checkout_id}/pay", body, user=shop.buyer)
    assert_error(response, 422, "validation_error", field)
    assert snapshot(order) == before and not Payment.objects.exists()


def test_paying_a_checkout_with_nothing_left_to_pay_is_409(shop):
    order = place(shop)
    call("post", f"/orders/{order.number}/cancel", user=shop.buyer)
    response = call("post", f"/checkout/{order.checkout_id}/pay",
                    {"token": SUCCESS_TOKEN, "idempotency_key": "late"}, user=shop.buyer)
    assert_error(response, 409, "nothing_to_pay")
    assert not Payment.objects.exists()


# --- the order page's `deadlines` and `actions` (BP-1, HLP-4) --------------------------------------


def _action(allowed, code="ok", reason="", available_from=None, rule=""):
    return {"allowed": allowed, "code": code, "reason": reason, "available_from": available_from,
            "rule": rule}


def test_HLP_4_an_unpaid_order_shows_its_payment_window_and_why_each_other_action_waits(shop):
    # RULE HLP-4
    order = place(shop)
    body = call("get", f"/orders/{order.number}", user=shop.buyer, at=T0 + HOUR).json()
    assert body["deadlines"] == [{"kind": "payment_window", "label": "Pay by",
                                  "due_at": "2026-11-03T15:00:00Z", "rule": "ORD-3",
                                  "party": "buyer"}]
    actions = body["actions"]
    assert actions["cancel"] == _action(True, rule="ORD-3")
    assert actions["request_cancellation"]["allowed"] is False
    assert actions["request_cancellation"]["code"] == "not_paid"
    assert actions["request_cancellation"]["rule"] == "ORD-3"
    assert actions["confirm_receipt"]["code"] == "not_shipped"
    assert actions["confirm_receipt"]["rule"] == "ORD-7"
    assert actions["request_extension"]["code"] == "not_shipped"
    assert actions["request_extension"]["rule"] == "BP-4"
    assert body["totals"] == {"items": {"amount": 2500, "currency": "USD"},
                              "shipping": {"amount": 500, "currency": "USD"},
                              "discount": {"amount": 0, "currency": "USD"},  # CPN-5
                              "total": {"amount": 3000, "currency": "USD"}}
    assert body["address"]["full_name"] == "Mai Vang"
    assert body["lines"][0]["unit_price"] == {"amount": 2500, "currency": "USD"}
    assert body["events"][0]["kind"] == "placed" and body["events"][0]["actor"] == "buyer"
    assert body["placed_at"] == "2026-11-02T15:00:00Z"
    assert body["close_reason"] == "" and body["close_reason_label"] == ""


def test_BP_1_a_shipped_order_shows_PST_and_protection_end_and_BP_4_available_from(shop):
    # RULE BP-1, BP-4
    order, _ = order_in(shop, "shipped")
    body = call("get", f"/orders/{order.number}", user=shop.buyer, at=PST - SECOND).json()
    assert body["state_label"] == "The seller has shipped your order"  # ORD-6 wording
    assert body["shipped_at"] == "2026-11-04T15:00:00Z"
    assert body["promised_delivery_at"] == "2026-11-24T15:00:00Z"  # PST = shipment + 20 days
    assert body["protection_ends_at"] == "2026-12-09T15:00:00Z"  # PST + 15 days (BP-2)
    assert body["deadlines"] == [{"kind": "protection_end", "label": "Buyer protection ends",
                                  "due_at": "2026-12-09T15:00:00Z", "rule": "BP-1",
                                  "party": "buyer"}]
    # One second before PST: not yet late, and the API says from when (BP-4, HLP-4).
    ext = body["actions"]["request_extension"]
    assert ext["allowed"] is False and ext["code"] == "not_late_yet"
    assert ext["available_from"] == "2026-11-24T15:00:00Z" and ext["rule"] == "BP-4"
    assert body["actions"]["confirm_receipt"] == _action(True, rule="ORD-7")
    assert body["actions"]["request_cancellation"]["code"] == "already_shipped"
    links = {link["name"]: link["url"] for link in body["shipping"]["tracking_links"]}
    assert "EX123456789TH" in links["Cainiao"] and "EX123456789TH" in links["17track"]
    assert "thailandpost" in links["Thailand Post"]
    at_pst = call("get", f"/orders/{order.number}", user=shop.buyer, at=PST).json()
    assert at_pst["actions"]["request_extension"] == _action(True, rule="BP-4")


def test_ORD_4_ship_by_skips_the_weekend_and_a_holiday(db):
    # RULE ORD-4
    shop = make_shop(processing_days=1)
    friday = dt.datetime(2026, 11, 6, 15, 0, tzinfo=dt.UTC)
    Holiday.objects.create(date=dt.date(2026, 11, 9), name="A holiday on Monday")
    order = place(shop, now=friday)
    call("post", f"/checkout/{order.checkout_id}/pay",
         {"token": SUCCESS_TOKEN, "idempotency_key": "p"}, user=shop.buyer, at=friday)
    body = call("get", f"/seller/orders/{order.number}", user=shop.seller, at=friday).json()
    assert body["ship_by"] == "2026-11-10T15:00:00Z"  # Friday + 1 business day → Tuesday
    assert body["deadlines"][0] == {"kind": "ship_by", "label": "Ship by",
                                    "due_at": "2026-11-10T15:00:00Z", "rule": "ORD-4",
                                    "party": "seller"}
    assert body["actions"]["ship"] == _action(True, rule="ORD-6")
    assert body["actions"]["add_tracking"]["code"] == "not_shipped"


def test_ORD_4_after_the_ship_by_deadline_the_api_shows_the_close_reason_and_RFD_2_refund(shop):
    # RULE ORD-4, RFD-2
    order, _ = order_in(shop, "paid")
    due = Order.objects.get(pk=order.pk).ship_by
    assert z(due) == "2026-11-11T15:00:00Z"
    deadlines_fire_due(now=due - SECOND)
    assert call("get", f"/orders/{order.number}", user=shop.buyer,
                at=due - SECOND).json()["state"] == "awaiting_shipment"
    deadlines_fire_due(now=due)
    with time_machine.travel(due, tick=False):
        run_pending_tasks()  # the refund goes to the provider
    body = call("get", f"/orders/{order.number}", user=shop.buyer, at=due + SECOND).json()
    assert body["state"] == "closed"
    assert body["close_reason"] == "seller_ship_timeout"
    assert body["close_reason_label"] == "Seller ship timeout"
    assert body["closed_at"] == "2026-11-11T15:00:00Z"
    assert body["deadlines"] == []
    (refund,) = body["refunds"]
    assert refund["amount"] == {"amount": 3000, "currency": "USD"}
    assert refund["state"] == "succeeded" and refund["arn"]
    # RFD-2 / ORD-9: 3 to 20 business days from Wednesday 2026-11-11 09:00 Chicago.
    assert refund["arrives_from"] == "2026-11-16T15:00:00Z"
    assert refund["arrives_by"] == "2026-12-09T15:00:00Z"
    assert body["events"][-1]["reason"] == "Seller ship timeout"
    assert body["events"][-1]["actor"] == "system"


# --- buyer actions ---------------------------------------------------------------------------------


def test_ORD_3_the_buyer_cancels_an_unpaid_order_and_cancelling_twice_changes_nothing(shop):
    # RULE ORD-3
    order = place(shop, qty=2)
    response = call("post", f"/orders/{order.number}/cancel", user=shop.buyer, at=T0 + HOUR)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "closed" and body["close_reason"] == "buyer_cancelled_unpaid"
    assert body["close_reason_label"] == "Cancelled by the buyer before payment"
    assert body["deadlines"] == [] and body["refunds"] == []  # nothing was paid
    assert body["actions"]["cancel"]["allowed"] is False
    assert Variant.objects.get(pk=shop.variant.pk).stock == 5
    before = snapshot(order)
    twice = call("post", f"/orders/{order.number}/cancel", user=shop.buyer, at=T0 + 2 * HOUR)
    assert_error(twice, 403, "already_paid_or_closed")
    assert snapshot(order) == before


def test_ORD_3_a_paid_order_cannot_be_cancelled_directly(shop):
    # RULE ORD-3
    order, at = order_in(shop, "paid")
    before = snapshot(order)
    body = assert_error(call("post", f"/orders/{order.number}/cancel", user=shop.buyer, at=at),
                        403, "already_paid_or_closed")
    assert "not been paid" in body["message"]
    assert snapshot(order) == before


def test_ORD_5_cancellation_request_arms_the_48h_answer_deadline_and_the_seller_accepts(shop):
    # RULE ORD-5
    order, at = order_in(shop, "paid")
    response = call("post", f"/orders/{order.number}/cancellation-request",
                    {"reason": "I ordered the wrong colour"}, user=shop.buyer, at=at)
    assert response.status_code == 200, response.content
    body = response.json()
    answer_due = at + dt.timedelta(hours=48)
    assert {"kind": "cancellation_answer", "label": "Answer the cancellation request by",
            "due_at": z(answer_due), "rule": "ORD-5", "party": "seller"} in body["deadlines"]
    assert body["cancellation_requests"][0]["status"] == "pending"
    assert body["cancellation_requests"][0]["answer_due_at"] == z(answer_due)
    assert body["actions"]["request_cancellation"]["code"] == "request_pending"

    seller_view = call("get", f"/seller/orders/{order.number}", user=shop.seller, at=at).json()
    assert seller_view["actions"]["ship"]["code"] == "cancellation_pending"
    assert seller_view["actions"]["answer_cancellation"] == _action(True, rule="ORD-5")
    listed = call("get", "/seller/orders?needs_answer=true", user=shop.seller, at=at).json()
    assert [o["number"] for o in listed["items"]] == [order.number]
    assert listed["items"][0]["pending_cancellation"] is True

    accepted = call("post", f"/seller/orders/{order.number}/cancellation-request/answer",
                    {"accept": True, "note": "No problem"}, user=shop.seller, at=at + HOUR)
    assert accepted.status_code == 200, accepted.content
    closed = accepted.json()
    assert closed["state"] == "closed" and closed["close_reason"] == "cancelled_by_agreement"
    assert closed["refunds"][0]["amount"] == {"amount": 3000, "currency": "USD"}
    assert closed["deadlines"] == []
    assert Refund.objects.filter(order=order).count() == 1


def test_ORD_5_the_seller_refuses_and_the_order_goes_on(shop):
    # RULE ORD-5
    order, at = order_in(shop, "cancellation_pending")
    response = call("post", f"/seller/orders/{order.number}/cancellation-request/answer",
                    {"accept": False, "note": "Already packed"}, user=shop.seller, at=at)
    body = response.json()
    assert body["state"] == "awaiting_shipment"
    assert body["cancellation_requests"][0]["status"] == "refused"
    assert body["cancellation_requests"][0]["seller_note"] == "Already packed"
    assert [d["kind"] for d in body["deadlines"]] == ["ship_by"]
    assert body["actions"]["ship"] == _action(True, rule="ORD-6")
    again = call("post", f"/seller/orders/{order.number}/cancellation-request/answer",
                 {"accept": True}, user=shop.seller, at=at)
    assert_error(again, 403, "no_pending_request")


@pytest.mark.parametrize(
    "situation, body, status, code, field",
    [
        ("paid", {"reason": ""}, 422, "invalid", "reason"),
        ("paid", {"reason": "   "}, 422, "invalid", "reason"),
        ("paid", {"reason": "x" * 301}, 422, "invalid", "reason"),
        ("paid", {}, 422, "validation_error", "reason"),
        ("paid", {"reason": 5}, 422, "validation_error", "reason"),
        ("unpaid", {"reason": "changed my mind"}, 403, "not_paid", None),
        ("cancellation_pending", {"reason": "again"}, 403, "request_pending", None),
        ("shipped", {"reason": "too late"}, 403, "already_shipped", None),
    ],
)
def test_ORD_5_bad_cancellation_requests_change_nothing(shop, situation, body, status, code, field):
    # RULE ORD-5
    order, at = order_in(shop, situation)
    before = snapshot(order)
    response = call("post", f"/orders/{order.number}/cancellation-request", body,
                    user=shop.buyer, at=at)
    assert_error(response, status, code, field)
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "body, field",
    [({"accept": "yes"}, "accept"), ({}, "accept"), ({"accept": 1}, "accept"),
     ({"accept": True, "note": "n" * 301}, "note")],
)
def test_ORD_5_bad_answers_are_422_and_change_nothing(shop, body, field):
    # RULE ORD-5
    order, at = order_in(shop, "cancellation_pending")
    before = snapshot(order)
    response = call("post", f"/seller/orders/{order.number}/cancellation-request/answer", body,
                    user=shop.seller, at=at)
    assert_error(response, 422, "validation_error", field)
    assert snapshot(order) == before


def test_ORD_5_an_unanswered_request_goes_through_at_48h_not_a_second_before(shop):
    # RULE ORD-5
    order, at = order_in(shop, "cancellation_pending")
    due = T0 + HOUR + dt.timedelta(hours=48)
    deadlines_fire_due(now=due - SECOND)
    view = call("get", f"/orders/{order.number}", user=shop.buyer, at=due - SECOND).json()
    assert view["state"] == "awaiting_shipment"
    deadlines_fire_due(now=due)
    view = call("get", f"/orders/{order.number}", user=shop.buyer, at=due + SECOND).json()
    assert view["close_reason"] == "cancellation_unanswered"
    assert view["cancellation_requests"][0]["status"] == "expired"


def test_ORD_7_confirming_receipt_moves_protection_to_15_days_later(shop):
    # RULE ORD-7
    order, _ = order_in(shop, "shipped")
    at = SHIPPED_AT + 3 * DAY
    response = call("post", f"/orders/{order.number}/confirm-receipt", user=shop.buyer, at=at)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["received_at"] == z(at)
    assert body["protection_ends_at"] == z(at + 15 * DAY)  # BP-2: the earlier anchor wins
    assert body["deadlines"] == [{"kind": "protection_end", "label": "Buyer protection ends",
                                  "due_at": z(at + 15 * DAY), "rule": "BP-1", "party": "buyer"}]
    assert body["actions"]["confirm_receipt"]["code"] == "already_confirmed"
    before = snapshot(order)
    twice = call("post", f"/orders/{order.number}/confirm-receipt", user=shop.buyer, at=at)
    assert_error(twice, 403, "already_confirmed")
    assert snapshot(order) == before


@pytest.mark.parametrize("situation", ["unpaid", "paid"])
def test_ORD_7_confirming_receipt_of_an_unshipped_order_is_refused(shop, situation):
    # RULE ORD-7
    order, at = order_in(shop, situation)
    before = snapshot(order)
    response = call("post", f"/orders/{order.number}/confirm-receipt", user=shop.buyer, at=at)
    body = assert_error(response, 403, "not_shipped")
    assert "shipped" in body["message"]
    assert snapshot(order) == before


def test_BP_4_extension_one_second_before_PST_is_refused_at_PST_accepted_by_the_seller(shop):
    # RULE BP-4
    order, _ = order_in(shop, "shipped")
    path = f"/orders/{order.number}/extension-request"
    before = snapshot(order)
    early = call("post", path, {"days": 10}, user=shop.buyer, at=PST - SECOND)
    assert_error(early, 403, "not_late_yet")
    assert snapshot(order) == before

    response = call("post", path, {"days": 10, "reason": "Still not here"}, user=shop.buyer,
                    at=PST)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["extension_requests"][0]["days"] == 10
    assert body["extension_requests"][0]["status"] == "pending"
    assert body["actions"]["request_extension"]["code"] == "request_pending"
    seller_view = call("get", f"/seller/orders/{order.number}", user=shop.seller, at=PST).json()
    assert seller_view["actions"]["answer_extension"] == _action(True, rule="BP-4")

    accepted = call("post", f"/seller/orders/{order.number}/extension-request/answer",
                    {"accept": True}, user=shop.seller, at=PST + HOUR)
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["promised_delivery_at"] == z(PST + 10 * DAY)
    assert body["protection_ends_at"] == z(PST + 25 * DAY)
    assert body["shipping"]["extension_days"] == 10
    assert body["deadlines"] == [{"kind": "protection_end", "label": "Buyer protection ends",
                                  "due_at": z(PST + 25 * DAY), "rule": "BP-1", "party": "buyer"}]
    assert body["events"][-1]["kind"] == "extension_accepted"


def test_BP_4_a_refused_extension_changes_nothing_on_the_order(shop):
    # RULE BP-4
    order, at = order_in(shop, "extension_pending")
    row = snapshot(order)["row"]
    response = call("post", f"/seller/orders/{order.number}/extension-request/answer",
                    {"accept": False}, user=shop.seller, at=at)
    assert response.status_code == 200
    assert response.json()["extension_requests"][0]["status"] == "refused"
    assert snapshot(order)["row"] == row
    again = call("post", f"/seller/orders/{order.number}/extension-request/answer",
                 {"accept": True}, user=shop.seller, at=at)
    assert_error(again, 403, "no_pending_request")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"days": 0}, 422, "invalid_days"),
        ({"days": 61}, 422, "invalid_days"),
        ({"days": 365}, 422, "invalid_days"),
        ({"days": -3}, 422, "invalid_days"),
        ({"days": "5"}, 422, "validation_error"),
        ({"days": 1.5}, 422, "validation_error"),
        ({"days": True}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"days": 5, "reason": "r" * 301}, 422, "validation_error"),
    ],
)
def test_BP_4_bad_extension_days_are_422_with_a_field_message(shop, body, status, code):
    # RULE BP-4
    order, at = order_in(shop, "late")
    before = snapshot(order)
    response = call("post", f"/orders/{order.number}/extension-request", body, user=shop.buyer,
                    at=at)
    assert_error(response, status, code, "reason" if "reason" in body else "days")
    assert snapshot(order) == before


@pytest.mark.parametrize("situation, code", [("paid", "not_shipped"),
                                             ("extension_pending", "request_pending")])
def test_BP_4_extension_refused_by_the_rules_changes_nothing(shop, situation, code):
    # RULE BP-4
    order, at = order_in(shop, situation)
    before = snapshot(order)
    response = call("post", f"/orders/{order.number}/extension-request", {"days": 5},
                    user=shop.buyer, at=at)
    assert_error(response, 403, code)
    assert snapshot(order) == before


# --- seller actions (ORD-6) --------------------------------------------------------------------------


def test_ORD_6_the_seller_ships_with_carrier_and_tracking_number(shop):
    # RULE ORD-6
    order, at = order_in(shop, "paid")
    response = call("post", f"/seller/orders/{order.number}/ship",
                    {"carrier": "Thailand Post", "tracking_number": "EX123456789TH"},
                    user=shop.seller, at=at)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "shipped"
    assert body["shipped_at"] == z(at)
    assert body["promised_delivery_at"] == z(at + 20 * DAY)
    assert body["shipping"]["carrier"] == "Thailand Post"
    assert body["shipping"]["tracking_number"] == "EX123456789TH"
    assert body["actions"]["ship"]["code"] == "already_shipped"
    assert body["actions"]["add_tracking"] == _action(True, rule="ORD-6")
    assert body["deadlines"][0]["kind"] == "protection_end"
    before = snapshot(order)
    twice = call("post", f"/seller/orders/{order.number}/ship",
                 {"carrier": "Thailand Post", "tracking_number": "EX1"}, user=shop.seller, at=at)
    assert_error(twice, 403, "already_shipped")
    assert snapshot(order) == before


@pytest.mark.parametrize("situation, code", [("unpaid", "not_paid"),
                                             ("closed", "order_finished")])
def test_ORD_6_shipping_an_unpaid_or_closed_order_is_refused(shop, situation, code):
    # RULE ORD-6
    order, at = order_in(shop, "unpaid" if situation == "unpaid" else "paid")
    if situation == "closed":
        deadlines_fire_due(now=Order.objects.get(pk=order.pk).ship_by)  # ship timeout
        at = Order.objects.get(pk=order.pk).closed_at + HOUR
    before = snapshot(order)
    response = call("post", f"/seller/orders/{order.number}/ship",
                    {"carrier": "Thailand Post", "tracking_number": "EX123"}, user=shop.seller, at=at)
    assert_error(response, 403, code)
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"carrier": "", "tracking_number": "EX1"}, "carrier"),
        ({"carrier": "c" * 81, "tracking_number": "EX1"}, "carrier"),
        ({"carrier": "DHL", "tracking_number": ""}, "tracking_number"),
        ({"carrier": "DHL", "tracking_number": "EX 1; drop"}, "tracking_number"),
        ({"carrier": "DHL"}, "tracking_number"),
        ({"carrier": 7, "tracking_number": "EX1"}, "carrier"),
    ],
)
def test_ORD_6_bad_shipping_input_is_422_and_changes_nothing(shop, body, field):
    # RULE ORD-6
    order, at = order_in(shop, "paid")
    before = snapshot(order)
    response = call("post", f"/seller/orders/{order.number}/ship", body, user=shop.seller, at=at)
    assert_error(response, 422, None, field)
    assert snapshot(order) == before


def test_ORD_6_the_seller_adds_a_tracking_event_the_buyer_sees(shop):
    # RULE ORD-6
    order, at = order_in(shop, "shipped")
    response = call("post", f"/seller/orders/{order.number}/tracking-events",
                    {"status": "in_transit", "occurred_at": "2026-11-04T22:30:00+07:00",
                     "location": "Bangkok", "description": "Left the sorting centre"},
                    user=shop.seller, at=at)
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["status"] == "in_transit" and event["status_label"] == "In transit"
    assert event["occurred_at"] == "2026-11-04T15:30:00Z"  # stored and shown in UTC
    assert event["source"] == "seller"
    buyer_view = call("get", f"/orders/{order.number}", user=shop.buyer, at=at).json()
    assert [e["id"] for e in buyer_view["tracking_events"]] == [event["id"]]


@pytest.mark.parametrize(
    "situation, body, status, code, field",
    [
        ("shipped", {"status": "teleported", "occurred_at": "2026-11-04T16:00:00Z"}, 422,
         "validation_error", "status"),
        ("shipped", {"status": "in_transit", "occurred_at": "2026-11-04T16:00:00"}, 422,
         "validation_error", "occurred_at"),
        ("shipped", {"status": "in_transit", "occurred_at": "yesterday"}, 422,
         "validation_error", "occurred_at"),
        ("shipped", {"status": "in_transit"}, 422, "validation_error", "occurred_at"),
        ("shipped", {"status": "in_transit", "occurred_at": "2026-11-05T16:00:00Z"}, 422,
         "invalid", "occurred_at"),  # a day after the clock: in the future
        ("shipped", {"status": "in_transit", "occurred_at": "2026-11-04T16:00:00Z",
                     "location": "l" * 121}, 422, "validation_error", "location"),
        ("paid", {"status": "in_transit", "occurred_at": "2026-11-02T15:30:00Z"}, 409,
         "not_shipped", None),
    ],
)
def test_ORD_6_bad_tracking_events_change_nothing(shop, situation, body, status, code, field):
    # RULE ORD-6
    order, at = order_in(shop, situation)
    before = snapshot(order)
    response = call("post", f"/seller/orders/{order.number}/tracking-events", body,
                    user=shop.seller, at=at)
    assert_error(response, status, code, field)
    assert snapshot(order) == before
    assert not TrackingEvent.objects.exists()


# --- lists ----------------------------------------------------------------------------------------------


def test_BP_1_my_orders_lists_my_orders_with_their_countdowns_and_filters_by_state(shop):
    # RULE BP-1
    unpaid = place(shop, key="a")
    paid = pay(place(shop, key="b", now=T0 + HOUR), now=T0 + HOUR)
    other = make_shop()
    place(other, key="c")  # someone else's order never shows
    body = call("get", "/orders", user=shop.buyer, at=T0 + 2 * HOUR).json()
    assert set(body) == {"items", "count", "page", "pages", "page_size"}
    assert [o["number"] for o in body["items"]] == [paid.number, unpaid.number]  # newest first
    assert body["items"][0]["deadlines"][0]["kind"] == "ship_by"
    assert body["items"][1]["deadlines"][0]["due_at"] == "2026-11-03T15:00:00Z"
    only = call("get", "/orders?state=awaiting_payment", user=shop.buyer).json()
    assert [o["number"] for o in only["items"]] == [unpaid.number]
    paged = call("get", "/orders?page=2&page_size=1", user=shop.buyer).json()
    assert paged["count"] == 2 and paged["pages"] == 2
    assert [o["number"] for o in paged["items"]] == [unpaid.number]


@pytest.mark.parametrize(
    "query, field",
    [("state=lost", "state"), ("page=0", "page"), ("page_size=101", "page_size"),
     ("page=x", "page")],
)
def test_bad_list_filters_are_422(shop, query, field):
    assert_error(call("get", f"/orders?{query}", user=shop.buyer), 422, "validation_error", field)
    assert_error(call("get", f"/seller/orders?{query}", user=shop.seller), 422,
                 "validation_error", field)


def test_ORD_4_the_seller_list_puts_orders_to_ship_first_soonest_ship_by_first(db):
    # RULE ORD-4
    seller_shop = make_shop(processing_days=10)
    store = seller_shop.store
    slow = pay(place(seller_shop, key="slow"), now=T0)  # ship by T0 + 10 business days
    fast_shop = Shop(buyer=seller_shop.buyer, address=seller_shop.address, seller=store.owner,
                     store=store, variant=sellable(store, processing_days=2))
    fast = pay(place(fast_shop, key="fast", now=T0 + HOUR), now=T0 + HOUR)  # ship by T0+2bd+1h
    unpaid = place(fast_shop, key="unpaid", now=T0 + 2 * HOUR)
    closed = place(fast_shop, key="closed", now=T0 + 3 * HOUR)
    call("post", f"/orders/{closed.number}/cancel", user=seller_shop.buyer, at=T0 + 3 * HOUR)

    body = call("get", "/seller/orders", user=store.owner, at=T0 + 4 * HOUR).json()
    numbers = [o["number"] for o in body["items"]]
    assert numbers == [fast.number, slow.number, closed.number, unpaid.number]
    assert body["items"][0]["ship_by"] == "2026-11-04T16:00:00Z"
    assert body["items"][0]["deadlines"][0] == {"kind": "ship_by", "label": "Ship by",
                                                "due_at": "2026-11-04T16:00:00Z",
                                                "rule": "ORD-4", "party": "seller"}
    by_state = call("get", "/seller/orders?state=awaiting_payment", user=store.owner).json()
    assert [o["number"] for o in by_state["items"]] == [unpaid.number]
    oldest = call("get", "/seller/orders?sort=placed_at", user=store.owner).json()
    assert [o["number"] for o in oldest["items"]] == [slow.number, fast.number, unpaid.number,
                                                      closed.number]
    found = call("get", f"/seller/orders?q={fast.number[-6:]}", user=store.owner).json()
    assert fast.number in [o["number"] for o in found["items"]]
    assert_error(call("get", "/seller/orders?sort=price", user=store.owner), 422,
                 "validation_error", "sort")


def test_an_api_token_works_like_the_session(shop):
    order, at = order_in(shop, "unpaid")
    _, key = ApiToken.issue(shop.buyer)
    response = call("post", f"/orders/{order.number}/cancel", token=key, at=at)
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert_error(call("get", "/orders", token="wrong", at=at), 401, "not_authenticated")


def test_placing_a_checkout_needs_a_signed_in_person(shop):
    _cart(shop)
    response = call("post", "/checkout", {"address_id": shop.address.pk, "idempotency_key": "k"})
    assert_error(response, 401, "not_authenticated")
    assert Order.objects.count() == 0


def _queries(*args, **kwargs) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call(*args, **kwargs)
    assert response.status_code == 200, response.content
    return len(captured)


def test_the_lists_cost_the_same_number_of_queries_for_1_or_4_orders(shop):
    pay(place(shop, key="first"), now=T0)
    one_buyer = _queries("get", "/orders", user=shop.buyer, at=T0 + HOUR)
    one_seller = _queries("get", "/seller/orders", user=shop.seller, at=T0 + HOUR)
    for key in ("b", "c", "d"):
        pay(place(shop, key=key), now=T0)
    assert _queries("get", "/orders", user=shop.buyer, at=T0 + HOUR) == one_buyer
    assert _queries("get", "/seller/orders", user=shop.seller, at=T0 + HOUR) == one_seller


def test_ORD_2_the_timeline_shows_every_change_with_who_when_and_old_to_new(shop):
    # RULE ORD-2
    order = place(shop)
    call("post", f"/checkout/{order.checkout_id}/pay",
         {"token": SUCCESS_TOKEN, "idempotency_key": "p"}, user=shop.buyer, at=T0 + HOUR)
    call("post", f"/seller/orders/{order.number}/ship",
         {"carrier": "DHL", "tracking_number": "JD0001"}, user=shop.seller, at=SHIPPED_AT)
    call("post", f"/orders/{order.number}/confirm-receipt", user=shop.buyer, at=SHIPPED_AT + DAY)
    events = call("get", f"/orders/{order.number}", user=shop.buyer,
                  at=SHIPPED_AT + DAY).json()["events"]
    assert [(e["kind"], e["actor"], e["at"], e["from_state"], e["to_state"]) for e in events] == [
        ("placed", "buyer", "2026-11-02T15:00:00Z", "", "awaiting_payment"),
        ("paid", "system", "2026-11-02T16:00:00Z", "awaiting_payment", "awaiting_shipment"),
        ("shipped", "seller", "2026-11-04T15:00:00Z", "awaiting_shipment", "shipped"),
        ("receipt_confirmed", "buyer", "2026-11-05T15:00:00Z", "shipped", "shipped"),
    ]
    assert all(e["reason"] for e in events)
    assert events[2]["reason"] == "Shipped with DHL, tracking JD0001"


def test_ORD_8_the_security_review_closes_an_order_with_an_incomplete_name_and_refunds(shop):
    # RULE ORD-8
    order = place(shop)
    Order.objects.filter(pk=order.pk).update(ship_first_name="")  # as if changed after checkout
    response = call("post", f"/checkout/{order.checkout_id}/pay",
                    {"token": SUCCESS_TOKEN, "idempotency_key": "p"}, user=shop.buyer,
                    at=T0 + HOUR)
    assert response.status_code == 200, response.content
    (row,) = response.json()["orders"]
    assert row["state"] == "closed"
    assert row["close_reason"] == "security_incomplete_name"
    assert row["close_reason_label"] == (
        "Security review: incomplete name in the shipping address"
    )
    assert row["deadlines"] == []
    body = call("get", f"/orders/{order.number}", user=shop.buyer, at=T0 + HOUR).json()
    assert body["refunds"][0]["amount"] == {"amount": 3000, "currency": "USD"}
    assert body["events"][-1]["kind"] == "security_review"
