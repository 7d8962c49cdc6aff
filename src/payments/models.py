"""Payments and refunds (PAY, RFD). Amounts are integer minor units.

A Payment pays one checkout (all its store orders). A Refund returns money
of one order; its idempotency key names the event that caused it, so the
same event never refunds twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from core.money import Money, currency_choices


class Payment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        PROCESSING = "processing", gettext_lazy("Being processed by the provider")
        VERIFYING = "verifying", gettext_lazy("Being verified")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Failed")

    checkout = models.ForeignKey("orders.Checkout", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=30, default="card")
    provider = models.CharField(max_length=30)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=currency_choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    provider_ref = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    failure_code = models.CharField(max_length=50, blank=True)
    # What the buyer paid with, as the provider described it (never a card number, PAY-1).
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.state}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class Refund(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Being processed")
        SUCCEEDED = "succeeded", gettext_lazy("Refunded")
        FAILED = "failed", gettext_lazy("Failed")

    class Destination(models.TextChoices):
        ORIGINAL = "original", gettext_lazy("The original card or account")
        BALANCE = "balance", gettext_lazy("Your Hmong Artisans balance")
        COUPON = "coupon", gettext_lazy("A coupon")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, null=True, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=currency_choices)
    destination = models.CharField(max_length=10, choices=Destination.choices, default=Destination.ORIGINAL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=100, unique=True)
    arn = models.CharField("bank reference (ARN)", max_length=40, blank=True)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Refund {self.pk} {self.amount} {self.state}"

    @property
    def coupon_code(self) -> str:
        """The code of the coupon a cash-on-delivery refund became (PAY-4), or ""."""
        coupon = RefundCoupon.objects.filter(refund_id=self.pk).first() if self.pk else None
        return coupon.code if coupon else ""

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ProviderCustomer(models.Model):
    """The provider's customer record for one of our users (Stripe: a Customer that saved
    PaymentMethods are attached to)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=30)
    ref = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="one_provider_customer_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.provider} customer {self.ref}"


class SavedCard(models.Model):
    """PAY-1 "Save this card": the provider's reusable token and what may be shown of the card.
    No card number is ever stored."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_cards")
    provider = models.CharField(max_length=30)
    token = models.CharField(max_length=100)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "token"], name="saved_card_token_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.owner_id})"

    @property
    def label(self) -> str:
        return f"{self.brand.title()} ending in {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"


class ProviderEvent(models.Model):
    """A webhook event received from a provider; the unique (provider, event_id) makes a
    redelivered event take effect once."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    result = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


# --- the simulated provider's own records (it plays the provider inside our app) -------------


class SimulatedCard(models.Model):
    """A card tokenised by the simulated hosted card page: the token maps to a test-card
    profile; only brand, last four digits and expiry are kept — never the number (PAY-1)."""

    token = models.CharField(max_length=60, unique=True)
    profile = models.CharField(max_length=40)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    customer = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.token} {self.brand} {self.last4}"


class SimulatedCharge(models.Model):
    """One charge at the simulated provider; the unique key is its idempotency (PAY-5)."""

    idempotency_key = models.CharField(max_length=120, unique=True)
    ref = models.CharField(max_length=60, unique=True)
    token = models.CharField(max_length=60)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    failure_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.ref} {self.amount_minor} {self.currency} {self.status}"


class SimulatedRefund(models.Model):
    idempotency_key = models.CharField(max_length=120, unique=True)
    charge = models.ForeignKey(SimulatedCharge, on_delete=models.CASCADE, related_name="refunds")
    ref = models.CharField(max_length=60, unique=True)
    arn = models.CharField(max_length=40)
    amount_minor = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.ref} {self.amount_minor}"


class RefundCoupon(models.Model):
    """RFD-1 / PAY-4: a refund of a cash-on-delivery payment is given as a coupon worth the
    refunded amount, usable by its owner (the coupons feature folds these in)."""

    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="coupon")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refund_coupons"
    )
    code = models.CharField(max_length=24, unique=True)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=currency_choices)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
