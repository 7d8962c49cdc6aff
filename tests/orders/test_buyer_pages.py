"""Buyer pages: checkout and payment (ORD-1, PAY-5), My Orders (BP-1) and the order page with its
actions (ORD-3, ORD-5, ORD-6, ORD-7, ORD-9, RFD-2, BP-4, HLP-4).

Pages read the clock through core.clock.now(); the tests travel with time-machine to the instants
that matter (one second either side of a deadline) and sign in again at each stop.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Address
from cart.models import CartLine
from catalog.models import Variant
from core.calendar import add_business_days
from orders.models import CancellationRequest, Checkout, ExtensionRequest, Order, OrderEvent, RequestStatus
from orders.selectors import order_countdown, remaining_text
from orders.services import (
    checkout_pay,
    checkout_place,
    order_mark_shipped,
    order_request_cancellation,
    tracking_event_record,
)
from orders.states import CloseReason, State
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

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
SECOND = dt.timedelta(seconds=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- helpers ------------------------------------------------------------------------------


def sellable(store, *, price=2500, stock=5, processing_days=7, max_days=20, country=""):
    """A variant of a new product of `store`, shipped by the store's method (to `country`, "" = anywhere)."""
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, carrier="USPS")
        DeliveryEstimateFactory(method=method, country=country, min_days=5, max_days=max_days)
    product = ProductFactory(
        store=store, processing_days=processing_days, variants=[{"price_minor": price, "stock": stock}]
    )
    product.shipping_methods.add(method)
    return product.variants.get()


def in_cart(buyer, *variants, qty=1):
    for variant in variants:
        CartLine.objects.create(
            user=buyer, variant=variant, quantity=qty, price_seen_minor=variant.price_minor
        )


@contextmanager
def at(client, user, instant):
    """Travel to `instant` (the clock stands still) and be signed in as `user` there."""
    with time_machine.travel(instant, tick=False):
        if user is not None:
            client.force_login(user)
        yield


def html_of(response) -> str:
    return response.content.decode()


def key_of(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def utc(instant: dt.datetime) -> str:
    """How the pages print an instant without JavaScript."""
    return f"{instant.astimezone(dt.UTC):%a} {instant.day} {instant.astimezone(dt.UTC):%b %Y, %H:%M} UTC"


def deadline_kinds(html: str) -> list[str]:
    return re.findall(r'data-deadline="([a-z_]+)"', html)


@pytest.fixture
def buyer():
    return UserFactory()


@pytest.fixture
def address(buyer):
    return AddressFactory(user=buyer, is_default=True)


def placed(buyer, address, *, now=T0, key="k1", **kwargs) -> Order:
    variant = sellable(StoreFactory(), **kwargs)
    in_cart(buyer, variant)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key=key, now=now)
    return checkout.orders.get()


def paid(buyer, address, *, now=T0, key="k1", **kwargs) -> Order:
    order = placed(buyer, address, now=now, key=key, **kwargs)
    checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key=f"pay-{key}", now=now)
    return Order.objects.get(pk=order.pk)


def shipped(buyer, address, *, now=T0, ship_at=None, key="k1", **kwargs) -> Order:
    order = paid(buyer, address, now=now, key=key, **kwargs)
    return order_mark_shipped(
        order=order,
        seller=order.store.owner,
        carrier="USPS",
        tracking_number="9400-1118-99223",
        now=ship_at or now + dt.timedelta(days=1),
    )


# --- checkout (ORD-1) -----------------------------------------------------------------------------


def test_ORD_1_checkout_requires_sign_in(client):
    response = client.get(reverse("checkout:start"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fcheckout%2F"
    response = client.post(reverse("checkout:start"), {"address": "1", "idempotency_key": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_ORD_1_checkout_page_shows_one_future_order_per_store_with_shipping_and_totals(
    client, buyer, address
):
    a, b = StoreFactory(name="Paj Ntaub House"), StoreFactory(name="Silver Lane")
    in_cart(buyer, sellable(a, price=1000), qty=2)
    in_cart(buyer, sellable(b, price=4500, processing_days=12, max_days=25))
    other = AddressFactory(user=buyer, city="Fresno")
    client.force_login(buyer)
    response = client.get(reverse("checkout:start"))
    html = html_of(response)
    assert response.status_code == 200
    assert "Order 1 of 2: Paj Ntaub House" in html and "Order 2 of 2: Silver Lane" in html
    # each store's shipping method and delivery estimate to the chosen address
    assert "The seller ships within 7 business days of payment; delivery then takes 5–20 days." in html
    assert "The seller ships within 12 business days of payment; delivery then takes 5–25 days." in html
    # per order: items + shipping ($5.00); overall per currency
    assert "$20.00" in html and "$25.00" in html and "$45.00" in html and "$50.00" in html
    assert 'Total to pay:</strong> <span class="price">$75.00</span>' in html
    # the default address is preselected, the other one offered, and a new one can be added
    assert f'id="address-{address.pk}" value="{address.pk}" checked' in html
    assert f'id="address-{other.pk}" value="{other.pk}"\n' in html
    assert 'name="new-first_name"' in html
    # a hidden idempotency key, fresh at each rendering
    first_key = key_of(html)
    assert first_key and first_key != key_of(html_of(client.get(reverse("checkout:start"))))
    assert "Place 2 orders</button>" in html and "disabled" not in html.split("Place 2 orders")[0][-120:]


def test_ORD_1_checkout_shows_price_changes_and_stock_problems_from_the_cart(client, buyer, address):
    store = StoreFactory()
    cheaper, scarce = sellable(store, price=3000), sellable(store, stock=1)
    in_cart(buyer, cheaper)
    in_cart(buyer, scarce, qty=3)
    Variant.objects.filter(pk=cheaper.pk).update(price_minor=2000)
    client.force_login(buyer)
    html = html_of(client.get(reverse("checkout:start")))
    assert "Price dropped since you added it (was $30.00)" in html
    assert "Only 1 left. Lower the quantity to 1 or less." in html
    assert "Fix or remove them in your cart" in html
    assert re.search(
        r'<button type="submit" name="place" value="1" disabled aria-describedby="place-why">', html
    )


def test_ORD_1_checkout_across_two_stores_then_pay_shows_the_orders(client, buyer, address):
    a, b = StoreFactory(), StoreFactory()
    va, vb = sellable(a, price=1000), sellable(b, price=2000)
    in_cart(buyer, va, vb)
    with at(client, buyer, T0):
        key = key_of(html_of(client.get(reverse("checkout:start"))))
        response = client.post(reverse("checkout:start"), {"address": address.pk, "idempotency_key": key})
    checkout = Checkout.objects.get(buyer=buyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:detail", args=[checkout.pk])
    orders = list(checkout.orders.order_by("store_id"))
    assert [o.store_id for o in orders] == [a.pk, b.pk]  # ORD-1: one order per store
    assert all(o.state == State.AWAITING_PAYMENT for o in orders)
    assert not CartLine.objects.filter(user=buyer).exists()

    with at(client, buyer, T0 + dt.timedelta(minutes=5)):
        response = client.get(response["Location"])
        html = html_of(response)
        assert "2 orders placed." in " ".join(str(m) for m in response.context["messages"])
        assert "Amount due" in html and "$40.00" in html  # 15.00 + 25.00
        assert f"Pay by {utc(T0 + dt.timedelta(hours=24)).replace(' UTC', '')}" not in html  # shown as <time>
        assert utc(T0 + dt.timedelta(hours=24)) in html
        assert "Pay with test card" in html and f'value="{SUCCESS_TOKEN}"' in html
        pay_key = key_of(html)
        response = client.post(
            reverse("checkout:pay", args=[checkout.pk]), {"token": SUCCESS_TOKEN, "idempotency_key": pay_key}
        )
        assert response.status_code == 302
        html = html_of(client.get(response["Location"]))
    assert Payment.objects.get(checkout=checkout).state == Payment.State.SUCCEEDED
    assert set(checkout.orders.values_list("state", flat=True)) == {State.AWAITING_SHIPMENT}
    assert "Amount due" not in html and "Your orders" in html
    for order in orders:
        assert reverse("orders:detail", args=[order.number]) in html
    assert html.count("Awaiting shipment") == 2 and deadline_kinds(html) == ["ship_by", "ship_by"]


def test_ORD_1_double_submitted_checkout_creates_one_set_of_orders(client, buyer, address):
    in_cart(buyer, sellable(StoreFactory()), sellable(StoreFactory()))
    client.force_login(buyer)
    data = {"address": address.pk, "idempotency_key": "same-key-twice"}
    first = client.post(reverse("checkout:start"), data)
    second = client.post(reverse("checkout:start"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Checkout.objects.count() == 1 and Order.objects.count() == 2


def test_PAY_5_double_submitted_payment_charges_once(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    url = reverse("checkout:pay", args=[order.checkout_id])
    data = {"token": SUCCESS_TOKEN, "idempotency_key": "pay-once"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert "This checkout is already paid." in html_of(again)
    assert Payment.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1


def test_PAY_2_declined_test_card_says_so_and_changes_nothing(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    response = client.post(
        reverse("checkout:pay", args=[order.checkout_id]), {"token": "tok_declined", "idempotency_key": "k"}
    )
    html = html_of(response)
    assert response.status_code == 402
    assert "Your card was declined and nothing was charged." in html
    assert "Pay with test card" in html  # try again, with a fresh key
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_PAYMENT
    assert not Payment.objects.filter(state=Payment.State.SUCCEEDED).exists()


def test_ORD_1_pay_form_errors_and_other_peoples_checkouts(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    url = reverse("checkout:pay", args=[order.checkout_id])
    response = client.post(url, {"token": "", "idempotency_key": ""})
    assert response.status_code == 422
    assert "Choose a card to pay with." in html_of(response)
    assert not Payment.objects.exists()
    client.force_login(UserFactory())
    assert client.get(reverse("checkout:detail", args=[order.checkout_id])).status_code == 404
    assert client.post(url, {"token": SUCCESS_TOKEN, "idempotency_key": "x"}).status_code == 404
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_PAYMENT


def _nothing_placed(buyer, cart_lines: int):
    assert not Checkout.objects.exists() and not Order.objects.exists()
    assert CartLine.objects.filter(user=buyer).count() == cart_lines


def test_ORD_1_empty_cart_is_refused_clearly(client, buyer, address):
    client.force_login(buyer)
    assert "Your cart is empty, so there is nothing to check out." in html_of(client.get("/checkout/"))
    response = client.post("/checkout/", {"address": address.pk, "idempotency_key": "e"})
    assert response.status_code == 422
    assert '<p class="field-error">Your cart is empty.</p>' in html_of(response)
    _nothing_placed(buyer, 0)


def test_ORD_1_out_of_stock_is_refused_and_stock_is_untouched(client, buyer, address):
    scarce = sellable(StoreFactory(), stock=1)
    in_cart(buyer, scarce, qty=2)
    client.force_login(buyer)
    response = client.post("/checkout/", {"address": address.pk, "idempotency_key": "s"})
    html = html_of(response)
    assert response.status_code == 409
    assert "Some items in your cart cannot be bought as they are." in html
    assert f"Only 1 left of {scarce.product.title}." in html
    assert Variant.objects.get(pk=scarce.pk).stock == 1
    _nothing_placed(buyer, 1)


def test_ORD_1_vanished_product_is_refused(client, buyer, address):
    gone = sellable(StoreFactory())
    in_cart(buyer, gone)
    gone.product.is_active = False
    gone.product.save(update_fields=["is_active"])
    client.force_login(buyer)
    response = client.post("/checkout/", {"address": address.pk, "idempotency_key": "v"})
    assert response.status_code == 409
    assert "This item is no longer sold; remove it from your cart." in html_of(response)
    _nothing_placed(buyer, 1)


def test_ORD_1_ACC_7_address_without_a_full_name_is_refused(client, buyer):
    nameless = AddressFactory(user=buyer, last_name="", is_default=True)
    in_cart(buyer, sellable(StoreFactory()))
    client.force_login(buyer)
    page = html_of(client.get("/checkout/"))
    assert "This address has no complete name (first and last)." in page
    response = client.post("/checkout/", {"address": nameless.pk, "idempotency_key": "n"})
    html = html_of(response)
    assert response.status_code == 422
    assert "The shipping address needs a first and a last name." in html
    assert 'id="address-error" role="alert">Add a first and last name to this address.</p>' in html
    _nothing_placed(buyer, 1)


def test_ORD_1_store_that_does_not_deliver_there_is_refused(client, buyer, address):
    store = StoreFactory(name="Luang Prabang Looms")
    in_cart(buyer, sellable(store, country="TH"))  # delivers to Thailand only; the address is in the US
    client.force_login(buyer)
    page = html_of(client.get("/checkout/"))
    assert "Luang Prabang Looms does not deliver to United States." in page
    assert "disabled" in page.split("Place 1 order</button>")[0][-120:]
    response = client.post("/checkout/", {"address": address.pk, "idempotency_key": "d"})
    html = html_of(response)
    assert response.status_code == 409
    assert "Luang Prabang Looms does not deliver to this address&#x27;s country." in html
    assert "Luang Prabang Looms does not deliver there." in html  # next to the address choice
    _nothing_placed(buyer, 1)


def test_ORD_1_someone_elses_address_or_a_stale_form_is_refused(client, buyer, address):
    in_cart(buyer, sellable(StoreFactory()))
    strangers = AddressFactory(user=UserFactory())
    client.force_login(buyer)
    response = client.post("/checkout/", {"address": strangers.pk, "idempotency_key": "x"})
    assert response.status_code == 422
    assert "Choose one of your addresses or add a new one." in html_of(response)
    response = client.post("/checkout/", {"address": address.pk})
    assert response.status_code == 422
    assert "This form has expired. Reload the page and try again." in html_of(response)
    response = client.post("/checkout/", {"address": "'; drop table", "idempotency_key": "x" * 65})
    assert response.status_code == 422
    response = client.post("/checkout/", {"address": "9" * 20, "idempotency_key": "x"})
    assert response.status_code == 422  # beyond any id: refused, not a crash
    assert client.get(reverse("checkout:detail", args=[10**25])).status_code == 404
    assert client.get("/checkout/", {"address": "9" * 20}).status_code == 200
    _nothing_placed(buyer, 1)


NEW_ADDRESS = {
    "address": "new",
    "new-first_name": "Pa",
    "new-last_name": "Xiong",
    "new-line1": "200 Main St",
    "new-city": "Fresno",
    "new-region": "CA",
    "new-postal_code": "93721",
    "new-country": "US",
    "new-phone": "+1 559 555 0101",
}


def test_ORD_1_ACC_7_new_address_inline_shows_field_errors_and_saves_nothing(client, buyer, address):
    in_cart(buyer, sellable(StoreFactory()))
    client.force_login(buyer)
    data = {**NEW_ADDRESS, "new-last_name": " ", "new-postal_code": "ABC", "idempotency_key": "a"}
    response = client.post("/checkout/", data)
    html = html_of(response)
    assert response.status_code == 422
    assert "Last name is required." in html
    assert "This postal code does not look right" in html
    assert 'value="Pa"' in html  # what was typed stays in the form
    assert Address.objects.filter(user=buyer).count() == 1
    _nothing_placed(buyer, 1)


def test_ORD_1_new_address_inline_is_saved_with_the_orders(client, buyer, address):
    in_cart(buyer, sellable(StoreFactory()))
    client.force_login(buyer)
    response = client.post("/checkout/", {**NEW_ADDRESS, "idempotency_key": "a"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.ship_first_name, order.ship_last_name, order.ship_city) == ("Pa", "Xiong", "Fresno")
    assert Address.objects.filter(user=buyer, city="Fresno").exists()


def test_ORD_1_new_address_is_not_kept_when_the_orders_cannot_be_placed(client, buyer):
    in_cart(buyer, sellable(StoreFactory(), country="TH"))
    client.force_login(buyer)
    response = client.post("/checkout/", {**NEW_ADDRESS, "idempotency_key": "a"})
    assert response.status_code == 409
    assert not Address.objects.filter(user=buyer).exists()
    _nothing_placed(buyer, 1)


def test_ORD_1_changing_the_address_refreshes_the_summary_with_htmx(client, buyer, address):
    store = StoreFactory(name="Chiang Mai Silver")
    in_cart(buyer, sellable(store, country="TH"))
    thai = AddressFactory(user=buyer, country="TH", postal_code="50200", city="Chiang Mai")
    client.force_login(buyer)
    response = client.get("/checkout/", {"address": thai.pk}, **HTMX)
    html = html_of(response)
    assert response.status_code == 200
    assert html.startswith('<div id="checkout-summary"') and "<html" not in html
    assert "to Thailand" in html and "does not deliver" not in html
    html = html_of(client.get("/checkout/", {"address": address.pk}, **HTMX))
    assert "Chiang Mai Silver does not deliver to United States." in html
    # the new-address country select refreshes it too
    html = html_of(client.get("/checkout/", {"address": "new", "new-country": "TH"}, **HTMX))
    assert "to Thailand" in html


# --- My Orders (BP-1) ---------------------------------------------------------------------------


def test_BP_1_my_orders_shows_the_countdown_that_matters_for_each_order(client, buyer, address):
    unpaid = placed(buyer, address, key="a", now=T0)
    to_ship = paid(buyer, address, key="b", now=T0 + dt.timedelta(minutes=1))
    asked = paid(buyer, address, key="c", now=T0 + dt.timedelta(minutes=2))
    request = order_request_cancellation(
        order=asked, buyer=buyer, reason="Ordered twice", now=T0 + dt.timedelta(hours=1)
    )
    sent = shipped(buyer, address, key="d", now=T0 + dt.timedelta(minutes=3))
    closed = placed(buyer, address, key="e", now=T0 + dt.timedelta(minutes=4))
    client.force_login(buyer)
    with at(client, buyer, T0 + dt.timedelta(hours=2)):
        html = html_of(client.get(reverse("orders:list")))
    cards = {
        re.search(r'<h2><a href="/orders/(\w+)/">', card).group(1): card
        for card in html.split('class="panel order-card"')[1:]
    }
    unpaid_card, ship_card = cards[unpaid.number], cards[to_ship.number]
    asked_card, sent_card = cards[asked.number], cards[sent.number]
    assert deadline_kinds(unpaid_card) == ["payment_window"]
    assert "Pay by" in unpaid_card and utc(T0 + dt.timedelta(hours=24)) in unpaid_card
    assert "22 hours left" in unpaid_card
    assert deadline_kinds(ship_card) == ["ship_by"]
    assert utc(Order.objects.get(pk=to_ship.pk).ship_by) in ship_card
    assert deadline_kinds(asked_card) == ["cancellation_answer"]  # the answer due, not the ship-by
    assert utc(request.answer_due_at) in asked_card and "1 day 23 hours left" in asked_card
    assert deadline_kinds(sent_card) == ["protection_end"]
    assert "The seller has shipped your order" in sent_card
    assert utc(Order.objects.get(pk=sent.pk).protection_ends_at) in sent_card
    assert closed.number in cards
    # newest first
    numbers = re.findall(r'<h2><a href="/orders/(\w+)/">', html)
    assert numbers == [closed.number, sent.number, asked.number, to_ship.number, unpaid.number]


def test_ORD_4_BP_1_ship_by_shown_on_my_orders_skips_the_weekend_and_a_holiday(client, buyer, address):
    from core.models import Holiday

    friday = dt.datetime(2026, 11, 6, 18, 0, tzinfo=dt.UTC)  # 12:00 in Chicago (the business zone)
    Holiday.objects.create(date=dt.date(2026, 11, 9), name="A Monday holiday")
    order = paid(buyer, address, now=friday, processing_days=1)
    tuesday_noon = dt.datetime(2026, 11, 10, 18, 0, tzinfo=dt.UTC)  # Sat, Sun, the holiday skipped
    assert Order.objects.get(pk=order.pk).ship_by == tuesday_noon
    with at(client, buyer, tuesday_noon - SECOND):
        html = html_of(client.get(reverse("orders:list")))
    assert "Seller ships by" in html and utc(tuesday_noon) in html
    assert "Less than a minute left" in html
    with at(client, buyer, tuesday_noon + SECOND):
        html = html_of(client.get(reverse("orders:list")))
    assert 'class="deadline overdue"' in html and "Time is up" in html


def test_BP_1_countdown_edges_one_second_before_and_after_the_deadline(buyer, address):
    order = placed(buyer, address)
    due = T0 + dt.timedelta(hours=24)
    assert order_countdown(order=order, now=due - SECOND).left == "Less than a minute left"
    assert order_countdown(order=order, now=due).left == "Time is up"
    assert order_countdown(order=order, now=due + SECOND).passed
    assert remaining_text(T0 + dt.timedelta(days=1, hours=1), T0) == "1 day 1 hour left"
    assert remaining_text(T0 + dt.timedelta(minutes=61), T0) == "1 hour 1 minute left"


def test_BP_1_my_orders_filters_by_status_and_only_lists_the_buyers_orders(client, buyer, address):
    unpaid = placed(buyer, address, key="a")
    sent = shipped(buyer, address, key="b")
    stranger = UserFactory()
    theirs = placed(stranger, AddressFactory(user=stranger), key="c")
    client.force_login(buyer)
    html = html_of(client.get(reverse("orders:list")))
    assert unpaid.number in html and sent.number in html and theirs.number not in html
    html = html_of(client.get(reverse("orders:list"), {"status": "shipped"}))
    assert sent.number in html and unpaid.number not in html
    assert 'aria-current="page" class="current">Shipped</a>' in html
    html = html_of(client.get(reverse("orders:list"), {"status": "unpaid"}))
    assert unpaid.number in html and sent.number not in html
    html = html_of(client.get(reverse("orders:list"), {"status": "completed"}))
    assert "No orders with this status." in html
    response = client.get(reverse("orders:list"), {"status": "bogus<script>"})
    assert response.status_code == 200
    assert "There is no such status filter; showing all your orders." in html_of(response)
    partial = html_of(client.get(reverse("orders:list"), {"status": "shipped"}, **HTMX))
    assert partial.startswith('<div id="order-list"') and "<html" not in partial


def test_BP_1_my_orders_is_paginated_newest_first(client, buyer, address):
    store = StoreFactory()
    for i in range(12):
        in_cart(buyer, sellable(store))
        checkout_place(
            buyer=buyer, address=address, idempotency_key=f"k{i}", now=T0 + dt.timedelta(minutes=i)
        )
    newest = Order.objects.order_by("-placed_at").first()
    oldest = Order.objects.order_by("placed_at").first()
    client.force_login(buyer)
    first = html_of(client.get(reverse("orders:list")))
    assert first.count('class="panel order-card"') == 10 and newest.number in first
    assert "Page 1 of 2" in first and oldest.number not in first
    second = html_of(client.get(reverse("orders:list"), {"page": 2}))
    assert second.count('class="panel order-card"') == 2 and oldest.number in second
    assert client.get(reverse("orders:list"), {"page": "999"}).status_code == 200
    assert client.get(reverse("orders:list"), {"page": "x"}).status_code == 200


def test_my_orders_requires_sign_in(client):
    response = client.get(reverse("orders:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the order page: content (ORD-2, ORD-6, ORD-9, RFD-2) ---------------------------------------------


def test_ORD_6_order_page_shows_shipment_pst_tracking_links_and_the_timeline(client, buyer, address):
    ship_at = T0 + dt.timedelta(days=2)
    order = shipped(buyer, address, ship_at=ship_at)
    early = tracking_event_record(
        order=order,
        status="in_transit",
        occurred_at=ship_at + dt.timedelta(days=1),
        location="Bangkok",
        source="webhook",
        external_id="e1",
        now=ship_at + dt.timedelta(days=1),
    )[0]
    late = tracking_event_record(
        order=order,
        status="in_customs",
        occurred_at=ship_at + dt.timedelta(days=3),
        location="Chicago",
        description="Held for inspection",
        source="seller",
        now=ship_at + dt.timedelta(days=3),
    )[0]
    with at(client, buyer, ship_at + dt.timedelta(days=4)):
        response = client.get(reverse("orders:detail", args=[order.number]))
    html = html_of(response)
    assert response.status_code == 200
    assert 'Status: <span class="status status-shipped">The seller has shipped your order</span>' in html
    pst = ship_at + dt.timedelta(days=20)
    assert "Promised delivery time (PST)" in html and utc(pst) in html
    assert deadline_kinds(html) == ["protection_end", "promised_delivery"]
    assert utc(pst + dt.timedelta(days=15)) in html  # BP-2: protection ends 15 days after PST
    # tracking events, newest first, and the links
    assert html.index("Held in customs") < html.index("In transit")
    assert "Chicago" in html and "Held for inspection" in html and "Bangkok" in html
    number = "9400-1118-99223"
    assert f"https://global.cainiao.com/newDetail.htm?mailNoList={number}" in html
    assert f"https://t.17track.net/en#nums={number}" in html
    assert f"https://tools.usps.com/go/TrackConfirmAction?tLabels={number}" in html
    # the timeline: when, who, what, why, old → new state
    timeline = html[html.index('id="timeline-title"') :]
    assert "<strong>Order placed</strong> — You" in timeline
    assert "<strong>Payment received</strong> — Automatic (Hmong Artisans)" in timeline
    assert f"<strong>Marked as shipped</strong> — The seller ({order.store.name})" in timeline
    assert "Why: Shipped with USPS, tracking 9400-1118-99223" in timeline
    assert "Awaiting payment → Awaiting shipment" in timeline
    assert "Awaiting shipment → The seller has shipped your order" in timeline
    assert utc(ship_at) in timeline
    # lines, totals and the shipping address
    assert order.lines.get().product_title in html and "$30.00" in html and "Saint Paul, MN 55103" in html
    assert early.pk and late.pk


def test_ORD_9_RFD_2_closed_order_shows_its_reason_and_refund_with_arrival_window(client, buyer, address):
    order = paid(buyer, address)
    from orders.services import cancellation_answer

    order_request_cancellation(order=order, buyer=buyer, reason="Wrong size", now=T0 + dt.timedelta(hours=1))
    cancellation_answer(order=order, seller=order.store.owner, accept=True, now=T0 + dt.timedelta(hours=3))
    with time_machine.travel(T0 + dt.timedelta(hours=3, minutes=1), tick=False):
        run_pending_tasks()  # the refund goes to the provider and comes back with an ARN
    refund = Refund.objects.get(order=order)
    assert refund.state == Refund.State.SUCCEEDED and refund.arn
    with at(client, buyer, T0 + dt.timedelta(hours=4)):
        html = html_of(client.get(reverse("orders:detail", args=[order.number])))
    assert 'Status: <span class="status status-closed">Closed</span>' in html
    assert "<strong>Why it closed:</strong> Cancelled: the seller agreed" in html
    refunds = html[html.index('id="refunds-title"') :]
    assert "$30.00" in refunds and "Refunded" in refunds and refund.arn in refunds
    assert "The original card or account" in refunds
    start = refund.processed_at
    window = f"Between {_time(add_business_days(start, 3))} and {_time(add_business_days(start, 20))}"
    assert window in refunds
    assert "your bank then takes 3 to 20 business days" in refunds
    timeline = html[html.index('id="timeline-title"') :]
    assert "<strong>Cancellation requested</strong> — You" in timeline and "Why: Wrong size" in timeline
    assert "Closed: Cancelled: the seller agreed" in timeline
    assert "Cancellation requests" in html and "Accepted" in html


def _time(instant: dt.datetime) -> str:
    return f'<time datetime="{instant.astimezone(dt.UTC).isoformat()}" data-local-time>{utc(instant)}</time>'


def test_ORD_8_security_review_close_reason_is_shown(client, buyer):
    nameless = AddressFactory(user=buyer)
    order = placed(buyer, nameless)
    Order.objects.filter(pk=order.pk).update(ship_last_name="")  # the name was lost after placing
    checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key="p", now=T0)
    client.force_login(buyer)
    html = html_of(client.get(reverse("orders:detail", args=[order.number])))
    assert str(CloseReason.SECURITY_INCOMPLETE_NAME.label) in html
    assert "Closed by the security review" in html


def test_order_page_is_only_for_its_buyer(client, buyer, address):
    order = placed(buyer, address)
    url = reverse("orders:detail", args=[order.number])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(url, **HTMX).status_code == 404
    for name in ("cancel", "request_cancellation", "confirm_receipt", "request_extension"):
        action = reverse(f"orders:{name}", args=[order.number])
        assert client.post(action, {"reason": "x", "days": 3}).status_code == 404
    client.force_login(order.store.owner)  # the seller uses the seller center, not the buyer page
    assert client.get(url).status_code == 404
    client.force_login(buyer)
    assert client.get(reverse("orders:detail", args=["NOPE"])).status_code == 404
    assert client.get("/orders/" + "9" * 300 + "/").status_code == 404
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_PAYMENT


# --- buttons exist only when allowed; otherwise the reason and from when (HLP-4) ------------------------


def actions_of(html: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z-]+)"', html))


def why_not(html: str, name: str) -> str:
    match = re.search(rf'<dt id="why-{name}">.*?</dt>\s*<dd>(.*?)</dd>', html, re.S)
    return match.group(1) if match else ""


def test_ORD_3_ORD_5_HLP_4_unpaid_order_offers_cancel_and_explains_the_rest(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    html = html_of(client.get(reverse("orders:detail", args=[order.number])))
    assert actions_of(html) == {"cancel"}
    assert f'href="{reverse("checkout:detail", args=[order.checkout_id])}">Pay for this order</a>' in html
    assert "This order is not paid yet: cancel it directly instead." in why_not(html, "request_cancellation")
    assert "once the seller has shipped the order" in why_not(html, "confirm_receipt")
    assert "only on a shipped order" in why_not(html, "request_extension")


def test_ORD_5_HLP_4_paid_order_offers_a_cancellation_request_then_says_one_is_pending(
    client, buyer, address
):
    order = paid(buyer, address)
    client.force_login(buyer)
    url = reverse("orders:detail", args=[order.number])
    html = html_of(client.get(url))
    assert actions_of(html) == {"request-cancellation"}
    assert "Only an order that has not been paid can be cancelled directly." in why_not(html, "cancel")
    assert "The seller has 48 hours to answer" in html
    order_request_cancellation(
        order=order, buyer=buyer, reason="Changed my mind", now=T0 + dt.timedelta(hours=1)
    )
    html = html_of(client.get(url))
    assert actions_of(html) == set()
    assert "You have already asked to cancel this order" in why_not(html, "request_cancellation")


def test_ORD_5_payment_in_progress_explains_why_nothing_can_be_cancelled(client, buyer, address):
    order = placed(buyer, address)
    Order.objects.filter(pk=order.pk).update(state=State.PAYMENT_VERIFYING)
    client.force_login(buyer)
    html = html_of(client.get(reverse("orders:detail", args=[order.number])))
    assert actions_of(html) == set()
    assert "while its payment is being processed or verified" in why_not(html, "request_cancellation")
    assert "Payment being verified" in html


def test_BP_4_ORD_7_extension_is_possible_from_pst_one_second_before_and_after(client, buyer, address):
    ship_at = T0 + dt.timedelta(days=1)
    order = shipped(buyer, address, ship_at=ship_at)
    pst = ship_at + dt.timedelta(days=20)
    url = reverse("orders:detail", args=[order.number])
    with at(client, buyer, pst - SECOND):
        html = html_of(client.get(url))
    assert actions_of(html) == {"confirm-receipt"}
    reason = why_not(html, "request_extension")
    assert "still within its promised delivery time" in reason
    assert f"Possible from {_time(pst)}." in reason
    assert "The seller has already shipped this order." in why_not(html, "request_cancellation")
    with at(client, buyer, pst):
        assert actions_of(html_of(client.get(url))) == {"confirm-receipt", "request-extension"}
    with at(client, buyer, pst + SECOND):
        html = html_of(client.get(url))
    assert actions_of(html) == {"confirm-receipt", "request-extension"}
    assert 'name="days"' in html and 'min="1"' in html and 'max="60"' in html
    assert "From 1 to 60 days." in html


def test_ORD_7_after_receipt_the_buttons_explain_themselves(client, buyer, address):
    order = shipped(buyer, address)
    client.force_login(buyer)
    client.post(reverse("orders:confirm_receipt", args=[order.number]))
    html = html_of(client.get(reverse("orders:detail", args=[order.number])))
    assert actions_of(html) == set()
    assert "You have already confirmed receipt." in why_not(html, "confirm_receipt")
    assert "You confirmed receipt, so there is nothing to extend." in why_not(html, "request_extension")


# --- actions: success, bad input, htmx -----------------------------------------------------------------


def test_ORD_3_cancel_an_unpaid_order_then_cancelling_twice_changes_nothing(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    url = reverse("orders:cancel", args=[order.number])
    response = client.post(url, follow=True)
    html = html_of(response)
    assert "The order is cancelled." in html
    assert "Cancelled by the buyer before payment" in html
    order.refresh_from_db()
    assert order.state == State.CLOSED and order.close_reason == CloseReason.BUYER_CANCELLED_UNPAID
    events = OrderEvent.objects.filter(order=order).count()
    again = client.post(url)
    assert again.status_code == 403
    assert "Only an order that has not been paid can be cancelled directly." in html_of(again)
    assert OrderEvent.objects.filter(order=order).count() == events
    assert client.get(url).status_code == 405  # actions are POST only


def test_ORD_3_cancel_with_htmx_rerenders_the_order_panel(client, buyer, address):
    order = placed(buyer, address)
    client.force_login(buyer)
    response = client.post(reverse("orders:cancel", args=[order.number]), **HTMX)
    html = html_of(response)
    assert response.status_code == 200
    assert html.startswith('<div id="order-panel"') and "<html" not in html
    assert "The order is cancelled." in html and "Cancelled by the buyer before payment" in html
    again = client.post(reverse("orders:cancel", args=[order.number]), **HTMX)
    assert again.status_code == 200  # htmx swaps 2xx only: the error is shown in the panel
    assert 'role="alert">Only an order that has not been paid can be cancelled directly.' in html_of(again)


def test_ORD_5_request_cancellation_needs_a_reason_then_starts_the_48h_countdown(client, buyer, address):
    order = paid(buyer, address)
    url = reverse("orders:request_cancellation", args=[order.number])
    with at(client, buyer, T0 + dt.timedelta(hours=1)):
        empty = client.post(url, {"reason": "   "})
        too_long = client.post(url, {"reason": "x" * 301}, **HTMX)
        assert not CancellationRequest.objects.exists()
        response = client.post(url, {"reason": "Found it cheaper"}, **HTMX)
    assert empty.status_code == 422 and "Tell the seller why you want to cancel." in html_of(empty)
    assert too_long.status_code == 200 and "Keep the reason to 300 characters or fewer." in html_of(too_long)
    request = CancellationRequest.objects.get(order=order)
    assert request.status == RequestStatus.PENDING
    assert request.answer_due_at == T0 + dt.timedelta(hours=49)
    html = html_of(response)
    assert "Your cancellation request was sent to the seller." in html
    assert deadline_kinds(html) == ["cancellation_answer", "ship_by"]
    assert utc(T0 + dt.timedelta(hours=49)) in html and "2 days left" in html
    with at(client, buyer, T0 + dt.timedelta(hours=2)):
        twice = client.post(url, {"reason": "Again"})
    assert twice.status_code == 403 and "You have already asked to cancel this order" in html_of(twice)
    assert CancellationRequest.objects.filter(order=order).count() == 1


def test_ORD_7_confirm_receipt_moves_protection_end_and_refuses_an_unshipped_order(client, buyer, address):
    unshipped = paid(buyer, address, key="a")
    client.force_login(buyer)
    response = client.post(reverse("orders:confirm_receipt", args=[unshipped.number]))
    assert response.status_code == 403
    assert "You can confirm receipt once the seller has shipped the order." in html_of(response)
    assert Order.objects.get(pk=unshipped.pk).received_at is None

    order = shipped(buyer, address, key="b", ship_at=T0 + dt.timedelta(days=1))
    received = T0 + dt.timedelta(days=6)
    with at(client, buyer, received):
        response = client.post(reverse("orders:confirm_receipt", args=[order.number]), **HTMX)
    html = html_of(response)
    assert "Thank you: receipt confirmed." in html
    order.refresh_from_db()
    assert order.received_at == received
    assert order.protection_ends_at == received + dt.timedelta(days=15)  # BP-2: the earlier of receipt or PST
    assert utc(received + dt.timedelta(days=15)) in html and "15 days left" in html
    assert "<strong>Receipt confirmed</strong> — You" in html


def test_BP_4_extension_request_validates_days_and_never_500s(client, buyer, address):
    ship_at = T0 + dt.timedelta(days=1)
    order = shipped(buyer, address, ship_at=ship_at)
    url = reverse("orders:request_extension", args=[order.number])
    late = ship_at + dt.timedelta(days=21)
    with at(client, buyer, late):
        for days, message in [
            ("0", "Choose from 1 to 60 days."),
            ("365", "Choose from 1 to 60 days."),
            ("-3", "Choose from 1 to 60 days."),
            ("99999999999999999999999", "Choose from 1 to 60 days."),
            ("abc", "Enter a whole number of days."),
            ("", "Enter how many days you need."),
        ]:
            response = client.post(url, {"days": days})
            assert response.status_code == 422, days
            html = html_of(response)
            assert message in html, days
            assert 'id="action-request-extension"' in html  # the form is shown again, with its error
        assert not ExtensionRequest.objects.exists()
        response = client.post(url, {"days": "10", "reason": "Still not here"}, follow=True)
        assert "Your extension request was sent to the seller." in html_of(response)
        request = ExtensionRequest.objects.get(order=order)
        assert (request.days, request.status) == (10, RequestStatus.PENDING)
        twice = client.post(url, {"days": "5"}, **HTMX)
    assert twice.status_code == 200
    assert "You have already asked for an extension" in html_of(twice)
    assert ExtensionRequest.objects.count() == 1
    html = html_of(twice)
    assert "10 days: Waiting for the seller" in html


def test_BP_4_extension_before_pst_is_refused_with_its_date(client, buyer, address):
    ship_at = T0 + dt.timedelta(days=1)
    order = shipped(buyer, address, ship_at=ship_at)
    with at(client, buyer, ship_at + dt.timedelta(days=3)):
        response = client.post(reverse("orders:request_extension", args=[order.number]), {"days": "5"})
    assert response.status_code == 403
    html = html_of(response)
    assert "still within its promised delivery time" in html
    assert f"Possible from {_time(ship_at + dt.timedelta(days=20))}." in html
    assert not ExtensionRequest.objects.exists()


# --- in a real browser: htmx refreshes, the panel swap, the ticking countdown ------------------------

from tests.browser.conftest import browser_type_launch_args  # noqa: E402, F401  (the system Chromium)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ORD_1_ORD_5_BP_1_buyer_checks_out_pays_and_asks_to_cancel_in_a_browser(page, live_server):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    buyer = UserFactory(email="nou@example.com")
    AddressFactory(user=buyer, is_default=True)
    AddressFactory(user=buyer, country="TH", postal_code="50200", city="Chiang Mai", region="")
    for name in ("Paj Ntaub House", "Silver Lane"):
        in_cart(buyer, sellable(StoreFactory(name=name), country="US"))
    base = live_server.url
    page.goto(base + reverse("account_login"))
    page.locator("input[name=login]").fill(buyer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + reverse("cart:view"))
    page.get_by_role("link", name="Checkout").click()
    summary = page.locator("#checkout-summary")
    expect(summary).to_contain_text("Order 1 of 2: Paj Ntaub House")
    # choosing the Thai address refreshes the summary in place (htmx): nobody delivers there
    page.get_by_label("Chiang Mai", exact=False).check()
    expect(summary).to_contain_text("Paj Ntaub House does not deliver to Thailand.")
    expect(page.get_by_role("button", name="Place 2 orders")).to_be_disabled()
    page.locator("input[name=address]").first.check()
    expect(summary).not_to_contain_text("does not deliver")
    page.get_by_role("button", name="Place 2 orders").click()
    expect(page.get_by_role("heading", name="Pay for your orders")).to_be_visible()
    page.get_by_role("button", name="Pay with test card").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    assert Order.objects.filter(state=State.AWAITING_SHIPMENT).count() == 2
    page.goto(base + reverse("orders:list"))
    # site.js took over the server's "10 days 23 hours left" and ticks it from the site's clock
    expect(page.locator("time[data-countdown]").first).to_contain_text(" min left")
    page.locator(".order-card h2 a").first.click()
    page.get_by_label("Why do you want to cancel?").fill("Ordered twice by mistake")
    page.get_by_role("button", name="Request cancellation").click()
    panel = page.locator("#order-panel")
    expect(panel).to_contain_text("Your cancellation request was sent to the seller.")
    expect(panel).to_contain_text("Seller answers your cancellation request by")
    expect(panel).to_contain_text("You have already asked to cancel this order")
    assert CancellationRequest.objects.filter(status=RequestStatus.PENDING).count() == 1
    expect(page.locator("#nav-notices .count")).to_contain_text("2")
