"""Deadlines: a row per countdown, armed when its subject enters a state.

The worker (deadlines.worker) claims due rows with SELECT … FOR UPDATE SKIP
LOCKED, so any number of workers share one PostgreSQL. A claim is the row
lock itself: it lasts as long as the worker's transaction, and a worker that
dies releases it with its connection, so its deadlines are simply claimed
again by the next worker — no lease to expire.
"""

from django.db import models
from django.utils.translation import gettext_lazy


class Status(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    FIRED = "fired", gettext_lazy("Fired")
    SKIPPED = "skipped", gettext_lazy("Skipped (the subject had moved on)")
    DISARMED = "disarmed", gettext_lazy("Disarmed")


class Deadline(models.Model):
    kind = models.CharField(max_length=50)
    subject_type = models.CharField(max_length=30, help_text=gettext_lazy(
        'What the deadline acts on, e.g. "order".'))
    subject_id = models.BigIntegerField()
    armed_state = models.CharField(
        max_length=40, help_text=gettext_lazy(
            "The subject's state when armed; firing re-checks it under a lock.")
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    armed_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The worker's claim: pending rows in (due_at, id) order, read straight off this
            # index with no sort, however many are due at the same instant.
            models.Index(
                fields=["due_at", "id"], condition=models.Q(status="pending"), name="deadline_pending_due_id"
            ),
            models.Index(fields=["subject_type", "subject_id", "status"], name="deadline_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"],
                condition=models.Q(status="pending"),
                name="one_pending_deadline_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.subject_type} {self.subject_id} at {self.due_at:%Y-%m-%d %H:%M}Z"
