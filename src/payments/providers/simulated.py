"""The simulated provider: the default for development, the demo and the tests.

It plays a real card provider inside our app. Its hosted card page (payments.views,
under /pay/sim/) takes the card number, keeps only a token "sim_pm_<random>" mapped to a
test-card profile plus brand, last four digits and expiry (SimulatedCard), and hands the
token back to the shop (PAY-1). Charges are recorded once per idempotency key
(SimulatedCharge, PAY-5); refunds return an ARN and never exceed what was charged; results
that come later are sent as HMAC-signed webhooks, delivered by a background task through
the same verification a remote provider's would go through.

TEST_CARDS lists the numbers that produce each outcome (also in the README). Any expiry
date in the future and any three-digit CVC work, except that a past expiry date makes
any card decline with `expired_card`. A number that is not a test card is refused as
"card not supported".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django_tasks import task

from core.money import Money
from deadlines.rows import sql_row
from payments.providers.base import (
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
    ProviderEventData,
    RefundResult,
    WebhookError,
)

NAME = "simulated"
SUCCESS_TOKEN = "tok_success"  # a ready-made token that always succeeds (tests, quick demo)
DECLINED_TOKEN = "tok_declined"  # a ready-made token that is always declined (generic decline)
SIGNATURE_HEADER = "X-Sim-Signature"

SUCCESS = "success"
PROCESSING = "processing"  # succeeds later, by webhook
PROCESSING_DECLINED = "processing_declined"  # declined later, by webhook
LATER_DECLINE_CODE = "bank_rejected_csc_7200051"

# number → profile. A profile is "success", "processing", "processing_declined", or a
# payments.declines code ("verification_required" sends the order to verification, PAY-3).
TEST_CARDS: dict[str, str] = {
    "4242424242424242": SUCCESS,
    "5555555555554444": SUCCESS,
    "378282246310005": SUCCESS,
    "4000000000009995": "insufficient_funds",
    "4000007200022009": "bank_rejected_csc_7200022",
    "4000007200051008": "bank_rejected_csc_7200051",
    "4000007200001003": "bank_rejected_csc_7200001",
    "4000000000000101": "card_not_supported",
    "4000000000000200": "verification_required",
    "4000000000000309": "incomplete_order_info",
    "4000000000000069": "expired_card",
    "4000000000000408": "wrong_card_info",
    "4000000000000507": "restricted_card",
    "4000000000000606": "currency_not_supported",  # declines any currency but USD
    "4000000000000705": "over_limit",
    "4000000000000127": "wrong_cvv",
    "4000000000000804": PROCESSING,
    "4000000000000903": PROCESSING_DECLINED,
}
_READY_TOKENS = {SUCCESS_TOKEN: SUCCESS, DECLINED_TOKEN: "payment_failed"}

# PAY-4: the other payment methods, simulated behind the same charge call. A method's token
# is "sim_method:<code>"; methods that confirm later (bank transfer, cash, Boleto, Western
# Union) stay "processing" until `offline_payment_received` sends the signed webhook.
METHOD_TOKEN_PREFIX = "sim_method:"
OFFLINE = "offline"


def method_token(code: str) -> str:
    return f"{METHOD_TOKEN_PREFIX}{code}"


def _method_profile(token: str) -> str | None:
    from payments import methods

    if not token.startswith(METHOD_TOKEN_PREFIX):
        return None
    method = methods.METHODS.get(token[len(METHOD_TOKEN_PREFIX):])
    if method is None or method.code == "card":
        return "payment_failed"
    return OFFLINE if method.confirms == methods.LATER else SUCCESS


def offline_payment_received(*, payment_ref: str, payment_key: str = "", ok: bool = True) -> str:
    """The money of a bank transfer / cash / Boleto / Western Union payment arrived (or the
    slip expired, ok=False): the simulated provider sends its signed webhook."""
    from payments.models import SimulatedCharge

    SimulatedCharge.objects.filter(ref=payment_ref, status=ChargeStatus.PROCESSING).update(
        status=ChargeStatus.SUCCEEDED if ok else ChargeStatus.FAILED
    )
    event = "payment.succeeded" if ok else "payment.failed"
    return sim_webhook_deliver.call(event, payment_ref, "" if ok else "payment_failed", payment_key)


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    return "card"


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def _arn(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return "7" + str(int(digest[:16], 16))[:22].rjust(22, "0")


def card_tokenise(*, number: str, exp_month: int, exp_year: int, now: dt.datetime):
    """The hosted card page's one write: a token for the card. The number itself is only
    read here, to choose the test profile, and is not stored."""
    from payments.models import SimulatedCard

    profile = TEST_CARDS.get(number, "card_not_supported")
    if (exp_year, exp_month) < (now.year, now.month):
        profile = "expired_card"
    return SimulatedCard.objects.create(
        token=f"sim_pm_{secrets.token_urlsafe(18)}",
        profile=profile,
        brand=card_brand(number),
        last4=number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        created_at=now,
    )


def webhook_sign(*, body: bytes, timestamp: int, secret: str | None = None) -> str:
    from orders.webhooks import tracking_signature  # the same t=…,v1=HMAC-SHA256 scheme

    return tracking_signature(
        body=body, timestamp=timestamp, secret=secret or settings.SIMULATED_WEBHOOK_SECRET
    )


def webhook_body(
    *, event_type: str, payment_ref: str, failure_code: str = "", payment_key: str = ""
) -> bytes:
    event_id = _ref("evt", f"{payment_ref}:{event_type}")
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "payment_ref": payment_ref,
            "payment_key": payment_key,
            "failure_code": failure_code,
        },
        sort_keys=True,
    ).encode()


@task()
def sim_webhook_deliver(
    event_type: str, payment_ref: str, failure_code: str = "", payment_key: str = ""
) -> str:
    """The simulated provider telling the shop how a payment ended: a signed webhook,
    handed to the same receiver a posted one goes through."""
    from core.clock import now
    from payments.webhooks import webhook_receive

    current = now()
    body = webhook_body(
        event_type=event_type, payment_ref=payment_ref, failure_code=failure_code, payment_key=payment_key
    )
    header = webhook_sign(body=body, timestamp=int(current.timestamp()))
    status, result = webhook_receive(
        provider=NAME, payload=body, headers={SIGNATURE_HEADER: header}, now=current
    )
    return f"{status} {result}"


_CHARGE_INSERT_SQL = (
    'INSERT INTO "payments_simulatedcharge" ("idempotency_key", "ref", "token", "amount_minor", '
    '"currency", "status", "failure_code", "created_at") VALUES (%s, %s, %s, %s, %s, %s, %s, %s) '
    'ON CONFLICT DO NOTHING RETURNING "ref", "status", "failure_code"'
)
_CHARGE_GET_SQL = (
    'SELECT "ref", "status", "failure_code" FROM "payments_simulatedcharge" WHERE "idempotency_key" = %s'
)


class SimulatedProvider:
    name = NAME

    def customer_create(self, *, email: str, reference: str, idempotency_key: str) -> str:
        return _ref("sim_cus", idempotency_key)

    def _profile(self, token: str):
        from payments.models import SimulatedCard

        if token in _READY_TOKENS:
            return _READY_TOKENS[token], None
        method_profile = _method_profile(token)
        if method_profile is not None:
            return method_profile, None
        card = SimulatedCard.objects.filter(token=token).first()
        return (card.profile, card) if card else ("payment_failed", None)

    def charge(
        self, *, amount: Money, token: str, idempotency_key: str, customer_ref: str = ""
    ) -> ChargeResult:
        profile, card = self._profile(token)
        # The charge row first (unique per key): a repeated key finds the first charge (PAY-5).
        status, failure = ChargeStatus.SUCCEEDED, ""
        if profile == "currency_not_supported" and amount.currency == "USD":
            profile = SUCCESS
        if profile in (PROCESSING, PROCESSING_DECLINED, OFFLINE):
            status = ChargeStatus.PROCESSING
        elif profile == "verification_required":
            status, failure = ChargeStatus.VERIFYING, profile
        elif profile != SUCCESS:
            status, failure = ChargeStatus.FAILED, profile
        # One statement, no savepoint: a repeated key (perhaps at the same moment) inserts
        # nothing and finds the first charge (PAY-5); the ref derives from the key.
        row = sql_row(_CHARGE_INSERT_SQL, [
            idempotency_key, _ref("sim_ch", idempotency_key), token, amount.amount, amount.currency,
            status, failure, dt.datetime.now(dt.UTC),
        ])
        if row is None:
            row = sql_row(_CHARGE_GET_SQL, [idempotency_key])
        elif status == ChargeStatus.PROCESSING and profile != OFFLINE:
            later = (
                ("payment.succeeded", "")
                if profile == PROCESSING
                else ("payment.failed", LATER_DECLINE_CODE)
            )
            sim_webhook_deliver.enqueue(later[0], row[0], later[1], idempotency_key)
        ref, charge_status, failure_code = row
        details = self._details(card) if card else None
        return ChargeResult(
            ok=charge_status == ChargeStatus.SUCCEEDED,
            provider_ref=ref,
            failure_code=failure_code,
            status=charge_status,
            card=details,
        )

    def capture(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> ChargeResult:
        return ChargeResult(ok=True, provider_ref=payment_ref)  # charges capture at once

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> RefundResult:
        from payments.models import SimulatedCharge, SimulatedRefund

        done = SimulatedRefund.objects.filter(idempotency_key=idempotency_key).first()
        if done:
            return RefundResult(ok=True, provider_ref=done.ref, arn=done.arn)
        charge = SimulatedCharge.objects.filter(ref=payment_ref).first()
        if charge is None:
            # Payments made before this provider kept its records (or "tok_success" rows
            # written by hand in tests) still refund, deterministically.
            return RefundResult(
                ok=True, provider_ref=_ref("sim_re", idempotency_key), arn=_arn(idempotency_key)
            )
        with transaction.atomic():
            charge = SimulatedCharge.objects.select_for_update().get(pk=charge.pk)
            refunded = charge.refunds.aggregate(s=Sum("amount_minor"))["s"] or 0
            if amount.amount <= 0 or amount.amount > charge.amount_minor - refunded:
                return RefundResult(ok=False, failure_code="amount_too_large")
            if charge.status != ChargeStatus.SUCCEEDED:
                return RefundResult(ok=False, failure_code="charge_not_captured")
            done = SimulatedRefund.objects.create(
                idempotency_key=idempotency_key,
                charge=charge,
                ref=_ref("sim_re", idempotency_key),
                arn=_arn(idempotency_key),
                amount_minor=amount.amount,
                created_at=dt.datetime.now(dt.UTC),
            )
        return RefundResult(ok=True, provider_ref=done.ref, arn=done.arn)

    @staticmethod
    def _details(card) -> CardDetails:
        return CardDetails(
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def card_details(self, *, token: str) -> CardDetails | None:
        from payments.models import SimulatedCard

        card = SimulatedCard.objects.filter(token=token).first()
        return self._details(card) if card else None

    def card_save(self, *, token: str, customer_ref: str) -> CardDetails:
        from payments.models import SimulatedCard

        card = SimulatedCard.objects.filter(token=token).first()
        if card is None:
            raise ProviderError("wrong_card_info", "No such card")
        if card.customer and card.customer != customer_ref:
            raise ProviderError("wrong_card_info", "This card belongs to another customer")
        SimulatedCard.objects.filter(pk=card.pk).update(customer=customer_ref)
        return self._details(card)

    def card_remove(self, *, token: str) -> None:
        from payments.models import SimulatedCard

        SimulatedCard.objects.filter(token=token).update(customer="")

    def webhook_event(self, *, payload: bytes, headers: dict, now: dt.datetime) -> ProviderEventData:
        from orders.webhooks import signature_problem

        problem = signature_problem(
            header=headers.get(SIGNATURE_HEADER, ""),
            body=payload,
            secret=settings.SIMULATED_WEBHOOK_SECRET,
            now=now,
        )
        if problem:
            raise WebhookError(problem, "The webhook signature is missing, wrong or too old.")
        try:
            data = json.loads(payload)
        except ValueError:
            raise WebhookError("bad_json", "The body is not JSON.", status=400) from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise WebhookError("bad_json", "The event has no id.", status=400)
        return ProviderEventData(
            id=data["id"][:100],
            type=str(data.get("type", ""))[:60],
            payment_ref=str(data.get("payment_ref", ""))[:100],
            payment_key=str(data.get("payment_key", ""))[:100],
            failure_code=str(data.get("failure_code", ""))[:50],
            payload=data,
        )
