"""Tracking (ORD-6): the carrier registry and its links, and the signed carrier webhook.

The webhook is called as a carrier would: raw JSON body, HMAC-SHA256 signature over
"<timestamp>.<body>" in X-Tracking-Signature. Nothing of ours is faked; the clock is
moved with time-machine.
"""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from orders.carriers import CARRIERS, NUMBER, carrier_choices, carrier_find, tracking_links
from orders.models import Order, TrackingEvent
from orders.webhooks import MAX_BODY_BYTES, tracking_signature
from tests.orders.test_seller_pages import T0, paid_order, shipped_order

SECRET = "test-tracking-secret-0123456789abcdef"
ENDPOINT = "/webhooks/tracking/"
CAINIAO = "https://global.cainiao.com/newDetail.htm?mailNoList="
SEVENTEEN = "https://t.17track.net/en#nums="


# --- the carrier registry and its links -------------------------------------------------------------


def test_ORD_6_known_carrier_links_its_own_page_then_cainiao_and_17track():
    assert tracking_links("USPS", "9400100000000000000000") == [
        ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000000000000"),
        ("Cainiao", CAINIAO + "9400100000000000000000"),
        ("17track", SEVENTEEN + "9400100000000000000000"),
    ]
    labels = [label for label, _ in tracking_links("Thailand Post", "EX1TH")]
    assert labels == ["Thailand Post", "Cainiao", "17track"]


def test_ORD_6_unknown_or_blank_carrier_still_gets_the_global_trackers():
    assert tracking_links("Hmong Express Co", "HX1") == [("Cainiao", CAINIAO + "HX1"),
                                                          ("17track", SEVENTEEN + "HX1")]
    assert [label for label, _ in tracking_links("", "HX1")] == ["Cainiao", "17track"]
    assert tracking_links("USPS", "") == [] and tracking_links("USPS", "   ") == []


def test_ORD_6_tracking_numbers_are_url_encoded():
    links = dict(tracking_links("UPS", "1Z 99/9&x=1#frag"))
    encoded = "1Z%2099%2F9%26x%3D1%23frag"
    assert links["UPS"] == f"https://www.ups.com/track?loc=en_US&tracknum={encoded}"
    assert links["Cainiao"] == CAINIAO + encoded and links["17track"] == SEVENTEEN + encoded


def test_ORD_6_carriers_are_found_by_any_usual_spelling():
    for spelling in ("Thailand Post", "thailand-post", "THAILAND POST", "Thai Post", " thailandpost "):
        assert carrier_find(spelling).code == "thailand-post"
    assert carrier_find("Colissimo").name == carrier_find("La Poste").name == "La Poste / Colissimo"
    assert carrier_find("Почта России").code == "russian-post"
    assert carrier_find("nobody") is None and carrier_find("") is None and carrier_find("---") is None


def test_ORD_6_the_registry_covers_the_carriers_our_sellers_use():
    names = {name for _, name in carrier_choices()}
    for needed in ("USPS", "UPS", "FedEx", "DHL", "Thailand Post", "Lao Post", "Vietnam Post",
                   "La Poste / Colissimo", "China Post", "Cainiao", "Royal Mail", "Correios",
                   "Russian Post", "Ukrposhta", "Poczta Polska", "PTT", "Aramex", "SMSA Express"):
        assert needed in names
    codes = [c.code for c in CARRIERS]
    assert len(codes) == len(set(codes))
    for carrier in CARRIERS:
        assert carrier.url.startswith("https://"), carrier.code
        assert carrier.url.count(NUMBER) <= 1, carrier.code


def test_ORD_6_cainiao_as_the_carrier_is_not_linked_twice():
    assert [label for label, _ in tracking_links("Cainiao", "LP00123")] == ["Cainiao", "17track"]


def test_ORD_6_a_carrier_page_without_the_number_in_its_address_says_so():
    label, url = tracking_links("Lao Post", "LA123")[0]
    assert label == "Lao Post (tracking page)" and "LA123" not in url


# --- the webhook ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.TRACKING_WEBHOOK_SECRET = SECRET


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0 + dt.timedelta(days=1), tick=False)
    return T0 + dt.timedelta(days=1)


@pytest.fixture
def order(db):
    return shipped_order(tracking_number="EX123456789TH", carrier="Thailand Post")


def event(**overrides) -> dict:
    body = {
        "event_id": "evt_001",
        "tracking_number": "EX123456789TH",
        "carrier": "Thailand Post",
        "status": "in_transit",
        "occurred_at": "2026-11-03T08:30:00+07:00",
        "location": "Bangkok Mail Centre",
        "description": "Departed the sorting centre",
    }
    body.update(overrides)
    return body


def post(client, payload, *, now, secret=SECRET, timestamp=None, body=None, signed_body=None, header=None):
    raw = body if body is not None else json.dumps(payload).encode()
    if header is None:
        t = int(now.timestamp()) if timestamp is None else timestamp
        header = tracking_signature(body=signed_body if signed_body is not None else raw, timestamp=t,
                                    secret=secret)
    return client.post(ENDPOINT, data=raw, content_type="application/json",
                       HTTP_X_TRACKING_SIGNATURE=header)


def test_ORD_6_a_signed_event_is_stored_on_the_order(client, order, now):
    response = post(client, event(), now=now)
    assert response.status_code == 201
    assert response.json() == {"status": "created", "tracking_event_id": TrackingEvent.objects.get().pk,
                               "event_id": "evt_001", "order": order.number}
    stored = TrackingEvent.objects.get()
    assert stored.order_id == order.pk and stored.source == TrackingEvent.Source.WEBHOOK
    assert stored.occurred_at == dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.UTC)
    assert stored.received_at == now and stored.external_id == "evt_001"
    assert (stored.status, stored.location) == ("in_transit", "Bangkok Mail Centre")


def test_ORD_6_the_webhook_needs_no_csrf_token(order, now):
    response = post(Client(enforce_csrf_checks=True), event(), now=now)
    assert response.status_code == 201


def test_ORD_6_the_seller_page_lists_the_carriers_event(client, order, now):
    post(client, event(), now=now)
    client.force_login(order.store.owner)
    html = client.get(f"/seller/orders/{order.number}/").content.decode()
    assert "Departed the sorting centre" in html and "(from the carrier)" in html


def test_ORD_6_a_redelivered_event_is_a_duplicate_and_changes_nothing(client, order, now, time_machine):
    assert post(client, event(), now=now).status_code == 201
    later = now + dt.timedelta(minutes=10)
    time_machine.move_to(later, tick=False)
    again = post(client, event(), now=later)  # signed anew, delivered again later
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["order"] == order.number
    changed = post(client, event(status="delivered"), now=later)  # same id, different content
    assert changed.status_code == 200 and changed.json()["status"] == "duplicate"
    assert TrackingEvent.objects.count() == 1 and TrackingEvent.objects.get().status == "in_transit"


@pytest.mark.parametrize("how", ["wrong-secret", "tampered-body", "no-header", "garbage-header",
                                 "no-v1", "no-timestamp", "bad-hex"])
def test_ORD_6_a_bad_signature_is_refused_with_401(client, order, now, how):
    t = int(now.timestamp())
    raw = json.dumps(event()).encode()
    kwargs = {
        "wrong-secret": {"secret": "another-secret-entirely-0123456789"},
        "tampered-body": {"signed_body": json.dumps(event(status="delivered")).encode()},
        "no-header": {"header": ""},
        "garbage-header": {"header": "hello"},
        "no-v1": {"header": f"t={t}"},
        "no-timestamp": {"header": tracking_signature(body=raw, timestamp=t, secret=SECRET).split(",")[1]},
        "bad-hex": {"header": f"t={t},v1=zz{'0' * 62}"},
    }[how]
    response = post(client, event(), now=now, body=raw, **kwargs)
    assert response.status_code == 401
    assert response.json() == {"code": "bad_signature", "message": response.json()["message"], "fields": {}}
    assert not TrackingEvent.objects.exists()


def test_ORD_6_one_matching_signature_among_several_is_enough(client, order, now):
    raw = json.dumps(event()).encode()
    t = int(now.timestamp())
    good = tracking_signature(body=raw, timestamp=t, secret=SECRET).split(",v1=")[1]
    header = f"t={t},v1={'0' * 64},v1={good}"  # e.g. while the secret is being rotated
    assert post(client, event(), now=now, body=raw, header=header).status_code == 201


@pytest.mark.parametrize("offset, accepted", [
    (-300, True), (-301, False), (300, True), (301, False), (-86400, False), (0, True),
], ids=["5min-old", "5min1s-old", "5min-ahead", "5min1s-ahead", "a-day-old", "now"])
def test_ORD_6_timestamps_more_than_5_minutes_away_are_refused(client, order, now, offset, accepted):
    response = post(client, event(), now=now, timestamp=int(now.timestamp()) + offset)
    if accepted:
        assert response.status_code == 201
    else:
        assert response.status_code == 401 and response.json()["code"] == "stale_signature"
        assert not TrackingEvent.objects.exists()


def test_ORD_6_a_captured_request_cannot_be_replayed_later(client, order, now, time_machine):
    raw = json.dumps(event(event_id="evt_replay")).encode()
    header = tracking_signature(body=raw, timestamp=int(now.timestamp()), secret=SECRET)
    time_machine.move_to(now + dt.timedelta(minutes=5, seconds=1), tick=False)
    response = post(client, None, now=now, body=raw, header=header)
    assert response.status_code == 401 and not TrackingEvent.objects.exists()


def test_ORD_6_unknown_tracking_number_is_404_in_the_one_error_shape(client, order, now):
    response = post(client, event(tracking_number="NOPE0000"), now=now)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_tracking_number" and set(body) == {"code", "message", "fields"}
    assert "tracking_number" in body["fields"]
    assert not TrackingEvent.objects.exists()


def test_ORD_6_only_shipped_orders_are_matched(client, db, now):
    unshipped = paid_order()
    Order.objects.filter(pk=unshipped.pk).update(tracking_number="PRE123")  # e.g. typed then abandoned
    response = post(client, event(tracking_number="PRE123"), now=now)
    assert response.status_code == 404


def test_ORD_6_tracking_numbers_match_whatever_their_case_and_spaces(client, order, now):
    response = post(client, event(tracking_number="ex 1234 5678 9th"), now=now)
    assert response.status_code == 201 and response.json()["order"] == order.number


def test_ORD_6_a_tracking_number_shared_by_two_orders_needs_the_carrier(client, db, now):
    thai = shipped_order(tracking_number="SAME1", carrier="Thailand Post")
    ups = shipped_order(tracking_number="SAME1", carrier="UPS")
    response = post(client, event(tracking_number="SAME1", carrier=""), now=now)
    assert response.status_code == 409 and response.json()["code"] == "ambiguous_tracking_number"
    response = post(client, event(tracking_number="SAME1", carrier="ups", event_id="e2"), now=now)
    assert response.status_code == 201 and response.json()["order"] == ups.number
    response = post(client, event(tracking_number="SAME1", carrier="Thai Post", event_id="e3"), now=now)
    assert response.status_code == 201 and response.json()["order"] == thai.number


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b""],
                         ids=["broken", "array", "string", "not-utf8", "empty"])
def test_ORD_6_malformed_json_is_400(client, order, now, raw):
    response = post(client, None, now=now, body=raw)
    assert response.status_code == 400 and response.json()["code"] == "bad_json"
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("overrides, fields", [
    ({"event_id": None, "status": None, "occurred_at": None, "tracking_number": None},
     {"event_id", "status", "occurred_at", "tracking_number"}),
    ({"status": "lost_in_space"}, {"status"}),
    ({"occurred_at": "yesterday"}, {"occurred_at"}),
    ({"occurred_at": "2026-11-03T08:30:00"}, {"occurred_at"}),  # no time zone
    ({"occurred_at": 1762158600}, {"occurred_at"}),
    ({"event_id": {"id": 1}}, {"event_id"}),
    ({"tracking_number": "X" * 81}, {"tracking_number"}),
    ({"event_id": "e" * 101}, {"event_id"}),
    ({"location": 12}, {"location"}),
    ({"event_id": True}, {"event_id"}),
    ({"tracking_number": "   "}, {"tracking_number"}),
], ids=["missing", "bad-status", "bad-time", "naive-time", "number-time", "object-id", "long-number",
        "long-id", "number-location", "bool-id", "blank-number"])
def test_ORD_6_bad_fields_are_422_with_a_message_per_field(client, order, now, overrides, fields):
    payload = {k: v for k, v in event(**overrides).items() if v is not None}
    response = post(client, payload, now=now)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and set(body["fields"]) == fields
    assert all(body["fields"][name] and isinstance(body["fields"][name][0], str) for name in fields)
    assert not TrackingEvent.objects.exists()


def test_ORD_6_a_scan_time_in_the_future_is_refused_beyond_a_little_clock_skew(client, order, now):
    ahead = (now + dt.timedelta(minutes=5, seconds=1)).isoformat()
    response = post(client, event(occurred_at=ahead), now=now)
    assert response.status_code == 422 and "occurred_at" in response.json()["fields"]
    slightly = (now + dt.timedelta(minutes=5)).isoformat()
    assert post(client, event(occurred_at=slightly, event_id="e2"), now=now).status_code == 201


def test_ORD_6_numeric_event_ids_are_accepted_as_text(client, order, now):
    response = post(client, event(event_id=98765), now=now)
    assert response.status_code == 201 and TrackingEvent.objects.get().external_id == "98765"


def test_ORD_6_long_descriptions_are_kept_to_their_limit(client, order, now):
    post(client, event(description="d" * 500, location="l" * 200), now=now)
    stored = TrackingEvent.objects.get()
    assert len(stored.description) == 300 and len(stored.location) == 120


def test_ORD_6_other_methods_and_oversized_bodies_are_refused(client, order, now):
    response = client.get(ENDPOINT)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"
    big = json.dumps(event(description="x" * MAX_BODY_BYTES)).encode()
    response = post(client, None, now=now, body=big)
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_ORD_6_no_secret_configured_refuses_everything(client, order, now, settings):
    settings.TRACKING_WEBHOOK_SECRET = ""
    response = post(client, event(), now=now, secret="")
    assert response.status_code == 503 and not TrackingEvent.objects.exists()


def test_ORD_6_send_tracking_event_command_signs_what_the_webhook_accepts(client, order, now):
    out = io.StringIO()
    call_command("send_tracking_event", order.number, "--status", "out_for_delivery",
                 "--location", "Saint Paul", "--event-id", "demo-1", "--dry-run", stdout=out)
    head, _, raw = out.getvalue().partition("\n\n")
    header = head.splitlines()[1].split(": ", 1)[1]
    assert json.loads(raw)["tracking_number"] == order.tracking_number
    response = post(client, None, now=now, body=raw.strip().encode(), header=header)
    assert response.status_code == 201
    assert TrackingEvent.objects.get().status == "out_for_delivery"
