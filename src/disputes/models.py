"""Disputes and warranty requests (DSP-1…DSP-7, WAR-1): the case, its lines, its timeline,
its messages and its evidence files.

Dispute.state changes only through disputes.transitions.dispute_transition, which records a
DisputeEvent (and the same entry on the order's timeline) and arms the deadline of the new
state (deadlines app, subject "dispute"). Amounts are integer minor units in the order's
currency. At most one open case per order (DSP-6), enforced by the database too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import Money
from disputes.states import DisputeActor, DisputeState, Kind, Outcome, Party, Reason, Solution
from disputes.storage import EvidenceStorage

OPEN_STATES = [
    s.value
    for s in DisputeState
    if s
    not in (
        DisputeState.REFUNDED,
        DisputeState.CLOSED_NO_REFUND,
        DisputeState.RESOLVED,
        DisputeState.WITHDRAWN,
    )
]


class Dispute(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="disputes")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DISPUTE)
    state = models.CharField(
        max_length=20, choices=DisputeState.choices, default=DisputeState.AWAITING_SELLER
    )
    is_open = models.BooleanField(default=True, help_text="False once the case reached a closed state.")

    reason = models.CharField(max_length=30, choices=Reason.choices)
    solution = models.CharField(max_length=20, choices=Solution.choices, help_text="What the buyer asks.")
    amount_minor = models.PositiveIntegerField(help_text="The refund the buyer asks (DSP-1).")
    currency = models.CharField(max_length=3)
    description = models.TextField(max_length=4000)

    # The seller's counter-proposal (DSP-2 / DSP-4).
    counter_solution = models.CharField(max_length=20, choices=Solution.choices, blank=True)
    counter_amount_minor = models.PositiveIntegerField(null=True, blank=True)
    counter_note = models.TextField(max_length=2000, blank=True)

    # What was agreed or decided, carried out by the system.
    agreed_solution = models.CharField(max_length=20, choices=Solution.choices, blank=True)
    agreed_amount_minor = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    decision_note = models.TextField(max_length=2000, blank=True)
    refunded_minor = models.PositiveIntegerField(default=0)

    # DSP-3: the buyer's return parcel.
    return_carrier = models.CharField(max_length=80, blank=True)
    return_tracking_number = models.CharField(max_length=80, blank=True)
    return_shipped_at = models.DateTimeField(null=True, blank=True)
    return_delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the carrier reported the return parcel delivered."
    )
    return_received_at = models.DateTimeField(null=True, blank=True)

    # WAR-1: the repaired or replacement item the seller sends back.
    reship_carrier = models.CharField(max_length=80, blank=True)
    reship_tracking_number = models.CharField(max_length=80, blank=True)
    reshipped_at = models.DateTimeField(null=True, blank=True)

    # DSP-5: evidence asked by the dispute team.
    evidence_party = models.CharField(max_length=10, choices=Party.choices, blank=True)
    evidence_note = models.TextField(max_length=2000, blank=True)

    paid_with_paypal = models.BooleanField(
        default=False, help_text="DSP-7: the buyer may also dispute at PayPal (information only)."
    )
    paypal_dispute_until = models.DateTimeField(null=True, blank=True)

    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current state's deadline passes (the queue's order)."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="dispute_state_due"),
            models.Index(fields=["order", "is_open"], name="dispute_order_open"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(is_open=True), name="one_open_dispute_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on order {self.order_id}: {self.state}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class DisputeLine(models.Model):
    """DSP-1: which order lines (and how many of each) the dispute is about."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class DisputeEvent(models.Model):
    """One entry of a dispute's timeline: who did what, when, why, and the state change."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=10, choices=DisputeActor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dispute", "at"])]

    def __str__(self) -> str:
        return f"dispute {self.dispute_id} {self.kind} {self.from_state}→{self.to_state}"


class DisputeMessage(models.Model):
    """DSP-6: buyer, seller and dispute team write inside the dispute."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=DisputeActor.choices)
    text = models.TextField(max_length=4000)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.role} on dispute {self.dispute_id}"


class Evidence(models.Model):
    """DSP-1 / DSP-6: a file checked by its content, stored outside the web root under a
    generated name, served only to the two parties and staff (disputes.evidence)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(
        DisputeMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=DisputeActor.choices)
    file = models.FileField(storage=EvidenceStorage(), upload_to="", max_length=200)
    original_name = models.CharField(max_length=200, help_text=_("The name the uploader gave (shown only)."))
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"evidence {self.pk} of dispute {self.dispute_id}"


class ReturnScan(models.Model):
    """DSP-3: a carrier scan of the buyer's return parcel, from the tracking webhook
    (orders.webhooks) when its tracking number is the dispute's return tracking. Applied once
    per carrier event id; a "delivered" scan sets Dispute.return_delivered_at."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="return_scans")
    external_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    location = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"return scan {self.status} of dispute {self.dispute_id}"
