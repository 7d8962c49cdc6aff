"""The return providers' signed webhook, POST /webhooks/returns/<provider>/ (RET-3, RET-4):
signature, time window, replay by event id, tampering, bad input — and no confirm step for
the buyer: the provider's updates alone move the return."""

import json

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from payments.models import Refund
from returns import services
from returns.models import ReturnEvent, ReturnRequest
from returns.states import ReturnState
from tests.returns.factories import DAY, RECEIVED_AT, signed

pytestmark = pytest.mark.django_db
AT = RECEIVED_AT + 2 * DAY
URL = "/webhooks/returns/{}/"


def secret(slug: str) -> str:
    return settings.RETURN_PROVIDERS[slug]["secret"]


def post(body, *, provider="parcelpoint", at=AT, sign_at=None, key=None, header=None, raw=None):
    data, signature = signed(
        raw if raw is not None else body, secret=key or secret(provider), at=sign_at or at
    )
    with time_machine.travel(at, tick=False):
        return Client().post(
            URL.format(provider),
            data=data,
            content_type="application/json",
            HTTP_X_RETURN_SIGNATURE=header if header is not None else signature,
        )


@pytest.fixture
def ret(shop):
    order = shop.order()
    return services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: 2}, now=RECEIVED_AT + DAY
    )


def update(ret, status="dropped_off", event_id="evt-1", **extra):
    return {
        "event_id": event_id,
        "return_code": ret.return_code,
        "status": status,
        "occurred_at": (AT - DAY / 2).isoformat(),
        "location": "Saint Paul",
        **extra,
    }


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == code and body["message"]
    if field:
        assert body["fields"].get(field), body


def test_ret3_signed_update_moves_the_return(ret):
    response = post(update(ret))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "applied",
        "return": ret.pk,
        "state": "dropped_off",
        "event_id": "evt-1",
    }
    ret.refresh_from_db()
    assert ret.state == ReturnState.DROPPED_OFF
    assert ReturnEvent.objects.get(external_id="parcelpoint:evt-1").location == "Saint Paul"


def test_ret3_replayed_event_changes_nothing(ret):
    assert post(update(ret)).json()["status"] == "applied"
    again = post(update(ret), at=AT + DAY)  # the same event id, freshly signed
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ReturnEvent.objects.filter(request=ret, kind="provider_update").count() == 1


def test_ret3_full_journey_without_buyer_confirmation(ret):
    for i, status in enumerate(("dropped_off", "in_transit", "received")):
        assert post(update(ret, status, f"e{i}")).json()["state"] == status
    line = ret.lines.get()
    report = update(ret, "inspected", "e-insp", lines=[{"line_id": line.pk, "units_good": 1}])
    response = post(report)
    assert response.status_code == 200 and response.json()["state"] == "inspected"
    ret.refresh_from_db()
    assert ret.refund_minor == 2500 and Refund.objects.get().amount_minor == 2500  # RET-4
    assert post(report).json()["status"] == "duplicate"
    assert Refund.objects.count() == 1


def test_ret4_inspected_report_must_cover_every_line(ret):
    post(update(ret))
    line = ret.lines.get()
    assert_error(post(update(ret, "inspected", "i1")), 422, "validation_error", "lines")
    bad = update(ret, "inspected", "i2", lines=[{"line_id": line.pk, "units_good": 3}])  # 2 were sent
    assert_error(post(bad), 422, "validation_error", f"lines.{line.pk}")
    other = update(ret, "inspected", "i3", lines=[{"line_id": 999999, "units_good": 0}])
    assert_error(post(other), 422, "validation_error")
    ret.refresh_from_db()
    assert ret.state == ReturnState.DROPPED_OFF and not Refund.objects.exists()


def test_ret4_inspection_before_drop_off_is_a_conflict(ret):
    line = ret.lines.get()
    response = post(update(ret, "inspected", lines=[{"line_id": line.pk, "units_good": 1}]))
    assert_error(response, 409, "not_dropped_off")


@pytest.mark.parametrize("tamper", ["body", "signature", "other_secret", "other_provider", "missing"])
def test_ret3_tampered_or_unsigned_requests_are_refused(ret, tamper):
    body = update(ret)
    raw, header = signed(body, secret=secret("parcelpoint"), at=AT)
    kwargs = {}
    if tamper == "body":
        kwargs = {"raw": raw.replace(b"dropped_off", b"in_transit"), "header": header}
    elif tamper == "signature":
        kwargs = {"header": header[:-4] + "0000"}
    elif tamper == "other_secret":
        kwargs = {"key": "another-secret-of-forty-characters-long!!"}
    elif tamper == "other_provider":
        kwargs = {"key": secret("returnhub")}
    else:
        kwargs = {"header": ""}
    if "raw" in kwargs:  # send the changed bytes with the original signature
        with time_machine.travel(AT, tick=False):
            response = Client().post(
                URL.format("parcelpoint"),
                data=kwargs["raw"],
                content_type="application/json",
                HTTP_X_RETURN_SIGNATURE=header,
            )
    else:
        response = post(body, **kwargs)
    assert_error(response, 401, "bad_signature")
    ret.refresh_from_db()
    assert ret.state == ReturnState.CODE_ISSUED


@pytest.mark.parametrize("skew_minutes", [-6, 6])
def test_ret3_stale_signature_is_refused(ret, skew_minutes):
    import datetime as dt

    response = post(update(ret), sign_at=AT + dt.timedelta(minutes=skew_minutes))
    assert_error(response, 401, "stale_signature")


def test_ret3_a_provider_only_moves_its_own_returns(ret):
    response = post(update(ret), provider="returnhub")  # signed with returnhub's own secret
    assert_error(response, 404, "unknown_return_code", "return_code")


def test_ret3_unknown_provider_and_method(ret):
    assert_error(post(update(ret), provider="nobody", key="x"), 404, "unknown_provider")
    with time_machine.travel(AT, tick=False):
        response = Client().get(URL.format("parcelpoint"))
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"event_id": ""}, "event_id"),
        ({"event_id": 12}, "event_id"),
        ({"event_id": "x" * 101}, "event_id"),
        ({"status": "lost"}, "status"),
        ({"status": None}, "status"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-11-09T10:00:00"}, "occurred_at"),
        ({"occurred_at": "2030-01-01T00:00:00Z"}, "occurred_at"),
        ({"return_code": ""}, "return_code"),
        ({"location": ["a"]}, "location"),
        ({"lines": [{"line_id": 1, "units_good": 1}]}, "lines"),
    ],
)
def test_ret3_bad_fields_are_422(ret, change, field):
    assert_error(post({**update(ret), **change}), 422, "validation_error", field)
    ret.refresh_from_db()
    assert ret.state == ReturnState.CODE_ISSUED


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_ret3_bad_json_is_400(ret, raw):
    assert_error(post(None, raw=raw), 400, "bad_json")


def test_ret3_oversized_body_is_413(ret):
    big = update(ret, location="x" * (70 * 1024))
    assert_error(post(big), 413, "too_large")


def test_ret3_update_on_an_expired_code_is_a_conflict(ret):
    ReturnRequest.objects.filter(pk=ret.pk).update(state=ReturnState.EXPIRED)
    assert_error(post(update(ret)), 409, "return_closed")


def test_ret3_the_header_value_can_be_built(ret):
    from returns.webhooks import return_signature

    raw = json.dumps(update(ret)).encode()
    header = return_signature(body=raw, timestamp=int(AT.timestamp()), secret=secret("parcelpoint"))
    with time_machine.travel(AT, tick=False):
        response = Client().post(
            URL.format("parcelpoint"),
            data=raw,
            content_type="application/json",
            HTTP_X_RETURN_SIGNATURE=header,
        )
    assert response.status_code == 200


def test_ret3_development_secret_refused_outside_debug(ret, settings):
    """Outside DEBUG a dev-only (publicly known) or short secret accepts nothing."""
    for weak in ("dev-only-parcelpoint-webhook-secret", "short"):
        settings.RETURN_PROVIDERS["parcelpoint"]["secret"] = weak
        assert_error(post(update(ret), key=weak), 503, "not_configured")
    settings.DEBUG = True  # `make run`: the development default works
    settings.RETURN_PROVIDERS["parcelpoint"]["secret"] = "dev-only-parcelpoint-webhook-secret"
    assert post(update(ret), key="dev-only-parcelpoint-webhook-secret").status_code == 200
