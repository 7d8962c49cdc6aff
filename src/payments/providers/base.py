"""The interface every payment provider implements (PAY-1, PAY-2, PAY-5).

Card numbers never reach this interface: the buyer types them on the provider's own card
step, which hands us a token (a PaymentMethod id for Stripe, "sim_pm_…" for the simulated
provider). Every call that moves money carries an idempotency key, so a retried call has
the effect of one (PAY-5). Declines come back as keys of payments.declines.CATALOGUE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.money import Money


class ProviderError(Exception):
    """A call the provider refused or could not answer. `code` is a payments.declines key
    when the refusal is a card decline."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


class WebhookError(Exception):
    """A webhook that is not signed by the provider (or is malformed): answered 400/401."""

    def __init__(self, code: str, message: str = "", status: int = 401):
        super().__init__(message or code)
        self.code = code
        self.status = status


class ChargeStatus:
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a PAY-2 decline: failure_code says which
    PROCESSING = "processing"  # the result comes later, by webhook (or 3-D Secure pending)
    VERIFYING = "verifying"  # PAY-3: the provider flagged the card for verification


@dataclass(frozen=True)
class CardDetails:
    """What may be shown and kept about a card (PAY-1): never its number."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    provider_ref: str = ""
    failure_code: str = ""
    status: str = ""
    card: CardDetails | None = None

    def __post_init__(self):
        if not self.status:
            object.__setattr__(self, "status", ChargeStatus.SUCCEEDED if self.ok else ChargeStatus.FAILED)


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    provider_ref: str = ""
    arn: str = ""
    failure_code: str = ""


@dataclass(frozen=True)
class ProviderEventData:
    """A verified webhook, in provider-neutral terms.

    type: "payment.succeeded" | "payment.failed" | "refund.succeeded" | anything else (ignored)
    """

    id: str
    type: str
    payment_ref: str = ""
    payment_key: str = ""  # the idempotency key our pay attempt sent (metadata), if given
    failure_code: str = ""
    payload: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def customer_create(self, *, email: str, reference: str, idempotency_key: str) -> str:
        """A customer record that saved cards attach to; returns its ref."""

    def charge(
        self, *, amount: Money, token: str, idempotency_key: str, customer_ref: str = ""
    ) -> ChargeResult:
        """Authorise and capture `amount` on the card `token` (see each adapter for when it
        captures). Declines are returned (ok=False), not raised."""

    def capture(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> ChargeResult: ...

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Return `amount` (all or part of the charge); the result carries the ARN when the
        provider gives one (RFD-2)."""

    def card_save(self, *, token: str, customer_ref: str) -> CardDetails:
        """Make `token` reusable for the customer ("Save this card"). Raises ProviderError
        with a decline code when the card is refused."""

    def card_remove(self, *, token: str) -> None: ...

    def card_details(self, *, token: str) -> CardDetails | None:
        """Brand, last four digits and expiry of a token, or None when unknown."""

    def webhook_event(self, *, payload: bytes, headers: dict, now) -> ProviderEventData:
        """Verify a webhook's signature and parse it; raises WebhookError otherwise."""
