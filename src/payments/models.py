"""Payments and refunds (PAY, RFD). Amounts are integer minor units.

A Payment pays one checkout (all its store orders). A Refund returns money
of one order; its idempotency key names the event that caused it, so the
same event never refunds twice.
"""

from django.db import models

from core.money import Money, currency_choices


class Payment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    checkout = models.ForeignKey("orders.Checkout", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=30, default="card")
    provider = models.CharField(max_length=30)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=currency_choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    provider_ref = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    failure_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.state}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class Refund(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Being processed"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    class Destination(models.TextChoices):
        ORIGINAL = "original", "The original card or account"
        BALANCE = "balance", "Your Hmong Artisans balance"
        COUPON = "coupon", "A coupon"

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
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
