"""Reads of the buyer–seller chats (MSG-1): who may read a conversation, the message centers
(newest first, with unread counts), a conversation's messages and what is new since an id.

A conversation is readable by its buyer, by the store's owner, and by staff only while a
dispute (open or closed) exists on an order between that buyer and that store
(`staff_may_read`). To anyone else it does not exist (NotFound), so ids cannot be probed.
"""

from __future__ import annotations

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from core.errors import NotFound
from messaging.models import Conversation, Message, MessageAttachment, Role

STAFF = "staff"


def _not_found() -> NotFound:
    return NotFound(_("This conversation does not exist or is not yours."), code="conversation_not_found")


def conversation_role(*, conversation: Conversation, user) -> str | None:
    """The user's side of the conversation: "buyer", "seller", or None."""
    if user is None or not user.is_authenticated:
        return None
    if conversation.buyer_id == user.pk:
        return Role.BUYER
    if conversation.store.owner_id == user.pk:
        return Role.SELLER
    return None


def staff_may_read(*, conversation: Conversation) -> bool:
    """Staff read a chat only when it is attached to a dispute: an open or closed dispute on an
    order between this buyer and this store (MSG-1). The disputes app is imported lazily."""
    from disputes.models import Dispute

    return Dispute.objects.filter(
        order__buyer_id=conversation.buyer_id, order__store_id=conversation.store_id
    ).exists()


def conversation_for(*, user, conversation_id, allow_staff: bool = False) -> tuple[Conversation, str]:
    """The conversation and the reader's role ("buyer", "seller" or "staff"), or NotFound."""
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise _not_found() from None
    conversation = (
        Conversation.objects.select_related("store", "buyer").filter(pk=pk).first() if pk > 0 else None
    )
    if conversation is None:
        raise _not_found()
    role = conversation_role(conversation=conversation, user=user)
    if role is not None:
        return conversation, role
    if allow_staff and user.is_authenticated and user.is_staff and staff_may_read(conversation=conversation):
        return conversation, STAFF
    raise _not_found()


def conversations_of_buyer(*, user) -> QuerySet[Conversation]:
    """The person's chats with stores, newest message first (chats never written to are left out)."""
    return (
        Conversation.objects.select_related("store")
        .filter(buyer=user, last_message_id__gt=0)
        .order_by("-last_message_at", "-id")
    )


def conversations_of_store(*, store) -> QuerySet[Conversation]:
    """The store's chats with buyers, newest message first."""
    return (
        Conversation.objects.select_related("buyer")
        .filter(store=store, last_message_id__gt=0)
        .order_by("-last_message_at", "-id")
    )


def unread_total(*, user) -> int:
    """Unread messages for the person: as a buyer, plus as the owner of a store."""
    if not user.is_authenticated:
        return 0
    as_buyer = Conversation.objects.filter(buyer=user).aggregate(n=Sum("buyer_unread"))["n"] or 0
    as_seller = Conversation.objects.filter(store__owner=user).aggregate(n=Sum("seller_unread"))["n"] or 0
    return as_buyer + as_seller


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("sender")
        .prefetch_related("attachments")
        .order_by("id")
    )


def messages_recent(*, conversation: Conversation, before_id: int | None = None, limit: int = 50) -> list:
    """Up to `limit` messages before `before_id` (default: the latest), oldest first."""
    rows = messages_of(conversation)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    return list(reversed(rows.order_by("-id")[:limit]))


def messages_since(*, conversation: Conversation, after_id: int, limit: int = 100) -> list:
    """Messages after `after_id`, oldest first. No query when nothing is new (the row says so)."""
    if conversation.last_message_id <= after_id:
        return []
    return list(messages_of(conversation).filter(id__gt=after_id)[:limit])


def attachment_for(*, user, attachment_id) -> tuple[MessageAttachment, str]:
    """A chat picture the person may see (a party, or staff when a dispute is attached), and
    the reader's role."""
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise _not_found() from None
    attachment = MessageAttachment.objects.select_related("message").filter(pk=pk).first()
    if attachment is None:
        raise _not_found()
    _conversation, role = conversation_for(
        user=user, conversation_id=attachment.message.conversation_id, allow_staff=True
    )
    return attachment, role


def buyer_orders_at_store(*, conversation: Conversation, limit: int = 20) -> list:
    """The buyer's orders at this store, newest first: shown next to the seller's chat."""
    from orders.models import Order

    return list(
        Order.objects.filter(buyer_id=conversation.buyer_id, store_id=conversation.store_id)
        .order_by("-placed_at")[:limit]
    )
