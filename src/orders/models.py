"""Orders (ORD-1…ORD-9): one order per store, its lines, and its timeline.

Order.state changes only through orders.transitions.order_transition, which
records an OrderEvent for every change and arms the deadline of the new state
(deadlines app). Amounts are integer minor units in the order's currency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from core.countries import country_choices
from core.money import Money, currency_choices
from orders.states import Actor, CloseReason, State


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    checkout = models.ForeignKey(
        "orders.Checkout", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="orders")
    state = models.CharField(max_length=30, choices=State.choices, default=State.AWAITING_PAYMENT)
    close_reason = models.CharField(max_length=40, choices=CloseReason.choices, blank=True)

    currency = models.CharField(max_length=3, choices=currency_choices)
    items_total_minor = models.PositiveIntegerField(default=0)
    shipping_total_minor = models.PositiveIntegerField(default=0)
    discount_total_minor = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy(
            "Coupons and discounts taken off (CPN-5); total = items + shipping − this.")
    )
    total_minor = models.PositiveIntegerField(default=0)

    # The shipping address as it was at checkout (ACC-7, ORD-8 B).
    ship_first_name = models.CharField(max_length=80)
    ship_last_name = models.CharField(max_length=80)
    ship_line1 = models.CharField(max_length=200)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100)
    ship_region = models.CharField(max_length=100, blank=True)
    ship_postal_code = models.CharField(max_length=20, blank=True)
    ship_country = models.CharField(max_length=2, choices=country_choices)
    ship_phone = models.CharField(max_length=30)

    processing_days = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("Business days to ship: the longest processing time of the lines (ORD-4).")
    )
    shipping_method = models.ForeignKey(
        "catalog.ShippingMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery_max_days = models.PositiveSmallIntegerField(
        default=0, help_text=gettext_lazy(
            "Delivery estimate to the destination, in days after shipment (ORD-6).")
    )

    placed_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    promised_delivery_at = models.DateTimeField(null=True, blank=True, help_text=gettext_lazy("PST (ORD-6)."))
    received_at = models.DateTimeField(null=True, blank=True)
    protection_ends_at = models.DateTimeField(null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["buyer", "-placed_at"]),
            models.Index(fields=["store", "state", "ship_by"]),
            models.Index(fields=["tracking_number"], name="order_tracking_number"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def ship_full_name(self) -> str:
        return f"{self.ship_first_name} {self.ship_last_name}".strip()


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    product_title = models.CharField(max_length=140)
    variant_label = models.CharField(max_length=200, blank=True)
    unit_price_minor = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()
    processing_days = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_title}"

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, when, why, and the state change."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.order.number} {self.kind} {self.from_state}→{self.to_state}"


class Checkout(models.Model):
    """One checkout submission: the orders it created (one per store, ORD-1) and its payment.

    (buyer, idempotency_key) is unique, so a double-submitted checkout finds the
    first one instead of creating a second set of orders.
    """

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts")
    idempotency_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["buyer", "idempotency_key"], name="one_checkout_per_key")
        ]

    def __str__(self) -> str:
        return f"Checkout {self.pk} by {self.buyer}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Waiting for the seller")
    ACCEPTED = "accepted", gettext_lazy("Accepted")
    REFUSED = "refused", gettext_lazy("Refused")
    EXPIRED = "expired", gettext_lazy("Went through without an answer")
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")


class CancellationRequest(models.Model):
    """ORD-5: the buyer asks to cancel a paid, unshipped order; the seller answers within 48 h."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="cancellation_requests")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField()
    answer_due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    seller_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status="pending"), name="one_pending_cancellation"
            )
        ]

    def __str__(self) -> str:
        return f"Cancellation of {self.order_id}: {self.status}"


class ExtensionRequest(models.Model):
    """BP-4: the buyer asks for N more days of protection on a shipped, late order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="extension_requests")
    days = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status="pending"), name="one_pending_extension"
            )
        ]

    def __str__(self) -> str:
        return f"Extension of {self.days} days on {self.order_id}: {self.status}"


class TrackingEvent(models.Model):
    """A carrier scan of the parcel (ORD-6), from the carrier webhook or the seller's form."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", gettext_lazy("Carrier")
        SELLER = "seller", gettext_lazy("Seller")

    class Status(models.TextChoices):
        INFO_RECEIVED = "info_received", gettext_lazy("Shipping information received")
        IN_TRANSIT = "in_transit", gettext_lazy("In transit")
        IN_CUSTOMS = "in_customs", gettext_lazy("Held in customs")
        OUT_FOR_DELIVERY = "out_for_delivery", gettext_lazy("Out for delivery")
        DELIVERED = "delivered", gettext_lazy("Delivered")
        RETURNED = "returned", gettext_lazy("Returned to sender")
        EXCEPTION = "exception", gettext_lazy("Delivery problem")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tracking_events")
    external_id = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=gettext_lazy("The carrier's event id; a repeated delivery of the same event is ignored."),
    )
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices)
    location = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"
