"""Provider webhooks: POST /webhooks/payments/<provider>/ (PAY-1, PAY-5).

The provider adapter verifies the signature and parses the event
(`PaymentProvider.webhook_event`): the simulated provider signs with HMAC-SHA256 under
settings.SIMULATED_WEBHOOK_SECRET (header ``X-Sim-Signature: t=<unix>,v1=<hex>``, five
minutes' tolerance), Stripe with its signing secret (``Stripe-Signature``, checked by
stripe.Webhook.construct_event). Each event takes effect once: its (provider, event id) is
a unique ProviderEvent row written in the same transaction as the effect, so a redelivered
event — even three deliveries at the same moment — answers "duplicate" and changes nothing.

Answers (errors in the one shape of core.api_errors.error_body):
  200 {"status": "processed", "result": …}   the event was applied (or ignored: unknown type)
  200 {"status": "duplicate", "event_id": …} this event was received before
  400 bad_json, 401 bad_signature / stale_signature, 404 unknown provider,
  405 method_not_allowed, 413 too_large
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core import clock
from core.api_errors import error_body
from payments.models import ProviderEvent
from payments.providers import PROVIDERS, WebhookError, get_provider

MAX_BODY_BYTES = 256 * 1024
SETTLING = {"payment.succeeded": True, "payment.failed": False}


def webhook_receive(*, provider: str, payload: bytes, headers, now: dt.datetime) -> tuple[int, dict]:
    """Verify, record once and apply one webhook. Returns (HTTP status, JSON body)."""
    from orders.services import payment_settle

    if provider not in PROVIDERS:
        return 404, error_body("unknown_provider", "There is no such payment provider.")
    try:
        event = get_provider(provider).webhook_event(payload=payload, headers=headers, now=now)
    except WebhookError as exc:
        return exc.status, error_body(exc.code, str(exc))
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider,
                    event_id=event.id,
                    type=event.type,
                    payload=event.payload,
                    received_at=now,
                )
        except IntegrityError:
            return 200, {"status": "duplicate", "event_id": event.id}
        result = "ignored"
        if event.type in SETTLING:
            payment = payment_settle(
                provider=provider,
                payment_ref=event.payment_ref,
                payment_key=event.payment_key,
                ok=SETTLING[event.type],
                failure_code=event.failure_code,
                now=now,
            )
            result = payment.state if payment else "unknown_payment"
        record.result = result
        record.save(update_fields=["result"])
    return 200, {"status": "processed", "event_id": event.id, "result": result}


@csrf_exempt
def payment_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", "Use POST."), status=405)
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse(error_body("too_large", "The event is too large."), status=413)
    status, body = webhook_receive(
        provider=provider, payload=request.body, headers=request.headers, now=clock.now()
    )
    return JsonResponse(body, status=status)
