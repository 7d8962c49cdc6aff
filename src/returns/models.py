"""Free Returns (RET-1…RET-4): a return request, its lines and its timeline.

ReturnRequest.state changes only through returns.transitions.return_transition, which
records a ReturnEvent for each change and arms the state's deadline (deadlines app).
Amounts are integer minor units in the order's currency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.countries import country_choices
from core.money import Money, currency_choices
from returns.states import ReturnActor, ReturnState


class ReturnRequest(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="returns")
    state = models.CharField(max_length=20, choices=ReturnState.choices, default=ReturnState.CODE_ISSUED)
    is_free = models.BooleanField(
        help_text=_("RET-2: the order's free return; false when the buyer pays the return shipping.")
    )
    buyer_accepted_cost_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("When the buyer confirmed paying the return shipping (a return that is not free)."),
    )
    provider = models.CharField(max_length=40, help_text=_("Slug of the return provider (RET-3)."))
    country = models.CharField(max_length=2, choices=country_choices)
    return_code = models.CharField(max_length=20, unique=True)
    return_point = models.CharField(max_length=300)
    currency = models.CharField(max_length=3, choices=currency_choices)

    created_at = models.DateTimeField()
    code_expires_at = models.DateTimeField()
    dropped_off_at = models.DateTimeField(null=True, blank=True)
    in_transit_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_minor = models.PositiveIntegerField(null=True, blank=True)
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["order", "state"], name="return_order_state"),
            models.Index(fields=["state", "created_at"], name="return_state_created"),
        ]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order_id} ({self.state})"

    @property
    def refund_amount(self) -> Money | None:
        return None if self.refund_minor is None else Money(self.refund_minor, self.currency)

    @property
    def buyer_pays_shipping(self) -> bool:
        return not self.is_free

    def get_provider_name(self) -> str:
        from returns.providers import provider_get

        provider = provider_get(self.provider)
        return provider.name if provider else self.provider


class ReturnLine(models.Model):
    """Units of one order line sent back, and how many arrived in good condition (RET-4)."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    units_good = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "order_line"], name="one_return_line_per_order_line"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(units_good__isnull=True) | models.Q(units_good__lte=models.F("quantity")),
                name="return_line_good_le_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class ReturnEvent(models.Model):
    """One entry of a return's timeline: who did what, when, and the state change.

    `external_id` is "<provider>:<event id>" for a provider webhook: a delivery seen
    before is not applied again (replay protection).
    """

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=10, choices=ReturnActor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=120, blank=True)
    external_id = models.CharField(max_length=150, null=True, blank=True, unique=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "at"], name="return_event_request_at")]

    def __str__(self) -> str:
        return f"Return {self.request_id} {self.kind} {self.from_state}→{self.to_state}"
