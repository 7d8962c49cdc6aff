"""The return providers' webhook: POST /webhooks/returns/<provider>/ (RET-3, RET-4).

Each provider (settings.RETURN_PROVIDERS) pushes one status update per request as JSON::

    {"event_id": "evt_42", "return_code": "RT-ABCDEFGHJK", "status": "in_transit",
     "occurred_at": "2026-11-20T09:15:00Z", "location": "Lyon hub"}

`status` is dropped_off, in_transit, received or inspected; "inspected" is the warehouse
report and carries the units in good condition for every line of the return::

    {"status": "inspected", ..., "lines": [{"line_id": 7, "units_good": 2}, ...]}

Authentication as the tracking webhook (orders.webhooks): the header
``X-Return-Signature: t=<unix seconds>,v1=<hex>``, HMAC-SHA256 over ``"<t>.<raw body>"``
with the provider's own secret, compared in constant time; a timestamp more than five
minutes from our clock is refused. Replay protection: an event id is applied once per
provider (ReturnEvent.external_id); a repeat answers 200 "duplicate" and changes nothing.

Answers (errors in the one shape of core.api_errors.error_body):
  200 {"status": "applied" | "duplicate" | "ignored", "return": id, "state": ...}
  400 bad_json · 401 bad_signature / stale_signature · 404 unknown_provider / unknown_return_code
  409 return_closed / invalid state for the report · 413 too_large · 405 method_not_allowed
  422 validation_error with a message per field
"""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core import clock
from core.api_errors import error_body
from core.errors import DomainError
from orders.webhooks import signature_problem, tracking_signature
from returns.providers import provider_get
from returns.services import return_provider_update
from returns.states import PROVIDER_STATUSES

SIGNATURE_HEADER = "X-Return-Signature"
MAX_BODY_BYTES = 64 * 1024
LIMITS = {"event_id": 100, "return_code": 20, "status": 20, "occurred_at": 40, "location": 120}
# A provider's clock may run a little fast: scans up to this far ahead of ours are accepted.
CLOCK_SKEW = dt.timedelta(minutes=5)

_MESSAGES = {
    "bad_signature": "The request signature is missing or does not match.",
    "stale_signature": "The signature timestamp is more than 5 minutes away from our clock; "
    "sign the request again with the current time.",
}


def return_signature(*, body: bytes, timestamp: int, secret: str) -> str:
    """The X-Return-Signature header value for `body` sent at `timestamp` (same scheme as tracking)."""
    return tracking_signature(body=body, timestamp=timestamp, secret=secret)


def _error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)


def _text(payload: dict, name: str, errors: dict, *, required: bool) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["This field is required."]
        return ""
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
        return ""
    text = value.strip()
    if len(text) > LIMITS[name]:
        errors[name] = [f"At most {LIMITS[name]} characters."]
    elif required and not text:
        errors[name] = ["This field is required."]
    return text


def parse_update(payload: dict, now: dt.datetime) -> tuple[dict, dict]:
    """The update's cleaned fields, and the errors per field (empty when valid)."""
    errors: dict[str, list[str]] = {}
    data = {
        "event_id": _text(payload, "event_id", errors, required=True),
        "return_code": _text(payload, "return_code", errors, required=True).upper(),
        "status": _text(payload, "status", errors, required=True),
        "location": _text(payload, "location", errors, required=False),
        "occurred_at": None,
        "lines": None,
    }
    if data["status"] and "status" not in errors and data["status"] not in PROVIDER_STATUSES:
        errors["status"] = [f"One of: {', '.join(PROVIDER_STATUSES)}."]
    occurred = _text(payload, "occurred_at", errors, required=True)
    if occurred and "occurred_at" not in errors:
        try:
            when = dt.datetime.fromisoformat(occurred)
        except ValueError:
            errors["occurred_at"] = ["An ISO 8601 date and time, e.g. 2026-11-20T09:15:00Z."]
        else:
            if when.tzinfo is None or when.utcoffset() is None:
                errors["occurred_at"] = ["Include the time zone, e.g. Z or +01:00."]
            elif when > now + CLOCK_SKEW:
                errors["occurred_at"] = ["This time is in the future."]
            else:
                data["occurred_at"] = when.astimezone(dt.UTC)
    if data["status"] == "inspected":
        lines = payload.get("lines")
        if not isinstance(lines, list) or not lines:
            errors["lines"] = ["List every line of the return with its units in good condition."]
        else:
            data["lines"] = lines
    elif payload.get("lines") is not None:
        errors["lines"] = ["Only an \"inspected\" report carries lines."]
    return data, errors


@csrf_exempt
def return_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Send updates with POST.")
        response["Allow"] = "POST"
        return response
    spec = provider_get(provider)
    if spec is None:
        return _error(404, "unknown_provider", "No return provider has this name.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"One update per request, at most {MAX_BODY_BYTES} bytes.")
    body = request.body
    now = clock.now()
    if not spec.secret_usable:  # none, or a development default outside DEBUG
        return _error(503, "not_configured", "This return provider has no usable webhook secret configured.")
    problem = signature_problem(
        header=request.headers.get(SIGNATURE_HEADER, ""), body=body, secret=spec.secret, now=now
    )
    if problem:
        return _error(401, problem, _MESSAGES[problem])
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "bad_json", "The body must be a JSON object in UTF-8.")
    if not isinstance(payload, dict):
        return _error(400, "bad_json", "The body must be a JSON object (one update).")
    data, errors = parse_update(payload, now)
    if errors:
        return _error(422, "validation_error", "Some fields are invalid.", errors)
    try:
        returned, outcome = return_provider_update(
            provider=spec.slug,
            event_id=data["event_id"],
            return_code=data["return_code"],
            status=data["status"],
            occurred_at=data["occurred_at"],
            location=data["location"],
            units_good=data["lines"],
            now=now,
        )
    except DomainError as error:  # a refusal by the rules (403 for people) is a conflict for a provider
        status = 409 if error.status == 403 else error.status
        return _error(status, error.code, error.message, error.fields)
    return JsonResponse(
        {"status": outcome, "return": returned.pk, "state": returned.state, "event_id": data["event_id"]},
        status=200,
    )
