"""Card verification appeals (PAY-3).

A payment the provider flags for verification opens one Appeal: the buyer uploads
documents (awaiting_documents → under_review), staff decide (approved / rejected).
Every decision keeps who, when and the note on the row (and on each order's timeline).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from appeals.storage import AppealDocumentStorage


class AppealState(models.TextChoices):
    AWAITING_DOCUMENTS = "awaiting_documents", _("Waiting for your documents")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Closed: the documents were not sent in time")


class Appeal(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals")
    payment = models.OneToOneField("payments.Payment", on_delete=models.PROTECT, related_name="appeal")
    orders = models.ManyToManyField("orders.Order", related_name="appeals")
    state = models.CharField(
        max_length=20, choices=AppealState.choices, default=AppealState.AWAITING_DOCUMENTS
    )
    created_at = models.DateTimeField()
    documents_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Documents not sent by then: the appeal expires (PAY-3)."
    )
    documents_submitted_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["buyer", "state"], name="appeal_buyer_state")]

    def __str__(self) -> str:
        return f"Appeal {self.pk} ({self.state})"


class DocumentKind(models.TextChoices):
    ID_DOCUMENT = "id_document", _("Identity document")
    CARD_PHOTO = "card_photo", _("Photo of the card (middle digits covered)")
    BANK_STATEMENT = "bank_statement", _("Bank statement")


class AppealDocument(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to="%Y/%m/", storage=AppealDocumentStorage())
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
