"""Buyer–seller chats (MSG-1).

One Conversation per buyer and store. Each party's read marker is the id of the last message
they have seen (`buyer_read_id`, `seller_read_id`); the unread counters (`buyer_unread`,
`seller_unread`) are kept with them by messaging.services in the same transaction, so the
message center and the header badge read them without counting messages. `*_notified_at`
is when that party was last told of unread messages (NTF-1 batching, see
services.message_send).

A Message may carry a context card: a snapshot of the product or order it is about (title,
picture, price / number, state) as it was when the message was written.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from messaging.storage import AttachmentStorage


class Role(models.TextChoices):
    BUYER = "buyer", gettext_lazy("Buyer")
    SELLER = "seller", gettext_lazy("Seller")


class Conversation(models.Model):
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_conversations"
    )
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="conversations")
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_id = models.BigIntegerField(default=0)
    buyer_read_id = models.BigIntegerField(default=0)
    seller_read_id = models.BigIntegerField(default=0)
    buyer_unread = models.PositiveIntegerField(default=0)
    seller_unread = models.PositiveIntegerField(default=0)
    buyer_notified_at = models.DateTimeField(null=True, blank=True)
    seller_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "store"], name="one_conversation_per_buyer_store")
        ]
        indexes = [
            models.Index(fields=["buyer", "-last_message_at"], name="conv_buyer_recent"),
            models.Index(fields=["store", "-last_message_at"], name="conv_store_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} ↔ {self.store}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sender_role = models.CharField(max_length=6, choices=Role.choices)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # The context card (MSG-1): what the message is about, as it was then.
    context_kind = models.CharField(max_length=7, blank=True)  # "product", "order" or ""
    context_product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    context_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="msg_conversation_id"),
            models.Index(fields=["sender", "created_at"], name="msg_sender_recent"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in conversation {self.conversation_id}"


class MessageAttachment(models.Model):
    """A picture sent in a chat, checked by content (core.uploads) and stored privately."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=AttachmentStorage(), upload_to="%Y/%m")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} of message {self.message_id}"
