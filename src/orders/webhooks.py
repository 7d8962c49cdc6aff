"""The carrier tracking webhook: POST /webhooks/tracking/ (ORD-6).

A carrier or a tracking aggregator pushes one scan per request as JSON::

    {"event_id": "evt_123", "tracking_number": "EX123456789TH", "carrier": "Thailand Post",
     "status": "in_transit", "occurred_at": "2026-11-05T08:30:00Z",
     "location": "Bangkok", "description": "Departed the sorting centre"}

Authentication: the header ``X-Tracking-Signature: t=<unix seconds>,v1=<hex>``
where ``<hex>`` is HMAC-SHA256 over ``"<t>.<raw body>"`` with the shared
secret settings.TRACKING_WEBHOOK_SECRET, compared in constant time. A
timestamp more than five minutes away from our clock (either way) is refused,
so a captured request cannot be replayed later. Several ``v1=`` entries may be
sent (while a secret is being rotated); one matching is enough.

Answers (errors in the one shape of core.api_errors.error_body):
  201 {"status": "created", ...}     the event is stored
  200 {"status": "duplicate", ...}   this event_id was stored before; nothing changes
  400 bad_json                       the body is not a JSON object
  401 bad_signature / stale_signature
  404 unknown_tracking_number        no shipped order (nor a dispute's return parcel, DSP-3) has it
  409 ambiguous_tracking_number / not_shipped
  413 too_large, 405 method_not_allowed
  422 validation_error               with a message per field

A number that is no order's but a dispute's submitted return tracking (DSP-3) is a scan of the
buyer's return parcel: it goes on the dispute (disputes.services.return_scan_record, once per
event id; "delivered" records the delivery the seller's 30-day silence is judged by).

`tracking_signature` builds the header; `manage.py send_tracking_event` uses it
to post an event to a running site for demos.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core import clock
from core.api_errors import error_body
from core.errors import DomainError
from orders.carriers import carrier_find
from orders.models import Order, TrackingEvent
from orders.services import tracking_event_record
from orders.states import State

SIGNATURE_HEADER = "X-Tracking-Signature"
TOLERANCE = dt.timedelta(minutes=5)
MAX_BODY_BYTES = 64 * 1024
FIELD_LIMITS = {"event_id": 100, "tracking_number": 80, "carrier": 80, "status": 40, "occurred_at": 40}


# --- signing ------------------------------------------------------------------------------------


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def tracking_signature(*, body: bytes, timestamp: int, secret: str) -> str:
    """The X-Tracking-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def signature_problem(*, header: str, body: bytes, secret: str, now: dt.datetime) -> str | None:
    """None when the header signs `body` with `secret` within the time window, else an error code."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        return "bad_signature"
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in candidates):
        return "bad_signature"
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return "stale_signature"
    return None


# --- the endpoint -------------------------------------------------------------------------------

_MESSAGES = {
    "bad_signature": "The request signature is missing or does not match.",
    "stale_signature": "The signature timestamp is more than 5 minutes away from our clock; "
    "sign the request again with the current time.",
}


def _error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)


def _text(payload: dict, name: str, errors: dict, *, required: bool) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["This field is required."]
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors[name] = ["Must be a string."]
        return ""
    text = str(value).strip()
    limit = FIELD_LIMITS.get(name)
    if limit and len(text) > limit:
        errors[name] = [f"At most {limit} characters."]
    elif required and not text:
        errors[name] = ["This field is required."]
    return text


def _optional_text(payload: dict, name: str, errors: dict) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
        return ""
    return value.strip()


def parse_event(payload: dict) -> tuple[dict, dict]:
    """The event's cleaned fields, and the errors per field (empty when valid)."""
    errors: dict[str, list[str]] = {}
    data = {
        "event_id": _text(payload, "event_id", errors, required=True),
        "tracking_number": _text(payload, "tracking_number", errors, required=True).replace(" ", ""),
        "carrier": _text(payload, "carrier", errors, required=False),
        "status": _text(payload, "status", errors, required=True),
        "location": _optional_text(payload, "location", errors),
        "description": _optional_text(payload, "description", errors),
    }
    if data["status"] and data["status"] not in TrackingEvent.Status.values:
        errors["status"] = [f"One of: {', '.join(TrackingEvent.Status.values)}."]
    occurred = _text(payload, "occurred_at", errors, required=True)
    data["occurred_at"] = None
    if occurred and "occurred_at" not in errors:
        try:
            when = dt.datetime.fromisoformat(occurred)
        except ValueError:
            errors["occurred_at"] = ["An ISO 8601 date and time, e.g. 2026-11-05T08:30:00Z."]
        else:
            if when.tzinfo is None or when.utcoffset() is None:
                errors["occurred_at"] = ["Include the time zone, e.g. Z or +07:00."]
            else:
                data["occurred_at"] = when.astimezone(dt.UTC)
    return data, errors


def _order_for(tracking_number: str, carrier: str) -> Order | JsonResponse:
    candidates = list(
        Order.objects.filter(
            tracking_number=tracking_number.upper(), state__in=(State.SHIPPED, State.COMPLETED)
        ).order_by("-shipped_at")[:20]
    )
    if len(candidates) > 1 and carrier:
        wanted = carrier_find(carrier)
        same = [
            o for o in candidates
            if (wanted and carrier_find(o.carrier) == wanted) or o.carrier.casefold() == carrier.casefold()
        ]
        candidates = same or candidates
    if not candidates:
        return _error(404, "unknown_tracking_number", "No shipped order has this tracking number.",
                      {"tracking_number": ["No shipped order has this tracking number."]})
    if len(candidates) > 1:
        return _error(409, "ambiguous_tracking_number",
                      "Several orders share this tracking number; send the carrier to tell them apart.",
                      {"carrier": ["Needed: several orders share this tracking number."]})
    return candidates[0]


def _accepted(event: TrackingEvent, order: Order, created: bool) -> JsonResponse:
    body = {
        "status": "created" if created else "duplicate",
        "tracking_event_id": event.pk,
        "event_id": event.external_id,
        "order": order.number,
    }
    return JsonResponse(body, status=201 if created else 200)


def _return_parcel(data: dict, now: dt.datetime) -> JsonResponse | None:
    """DSP-3: a scan of a dispute's return parcel goes on the dispute (disputes.services)."""
    from disputes.services import return_scan_for, return_scan_record

    dispute = return_scan_for(data["tracking_number"])
    if dispute is None:
        return None
    scan, created = return_scan_record(
        dispute=dispute, event_id=data["event_id"], status=data["status"], occurred_at=data["occurred_at"],
        location=data["location"], description=data["description"], now=now,
    )
    body = {"status": "created" if created else "duplicate", "event_id": scan.external_id,
            "dispute": scan.dispute_id}
    return JsonResponse(body, status=201 if created else 200)


@csrf_exempt
def tracking_webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Send events with POST.")
        response["Allow"] = "POST"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _error(413, "too_large", f"One event per request, at most {MAX_BODY_BYTES} bytes.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"One event per request, at most {MAX_BODY_BYTES} bytes.")
    now = clock.now()
    secret = getattr(settings, "TRACKING_WEBHOOK_SECRET", "")
    if not secret:
        return _error(503, "not_configured", "The tracking webhook has no secret configured.")
    problem = signature_problem(
        header=request.headers.get(SIGNATURE_HEADER, ""), body=body, secret=secret, now=now
    )
    if problem:
        return _error(401, problem, _MESSAGES[problem])
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "bad_json", "The body must be a JSON object in UTF-8.")
    if not isinstance(payload, dict):
        return _error(400, "bad_json", "The body must be a JSON object (one event).")
    data, errors = parse_event(payload)
    if errors:
        return _error(422, "validation_error", "Some fields are invalid.", errors)

    seen = TrackingEvent.objects.select_related("order").filter(external_id=data["event_id"]).first()
    if seen:
        return _accepted(seen, seen.order, created=False)
    order = _order_for(data["tracking_number"], data["carrier"])
    if isinstance(order, JsonResponse):
        if order.status_code == 404:  # DSP-3: maybe a buyer's return parcel of a dispute
            return _return_parcel(data, now) or order
        return order
    try:
        event, created = tracking_event_record(
            order=order,
            status=data["status"],
            occurred_at=data["occurred_at"],
            location=data["location"],
            description=data["description"],
            source=TrackingEvent.Source.WEBHOOK,
            external_id=data["event_id"],
            now=now,
        )
    except DomainError as error:
        status = 422 if error.fields else error.status
        return _error(status, error.code, error.message, error.fields)
    return _accepted(event, order, created)
