"""Stripe, through the official `stripe` SDK (PAY-1, PAY-2, PAY-5).

Settings: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, and STRIPE_API_BASE (empty for
Stripe itself; the address of a localstripe server in the tests).

Capture: **automatic** (immediate) capture. The platform holds the buyer's money in its
own escrow ledger until buyer protection ends (BP-2), which is weeks after payment — far
longer than a card authorisation lives (about 7 days), so a manual-capture authorisation
would expire before the seller is paid. Capturing at once also makes refunds the single
way money goes back (RFD-1), with no "void an authorisation" path to keep in step.
`capture` is still implemented for a PaymentIntent created with manual capture.

Saved cards are PaymentMethods attached to a Customer of ours (one per user,
payments.models.ProviderCustomer); removing one detaches it. Every call that moves money
sends Stripe's Idempotency-Key, so a retried pay attempt charges once (PAY-5).
Declines — raised CardErrors or a PaymentIntent's last_payment_error — are mapped to the
PAY-2 catalogue by `decline_from_stripe`.
"""

from __future__ import annotations

import datetime as dt

import stripe
from django.conf import settings

from core.money import Money
from payments.providers.base import (
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
    ProviderEventData,
    RefundResult,
    WebhookError,
)

NAME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"

# Stripe decline_code (or code) → our PAY-2 code. decline_code is looked up first: Stripe
# sends code "card_declined" with the reason in decline_code.
_BY_DECLINE_CODE = {
    "insufficient_funds": "insufficient_funds",
    # "Rejected by the bank" with the bank's own code (our mapping of the generic refusals).
    "do_not_honor": "bank_rejected_csc_7200022",
    "generic_decline": "bank_rejected_csc_7200051",
    "call_issuer": "bank_rejected_csc_7200001",
    "card_not_supported": "card_not_supported",
    "transaction_not_allowed": "card_not_supported",
    "invalid_account": "card_not_supported",
    "authentication_required": "verification_required",
    "fraudulent": "verification_required",
    "incorrect_address": "incomplete_order_info",
    "expired_card": "expired_card",
    "incorrect_number": "wrong_card_info",
    "invalid_number": "wrong_card_info",
    "incorrect_zip": "wrong_card_info",
    "restricted_card": "restricted_card",
    "pickup_card": "restricted_card",
    "lost_card": "restricted_card",
    "stolen_card": "restricted_card",
    "security_violation": "restricted_card",
    "currency_not_supported": "currency_not_supported",
    "card_velocity_exceeded": "over_limit",
    "withdrawal_count_limit_exceeded": "over_limit",
    "incorrect_cvc": "wrong_cvv",
    "invalid_cvc": "wrong_cvv",
}
_BY_CODE = {
    "expired_card": "expired_card",
    "invalid_expiry_month": "expired_card",
    "invalid_expiry_year": "expired_card",
    "incorrect_cvc": "wrong_cvv",
    "invalid_cvc": "wrong_cvv",
    "incorrect_number": "wrong_card_info",
    "invalid_number": "wrong_card_info",
    "incorrect_zip": "wrong_card_info",
    "incorrect_address": "incomplete_order_info",
    "authentication_required": "verification_required",
    "payment_intent_authentication_failure": "verification_required",
    "card_decline_rate_limit_exceeded": "over_limit",
    "amount_too_large": "over_limit",
}


def decline_from_stripe(error: dict | None) -> str:
    """Our PAY-2 code for a Stripe error object (`{"code", "decline_code", "param", …}`)."""
    error = error or {}
    decline_code, code = error.get("decline_code") or "", error.get("code") or ""
    if decline_code in _BY_DECLINE_CODE:
        return _BY_DECLINE_CODE[decline_code]
    if code in _BY_CODE:
        return _BY_CODE[code]
    if error.get("param") == "currency" or "currency" in code:
        return "currency_not_supported"
    return "payment_failed"


def _error_dict(exc: stripe.StripeError) -> dict:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return {"code": exc.code or error.get("code"), **error}


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


def _card(pm) -> CardDetails:
    pm = _plain(pm)
    card = pm.get("card") or {}
    return CardDetails(
        token=pm["id"],
        brand=card.get("brand") or "card",
        last4=card.get("last4") or "",
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


class StripeProvider:
    name = NAME

    def __init__(
        self, *, api_key: str | None = None, api_base: str | None = None, webhook_secret: str | None = None
    ):
        api_key = api_key or settings.STRIPE_SECRET_KEY
        api_base = api_base if api_base is not None else settings.STRIPE_API_BASE
        self.webhook_secret = webhook_secret or settings.STRIPE_WEBHOOK_SECRET
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=0,
        )

    # --- customers and saved cards ---------------------------------------------------------

    def customer_create(self, *, email: str, reference: str, idempotency_key: str) -> str:
        customer = self.client.v1.customers.create(
            params={"email": email, "metadata": {"user": reference}},
            options={"idempotency_key": idempotency_key},
        )
        return customer.id

    def card_details(self, *, token: str) -> CardDetails | None:
        try:
            return _card(self.client.v1.payment_methods.retrieve(token))
        except stripe.InvalidRequestError:
            return None

    def card_save(self, *, token: str, customer_ref: str) -> CardDetails:
        try:
            pm = self.client.v1.payment_methods.attach(token, params={"customer": customer_ref})
        except stripe.CardError as exc:
            raise ProviderError(decline_from_stripe(_error_dict(exc)), str(exc)) from exc
        except stripe.InvalidRequestError as exc:
            raise ProviderError("wrong_card_info", str(exc)) from exc
        return _card(pm)

    def card_remove(self, *, token: str) -> None:
        try:
            self.client.v1.payment_methods.detach(token)
        except stripe.InvalidRequestError as exc:
            raise ProviderError("card_not_found", str(exc)) from exc

    # --- money -----------------------------------------------------------------------------

    def _result(self, intent) -> ChargeResult:
        intent = _plain(intent)
        status, ref = intent.get("status"), intent.get("id", "")
        if status == "succeeded":
            return ChargeResult(ok=True, provider_ref=ref)
        if status in ("processing", "requires_action", "requires_capture"):
            # requires_action: 3-D Secure; the buyer authenticates and a webhook tells us.
            return ChargeResult(ok=False, provider_ref=ref, status=ChargeStatus.PROCESSING)
        return ChargeResult(
            ok=False,
            provider_ref=ref,
            failure_code=decline_from_stripe(intent.get("last_payment_error")),
        )

    def charge(
        self, *, amount: Money, token: str, idempotency_key: str, customer_ref: str = ""
    ) -> ChargeResult:
        params = {
            "amount": amount.amount,
            "currency": amount.currency.lower(),
            "payment_method": token,
            "confirm": True,
            "capture_method": "automatic",
            "metadata": {"idempotency_key": idempotency_key},
        }
        if customer_ref:
            params["customer"] = customer_ref
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            error = _error_dict(exc)
            ref = ""
            if isinstance(error.get("payment_intent"), dict):
                ref = error["payment_intent"].get("id", "")
            return ChargeResult(ok=False, provider_ref=ref, failure_code=decline_from_stripe(error))
        except stripe.InvalidRequestError as exc:
            error = _error_dict(exc)
            if error.get("param") == "currency":
                return ChargeResult(ok=False, failure_code="currency_not_supported")
            if exc.http_status == 404:  # no such PaymentMethod
                return ChargeResult(ok=False, failure_code="wrong_card_info")
            raise ProviderError("provider_error", str(exc)) from exc
        return self._result(intent)

    def payment_status(self, *, payment_ref: str) -> ChargeResult:
        return self._result(self.client.v1.payment_intents.retrieve(payment_ref))

    def capture(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> ChargeResult:
        intent = self.client.v1.payment_intents.capture(
            payment_ref,
            params={"amount_to_capture": amount.amount},
            options={"idempotency_key": idempotency_key},
        )
        return self._result(intent)

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_ref, "amount": amount.amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            return RefundResult(ok=False, failure_code=_error_dict(exc).get("code") or "refund_refused")
        refund = _plain(refund)
        details = refund.get("destination_details") or {}
        arn = (details.get("card") or {}).get("reference") or ""
        return RefundResult(
            ok=refund.get("status") in ("succeeded", "pending"), provider_ref=refund["id"], arn=arn
        )

    # --- webhooks --------------------------------------------------------------------------

    def webhook_event(self, *, payload: bytes, headers: dict, now: dt.datetime) -> ProviderEventData:
        """Verified with the signing secret (stripe.Webhook.construct_event, 5-minute tolerance
        measured against our clock)."""
        header = headers.get(SIGNATURE_HEADER, "")
        try:
            event = stripe.Webhook.construct_event(payload, header, self.webhook_secret, tolerance=None)
        except stripe.SignatureVerificationError as exc:
            raise WebhookError("bad_signature", str(exc)) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookError("bad_json", "The body is not a Stripe event.", status=400) from exc
        timestamp = _signature_time(header)
        if timestamp is None or abs(now.timestamp() - timestamp) > 300:
            raise WebhookError("stale_signature", "The signature is too old.")
        event = _plain(event)
        obj = (event.get("data") or {}).get("object") or {}
        kind = {
            "payment_intent.succeeded": "payment.succeeded",
            "payment_intent.payment_failed": "payment.failed",
        }.get(event["type"], event["type"])
        failure = ""
        if kind == "payment.failed":
            failure = decline_from_stripe(dict(obj.get("last_payment_error") or {}))
        return ProviderEventData(
            id=event["id"],
            type=kind,
            payment_ref=obj.get("id", "") if obj.get("object") == "payment_intent" else "",
            payment_key=str((obj.get("metadata") or {}).get("idempotency_key", "")),
            failure_code=failure,
            payload=event,
        )


def _signature_time(header: str) -> int | None:
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            return int(value)
    return None
