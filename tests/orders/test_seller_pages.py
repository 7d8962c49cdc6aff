"""The seller's order pages (ORD-4, ORD-5, ORD-6, BP-4): list, detail and every action.

Orders are made through the real services (checkout, pay); the pages read the clock,
which time-machine moves. Only the store's owner sees an order; everyone else gets 404.
"""

import datetime as dt
import re

import pytest

from cart.models import CartLine
from orders.models import Order, RequestStatus, TrackingEvent
from orders.services import (
    cancellation_answer,
    checkout_pay,
    checkout_place,
    extension_request,
    order_mark_shipped,
    order_request_cancellation,
)
from orders.states import CloseReason, State
from payments.models import Refund
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
SECOND = dt.timedelta(seconds=1)
LIST = "/seller/orders/"


# --- helpers (also used by test_tracking) ---------------------------------------------------------


def sellable(store, *, processing_days=7, max_days=20, carrier="Thailand Post"):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store, carrier=carrier)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=max_days)
    product = ProductFactory(store=store, processing_days=processing_days,
                             variants=[{"price_minor": 2500, "stock": 50}])
    product.shipping_methods.add(method)
    return product.variants.get()


_keys = iter(range(1, 1_000_000))


def paid_order(store=None, *, buyer=None, now=T0, processing_days=7, max_days=20) -> Order:
    """A paid order of `store` (awaiting shipment, ship-by armed), made by the real services."""
    store = store or StoreFactory()
    buyer = buyer or UserFactory()
    address = AddressFactory(user=buyer)
    variant = sellable(store, processing_days=processing_days, max_days=max_days)
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    key = next(_keys)
    checkout = checkout_place(buyer=buyer, address=address, idempotency_key=f"c{key}", now=now)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"p{key}", now=now)
    return Order.objects.get(checkout=checkout)


def shipped_order(store=None, *, now=T0, tracking_number="EX123456789TH", carrier="Thailand Post", **kw):
    order = paid_order(store, now=now, **kw)
    return order_mark_shipped(order=order, seller=order.store.owner, carrier=carrier,
                              tracking_number=tracking_number, now=now)


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def url(order: Order, action: str = "") -> str:
    return f"{LIST}{order.number}/" + (f"{action}/" if action else "")


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def at(time_machine):
    """at(instant): the site's clock (core.clock.now) reads `instant` from now on."""

    def move(instant: dt.datetime):
        time_machine.move_to(instant, tick=False)

    move(T0)
    return move


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def seller(client, store):
    client.force_login(store.owner)
    return store.owner


# --- the list -------------------------------------------------------------------------------------


def test_ORD_4_orders_to_ship_are_listed_soonest_ship_by_first_with_countdowns(client, store, seller, at):
    slow = paid_order(store, processing_days=10)
    fast = paid_order(store, processing_days=3)
    middle = paid_order(store, processing_days=7)
    other_store = paid_order(processing_days=1)
    closed = paid_order(store, processing_days=2)
    order_request_cancellation(order=closed, buyer=closed.buyer, reason="Wrong size", now=T0)
    cancellation_answer(order=closed, seller=seller, accept=True, now=T0)

    at(T0 + dt.timedelta(hours=1))
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    positions = [html.index(o.number) for o in (fast, middle, slow)]
    assert positions == sorted(positions)  # soonest ship-by first
    assert other_store.number not in html and closed.number not in html
    # Each row: what to do, the date, and a live countdown of the ship-by instant.
    assert "Ship with a tracking number" in html
    assert f'datetime="{fresh(fast).ship_by.isoformat()}" data-countdown' in html
    assert 'data-now="2026-11-02T16:00:00+00:00"' in html
    assert re.search(r'Awaiting shipment <span class="count-pill">3</span>', html)
    assert re.search(r'Closed <span class="count-pill">1</span>', html)


def test_ORD_4_list_tabs_show_what_the_seller_must_answer_and_by_when(client, store, seller, at):
    asked = paid_order(store)
    request = order_request_cancellation(order=asked, buyer=asked.buyer, reason="Too late", now=T0)
    late = shipped_order(store, tracking_number="LATE1", max_days=10)
    pst = fresh(late).promised_delivery_at
    extension_request(order=late, buyer=late.buyer, days=7, reason="Not here", now=pst + SECOND)
    on_way = shipped_order(store, tracking_number="ONWAY1")
    at(pst + dt.timedelta(minutes=1))

    html = client.get(LIST, {"tab": "cancellation"}).content.decode()
    assert asked.number in html and late.number not in html
    assert "Answer the buyer&#x27;s cancellation request" in html
    assert f'datetime="{request.answer_due_at.isoformat()}" data-countdown' in html

    html = client.get(LIST, {"tab": "extension"}).content.decode()
    assert late.number in html and on_way.number not in html
    assert "Answer the request for 7 more days of protection" in html
    assert f'datetime="{fresh(late).protection_ends_at.isoformat()}" data-countdown' in html

    html = client.get(LIST, {"tab": "shipped"}).content.decode()
    assert late.number in html and on_way.number in html and asked.number not in html

    html = client.get(LIST, {"tab": "nonsense"}).content.decode()  # unknown tab: the default one
    assert asked.number in html and "Soonest ship-by deadline first" in html

    html = client.get(LIST, {"tab": "shipped", "q": "onway1"}).content.decode()  # by tracking number
    assert on_way.number in html and late.number not in html

    partial = client.get(LIST, {"tab": "shipped"}, **HTMX)
    assert partial.content.decode().lstrip().startswith("<section id=\"seller-orders\"")


def test_ORD_4_closed_and_completed_tabs_show_the_reason(client, store, seller, at):
    order = paid_order(store)
    order_request_cancellation(order=order, buyer=order.buyer, reason="Changed my mind", now=T0)
    cancellation_answer(order=order, seller=seller, accept=True, now=T0)
    html = client.get(LIST, {"tab": "closed"}).content.decode()
    assert order.number in html and "Closed: Cancelled: the seller agreed" in html
    assert order.number not in client.get(LIST, {"tab": "completed"}).content.decode()


# --- access ---------------------------------------------------------------------------------------


def test_seller_order_pages_need_sign_in_and_only_the_owner_sees_the_order(client, store, at):
    order = paid_order(store)
    for path in (LIST, url(order)):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url(order, "ship"), {"carrier": "usps", "tracking_number": "X1"}).status_code == 302

    other_seller = StoreFactory().owner
    client.force_login(other_seller)
    assert order.number not in client.get(LIST).content.decode()
    assert client.get(url(order)).status_code == 404
    for action, data in (("ship", {"carrier": "usps", "tracking_number": "X1"}),
                         ("cancellation", {"answer": "accept"}), ("extension", {"answer": "accept"}),
                         ("tracking", {"status": "in_transit", "occurred_at": "2026-11-02T10:00"})):
        assert client.post(url(order, action), data).status_code == 404
    assert fresh(order).state == State.AWAITING_SHIPMENT

    client.force_login(order.buyer)  # a buyer without a store
    assert client.get(url(order)).status_code == 404
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"] == "/seller/"

    client.force_login(store.owner)
    assert client.get(f"{LIST}NOPE123/").status_code == 404
    assert client.get(url(order, "ship")).status_code == 405


def test_seller_center_navigation_links_to_orders(client, seller):
    html = client.get("/seller/").content.decode()
    assert f'href="{LIST}"' in html
    assert f'href="{LIST}" aria-current="page"' in client.get(LIST).content.decode()


# --- detail and shipping (ORD-6) ------------------------------------------------------------------


def test_ORD_6_detail_shows_lines_address_timeline_and_the_ship_by_countdown(client, store, seller, at):
    order = paid_order(store)
    html = client.get(url(order)).content.decode()
    assert order.lines.get().product_title in html
    assert order.ship_full_name in html and order.ship_line1 in html and order.ship_phone in html
    assert "Order placed" in html and "Payment received" in html  # the timeline
    assert "Ship by" in html and f'datetime="{order.ship_by.isoformat()}" data-countdown' in html
    assert 'name="tracking_number"' in html
    # The carrier of the shipping method chosen at checkout is preselected.
    assert '<option value="thailand-post" selected>Thailand Post</option>' in html


def test_ORD_6_mark_shipped_with_a_listed_carrier_then_the_tracking_links(client, store, seller, at):
    order = paid_order(store)
    at(T0 + dt.timedelta(days=1))
    response = client.post(url(order, "ship"), {"carrier": "thailand-post",
                                                 "tracking_number": " ex 123 456 789 th "})
    assert response.status_code == 302 and response["Location"] == url(order)
    shipped = fresh(order)
    assert shipped.state == State.SHIPPED
    assert (shipped.carrier, shipped.tracking_number) == ("Thailand Post", "EX123456789TH")
    assert shipped.shipped_at == T0 + dt.timedelta(days=1)
    html = client.get(url(order)).content.decode()
    assert "Marked as shipped with Thailand Post" in html
    assert "https://track.thailandpost.co.th/?trackNumber=EX123456789TH" in html
    assert "https://global.cainiao.com/newDetail.htm?mailNoList=EX123456789TH" in html
    assert "https://t.17track.net/en#nums=EX123456789TH" in html
    assert "Promised delivery" in html and "Buyer protection ends" in html
    assert 'name="tracking_number"' not in html  # no second shipment
    assert 'data-code="already_shipped"' not in html  # shown as the shipment, not as a refusal
    assert "Shipped " in html and "tracking number <strong>EX123456789TH</strong>" in html


def test_ORD_6_mark_shipped_with_htmx_and_a_carrier_typed_by_hand(client, store, seller, at):
    order = paid_order(store)
    response = client.post(url(order, "ship"), {"carrier": "other", "carrier_other": "Hmong Express Co",
                                                "tracking_number": "HX-0001"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-detail"')  # the panel only, swapped in place
    assert "Marked as shipped with Hmong Express Co, tracking HX-0001" in html
    shipped = fresh(order)
    assert (shipped.state, shipped.carrier) == (State.SHIPPED, "Hmong Express Co")
    # An unknown carrier still gets the global trackers.
    assert "mailNoList=HX-0001" in html and "nums=HX-0001" in html

    typed = paid_order(store)  # a listed carrier typed by hand is recognised
    client.post(url(typed, "ship"), {"carrier": "other", "carrier_other": "laos post",
                                     "tracking_number": "LA1"})
    assert fresh(typed).carrier == "Lao Post"


@pytest.mark.parametrize("data, field, message", [
    ({"carrier": "", "tracking_number": "X1"}, "carrier", "This field is required."),
    ({"carrier": "usps", "tracking_number": "no spaces!"}, "tracking_number", "letters, digits and dashes"),
    ({"carrier": "usps", "tracking_number": "   "}, "tracking_number", "This field is required."),
    ({"carrier": "usps", "tracking_number": "X" * 81}, "tracking_number", "at most 80 characters"),
    ({"carrier": "other", "carrier_other": "", "tracking_number": "X1"}, "carrier_other", "carrier"),
    ({"carrier": "pigeon", "tracking_number": "X1"}, "carrier", "Select a valid choice"),
], ids=["no-carrier", "bad-number", "blank-number", "long-number", "other-without-name", "bad-choice"])
def test_ORD_6_bad_ship_form_shows_the_field_error_and_changes_nothing(client, store, seller, at,
                                                                      data, field, message):
    order = paid_order(store)
    response = client.post(url(order, "ship"), data)
    assert response.status_code == 422
    form = response.context["ship_form"]
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert fresh(order).state == State.AWAITING_SHIPMENT and not fresh(order).tracking_number
    with_htmx = client.post(url(order, "ship"), data, **HTMX)
    assert with_htmx.status_code == 200 and message.split()[0] in with_htmx.content.decode()


def test_ORD_6_shipping_a_closed_or_shipped_order_is_refused_with_its_reason(client, store, seller, at):
    closed = paid_order(store)
    order_request_cancellation(order=closed, buyer=closed.buyer, reason="No longer needed", now=T0)
    cancellation_answer(order=closed, seller=seller, accept=True, now=T0)
    page = client.get(url(closed)).content.decode()
    assert 'name="tracking_number"' not in page
    assert 'data-code="order_finished"' in page and "closed or completed and cannot be shipped" in page

    response = client.post(url(closed, "ship"), {"carrier": "usps", "tracking_number": "LX1"})
    assert response.status_code == 403
    assert "closed or completed and cannot be shipped" in response.content.decode()
    assert fresh(closed).state == State.CLOSED and not fresh(closed).tracking_number

    shipped = shipped_order(store, tracking_number="FIRST1")
    response = client.post(url(shipped, "ship"), {"carrier": "usps", "tracking_number": "SECOND2"}, **HTMX)
    assert response.status_code == 200 and "already marked as shipped" in response.content.decode()
    assert fresh(shipped).tracking_number == "FIRST1"


def test_ORD_6_an_unpaid_order_cannot_be_shipped(client, store, seller, at):
    buyer = UserFactory()
    variant = sellable(store)
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=2500)
    order = checkout_place(buyer=buyer, address=AddressFactory(user=buyer), idempotency_key="u",
                           now=T0).orders.get()
    html = client.get(url(order)).content.decode()
    assert "not paid yet" in html and 'data-code="not_paid"' in html
    assert order.number in client.get(LIST, {"tab": "unpaid"}).content.decode()
    assert client.post(url(order, "ship"), {"carrier": "usps", "tracking_number": "X1"}).status_code == 403
    assert fresh(order).state == State.AWAITING_PAYMENT


def test_ORD_4_shipping_one_second_before_the_ship_by_deadline_but_not_at_it(client, store, seller, at):
    in_time, too_late = paid_order(store), paid_order(store)
    ship_by = in_time.ship_by
    assert too_late.ship_by == ship_by

    at(ship_by - SECOND)
    page = client.get(url(in_time)).content.decode()
    assert "1\xa0second left" in page or "0\xa0minutes left" in page
    response = client.post(url(in_time, "ship"), {"carrier": "ups", "tracking_number": "1Z999"})
    assert response.status_code == 302 and fresh(in_time).state == State.SHIPPED

    at(ship_by)  # the deadline is due: the worker closes the order; shipping is refused meanwhile
    page = client.get(url(too_late)).content.decode()
    assert 'data-code="ship_by_passed"' in page and "(passed)" not in page
    assert "passed</time>" in page
    response = client.post(url(too_late, "ship"), {"carrier": "ups", "tracking_number": "1Z998"})
    assert response.status_code == 403 and "ship-by deadline has passed" in response.content.decode()
    assert fresh(too_late).state == State.AWAITING_SHIPMENT and not fresh(too_late).tracking_number


# --- cancellation answers (ORD-5) -----------------------------------------------------------------


def test_ORD_5_seller_accepts_the_cancellation_and_the_buyer_is_refunded(client, store, seller, at):
    order = paid_order(store)
    at(T0 + dt.timedelta(hours=2))
    request = order_request_cancellation(order=order, buyer=order.buyer, reason="Ordered twice",
                                         now=T0 + dt.timedelta(hours=2))
    html = client.get(url(order)).content.decode()
    assert "Ordered twice" in html
    assert f'datetime="{request.answer_due_at.isoformat()}" data-countdown' in html
    assert "Answer the cancellation request by" in html
    # Shipping waits for the answer; the page says why.
    assert 'data-code="cancellation_pending"' in html and 'name="tracking_number"' not in html

    response = client.post(url(order, "cancellation"), {"answer": "accept", "note": ""}, **HTMX)
    assert response.status_code == 200
    assert "the order is closed and the buyer refunded" in response.content.decode()
    closed = fresh(order)
    assert closed.state == State.CLOSED and closed.close_reason == CloseReason.CANCELLED_BY_SELLER_AGREEMENT
    assert Refund.objects.get(order=order).amount_minor == order.total_minor
    assert closed.cancellation_requests.get().status == RequestStatus.ACCEPTED


def test_ORD_5_seller_refuses_with_a_note_and_answering_twice_is_refused(client, store, seller, at):
    order = paid_order(store)
    order_request_cancellation(order=order, buyer=order.buyer, reason="Found it cheaper", now=T0)

    too_long = client.post(url(order, "cancellation"), {"answer": "refuse", "note": "x" * 301})
    assert too_long.status_code == 422 and "at most 300 characters" in too_long.content.decode()
    no_answer = client.post(url(order, "cancellation"), {"note": "hmm"})
    assert no_answer.status_code == 422 and "Choose to accept or refuse." in no_answer.content.decode()
    assert order.cancellation_requests.get().status == RequestStatus.PENDING

    response = client.post(url(order, "cancellation"), {"answer": "refuse", "note": "Already packed"})
    assert response.status_code == 302
    request = order.cancellation_requests.get()
    assert (request.status, request.seller_note) == (RequestStatus.REFUSED, "Already packed")
    html = client.get(url(order)).content.decode()
    assert "Cancellation refused" in html and "Already packed" in html  # timeline and history
    assert 'name="tracking_number"' in html  # shipping is possible again

    again = client.post(url(order, "cancellation"), {"answer": "accept"})
    assert again.status_code == 403
    assert "no cancellation request waiting for an answer" in again.content.decode()
    assert fresh(order).state == State.AWAITING_SHIPMENT


def test_ORD_5_answer_one_second_before_the_window_ends_but_not_at_its_end(client, store, seller, at):
    first, second = paid_order(store), paid_order(store)
    due = order_request_cancellation(order=first, buyer=first.buyer, reason="a", now=T0).answer_due_at
    order_request_cancellation(order=second, buyer=second.buyer, reason="b", now=T0)

    at(due - SECOND)
    assert client.post(url(first, "cancellation"), {"answer": "refuse"}).status_code == 302
    assert first.cancellation_requests.get().status == RequestStatus.REFUSED

    at(due)
    page = client.get(url(second)).content.decode()
    assert 'data-code="answer_window_passed"' in page
    response = client.post(url(second, "cancellation"), {"answer": "refuse"})
    assert response.status_code == 403 and "time to answer has ended" in response.content.decode()
    assert second.cancellation_requests.get().status == RequestStatus.PENDING


# --- extension answers (BP-4) ---------------------------------------------------------------------


def late_with_extension(store, days=10):
    order = shipped_order(store, tracking_number=f"LATE{days}", max_days=20)
    late = order.promised_delivery_at + dt.timedelta(days=1)
    extension_request(order=order, buyer=order.buyer, days=days, reason="Still in transit", now=late)
    return fresh(order), late


def test_BP_4_seller_accepts_an_extension_and_pst_and_protection_move(client, store, seller, at):
    order, late = late_with_extension(store, days=10)
    at(late + dt.timedelta(hours=1))
    html = client.get(url(order)).content.decode()
    assert "The buyer asks for 10 more days of protection" in html and "Still in transit" in html
    response = client.post(url(order, "extension"), {"answer": "accept"}, **HTMX)
    assert response.status_code == 200 and "You accepted the extension" in response.content.decode()
    extended = fresh(order)
    assert extended.promised_delivery_at == order.promised_delivery_at + dt.timedelta(days=10)
    assert extended.protection_ends_at == order.protection_ends_at + dt.timedelta(days=10)
    assert "Extension accepted" in response.content.decode()


def test_BP_4_seller_refuses_an_extension_nothing_changes_and_twice_is_refused(client, store, seller, at):
    order, late = late_with_extension(store, days=5)
    at(late)
    bad = client.post(url(order, "extension"), {"answer": "maybe"})
    assert bad.status_code == 422 and order.extension_requests.get().status == RequestStatus.PENDING

    assert client.post(url(order, "extension"), {"answer": "refuse"}).status_code == 302
    refused = fresh(order)
    assert refused.protection_ends_at == order.protection_ends_at
    assert refused.promised_delivery_at == order.promised_delivery_at
    assert order.extension_requests.get().status == RequestStatus.REFUSED
    assert "Extension refused" in client.get(url(order)).content.decode()  # on the timeline

    again = client.post(url(order, "extension"), {"answer": "accept"})
    assert again.status_code == 403
    assert "no extension request waiting for an answer" in again.content.decode()
    assert fresh(order).protection_ends_at == order.protection_ends_at


def test_BP_4_no_answer_once_protection_has_ended(client, store, seller, at):
    order, late = late_with_extension(store, days=5)
    at(order.protection_ends_at - SECOND)
    assert 'data-code="protection_ended"' not in client.get(url(order)).content.decode()
    at(order.protection_ends_at)
    response = client.post(url(order, "extension"), {"answer": "accept"})
    assert response.status_code == 403 and "Buyer protection has ended" in response.content.decode()
    assert fresh(order).extension_days == 0


# --- tracking events by hand (ORD-6) --------------------------------------------------------------


def test_ORD_6_seller_adds_a_tracking_event_by_hand(client, store, seller, at):
    order = shipped_order(store)
    at(T0 + dt.timedelta(days=1))
    response = client.post(url(order, "tracking"), {
        "status": "in_transit", "occurred_at": "2026-11-03T10:30", "location": "Bangkok",
        "description": "Left the sorting centre"}, **HTMX)
    assert response.status_code == 200
    event = TrackingEvent.objects.get(order=order)
    assert (event.status, event.source, event.location) == ("in_transit", "seller", "Bangkok")
    assert event.occurred_at == dt.datetime(2026, 11, 3, 10, 30, tzinfo=dt.UTC)
    assert event.received_at == T0 + dt.timedelta(days=1)
    html = response.content.decode()
    assert "Tracking event added: In transit." in html and "Left the sorting centre" in html

    # The page's script sends the device's UTC offset (getTimezoneOffset: −420 in Bangkok, UTC+7).
    client.post(url(order, "tracking"), {"status": "in_customs", "occurred_at": "2026-11-03T17:00",
                                         "tz_offset": "-420"})
    assert TrackingEvent.objects.get(status="in_customs").occurred_at == dt.datetime(
        2026, 11, 3, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("data, field, message", [
    ({"status": "in_transit", "occurred_at": "2026-11-03T01:01"}, "occurred_at", "in the future"),
    ({"status": "in_transit", "occurred_at": "2026-11-02T14:59"}, "occurred_at",
     "before the order was placed"),
    ({"status": "in_transit", "occurred_at": "yesterday"}, "occurred_at", "Enter a valid date/time."),
    ({"status": "teleported", "occurred_at": "2026-11-02T20:00"}, "status", "Select a valid choice"),
    ({"status": "in_transit", "occurred_at": "2026-11-02T20:00", "location": "x" * 121}, "location",
     "at most 120 characters"),
    ({"status": "in_transit", "occurred_at": "2026-11-02T20:00", "tz_offset": "99999"}, "occurred_at",
     "time zone could not be read"),
], ids=["future", "before-order", "not-a-time", "bad-status", "long-location", "bad-offset"])
def test_ORD_6_bad_tracking_event_shows_the_field_error_and_adds_nothing(client, store, seller, at,
                                                                        data, field, message):
    order = shipped_order(store)
    at(dt.datetime(2026, 11, 3, 1, 0, 30, tzinfo=dt.UTC))  # 01:01 is 30 seconds ahead
    response = client.post(url(order, "tracking"), data)
    assert response.status_code == 422
    errors = response.context["tracking_form"].errors
    assert message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert "<details open>" in response.content.decode()  # the form stays open with its errors
    assert not TrackingEvent.objects.exists()


def test_ORD_6_tracking_event_a_minute_ago_is_accepted(client, store, seller, at):
    order = shipped_order(store)
    at(dt.datetime(2026, 11, 3, 1, 0, 30, tzinfo=dt.UTC))
    response = client.post(url(order, "tracking"), {"status": "delivered", "occurred_at": "2026-11-03T01:00"})
    assert response.status_code == 302
    assert TrackingEvent.objects.get(order=order).status == "delivered"


def test_ORD_6_no_tracking_events_before_shipment(client, store, seller, at):
    order = paid_order(store)
    html = client.get(url(order)).content.decode()
    assert 'data-code="not_shipped"' in html and 'name="occurred_at"' not in html
    response = client.post(url(order, "tracking"),
                           {"status": "in_transit", "occurred_at": "2026-11-02T15:00"})
    assert response.status_code == 409 and "once the order is marked as shipped" in response.content.decode()
    assert not TrackingEvent.objects.exists()


# --- notices and cost -------------------------------------------------------------------------------


def test_NTF_1_the_buyer_is_told_of_each_seller_answer_once_by_notice_and_email(client, store, seller, at,
                                                                                mailoutbox):
    from notifications.models import Notice
    from tests.tasks import run_pending_tasks

    refused = paid_order(store)
    order_request_cancellation(order=refused, buyer=refused.buyer, reason="Wrong colour", now=T0)
    client.post(url(refused, "cancellation"), {"answer": "refuse", "note": "Already packed"})
    client.post(url(refused, "cancellation"), {"answer": "refuse", "note": "Twice"})  # refused: no notice
    client.post(url(refused, "ship"), {"carrier": "usps", "tracking_number": "LX42"})
    kinds = list(Notice.objects.filter(user=refused.buyer).values_list("kind", flat=True))
    assert sorted(kinds) == ["cancellation_refused", "order_paid", "order_shipped"]
    shipped = Notice.objects.get(user=refused.buyer, kind="order_shipped")
    assert "USPS" in shipped.body and "LX42" in shipped.body and shipped.url == f"/orders/{refused.number}/"
    mailoutbox.clear()
    run_pending_tasks()
    to_buyer = [m for m in mailoutbox if m.to == [refused.buyer.email]]
    assert sorted(m.subject for m in to_buyer) == sorted(
        f"[Hmong Artisans] {n.subject}" for n in Notice.objects.filter(user=refused.buyer))
    run_pending_tasks()  # nothing is sent twice
    assert len([m for m in mailoutbox if m.to == [refused.buyer.email]]) == len(to_buyer)


def test_ORD_4_the_list_costs_the_same_few_queries_however_many_orders(client, store, seller, at,
                                                                       django_assert_max_num_queries):
    for _ in range(3):
        paid_order(store)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(12):
        paid_order(store)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200
