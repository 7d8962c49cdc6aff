"""Messages API (MSG-1), mounted at /api/v1/messages/. Shapes: messaging.schemas.

    GET  /conversations?role=buyer|seller      my chats, newest first, with unread counts
    POST /conversations                        {"store_id", "product_id"?, "order_number"?, "text"?}
                                               the chat with that store (made the first time);
                                               with text, its first message carries the card
    GET  /conversations/{id}?before=&after=&limit=   the chat and a page of messages (oldest first)
    POST /conversations/with-buyer             {"order_number"}: the store's chat with that order's
                                               buyer (the seller's "Contact buyer"), made the first time
    POST /conversations/{id}/messages          multipart: text, product_id, order_number, files
    POST /conversations/{id}/read              mark everything read
    GET  /pictures/{id}                        a picture sent in a chat

A chat is the buyer's and the store owner's; staff may read one only while a dispute exists
between that buyer and store (and only read: sending is for the parties). Anyone else gets
404 `conversation_not_found`. A store that does not exist: 404 `store_not_found`; your own
store: 403 `own_store`; too many messages: 429 `rate_limited`; no credentials: 401.
"""

from __future__ import annotations

from typing import Literal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.schemas import ErrorOut
from messaging import selectors, services
from messaging.models import Conversation, Message, Role
from messaging.schemas import (
    ChatBuyerIn,
    ChatConversationOut,
    ChatConversationPageOut,
    ChatMessageIn,
    ChatMessageOut,
    ChatStartIn,
    ChatStartOut,
)
from messaging.views import attachment_response

router = Router(tags=["messages"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
Files = File[list[UploadedFile]]


def message_out(message: Message, *, role: str) -> dict:
    return {
        "id": message.pk,
        "role": message.sender_role,
        "mine": message.sender_role == role,
        "text": message.text,
        "created_at": message.created_at,
        "context_kind": message.context_kind,
        "context": message.context,
        "pictures": [
            {
                "id": a.pk,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("api-v1:messages_picture", args=[a.pk]),
            }
            for a in message.attachments.all()
        ],
    }


def conversation_out(conversation: Conversation, *, role: str) -> dict:
    unread = {Role.BUYER: conversation.buyer_unread, Role.SELLER: conversation.seller_unread}.get(role, 0)
    return {
        "id": conversation.pk,
        "role": str(role),
        "store_id": conversation.store_id,
        "store_name": conversation.store.name,
        "buyer_name": conversation.buyer.display_name,
        "last_message_at": conversation.last_message_at,
        "last_message_id": conversation.last_message_id,
        "unread": unread,
    }


class ListQuery(Schema):
    role: Literal["buyer", "seller"] = "buyer"


class PageQuery(Schema):
    before: int | None = None
    after: int | None = None
    limit: int = 50


@router.get("/conversations", response={200: list[ChatConversationOut], **ERRORS})
def conversation_list(request, query: Query[ListQuery]):
    user = request.auth
    if query.role == "seller":
        store = getattr(user, "store", None)
        if store is None:
            return []
        rows = selectors.conversations_of_store(store=store).select_related("store")
    else:
        rows = selectors.conversations_of_buyer(user=user).select_related("buyer")
    return [conversation_out(c, role=query.role) for c in rows[:200]]


@router.post("/conversations", response={201: ChatStartOut, **ERRORS})
def conversation_start(request, payload: ChatStartIn):
    now = clock.now()
    with transaction.atomic():  # bad context or text: no conversation is left behind
        conversation = services.conversation_start(buyer=request.auth, store_id=payload.store_id, now=now)
        context = services.context_resolve(
            conversation=conversation, product_id=payload.product_id, order_number=payload.order_number
        )
        message = None
        if payload.text:
            message = services.message_send(
                conversation=conversation,
                sender=request.auth,
                text=payload.text,
                product_id=payload.product_id,
                order_number=payload.order_number,
                now=now,
            )
    conversation.refresh_from_db()
    return Status(201, {
        **conversation_out(conversation, role=Role.BUYER),
        "context_kind": context.get("context_kind", ""),
        "context": context.get("context", {}),
        "message": message_out(message, role=Role.BUYER) if message else None,
    })


@router.post("/conversations/with-buyer", response={201: ChatConversationOut, **ERRORS})
def conversation_with_buyer(request, payload: ChatBuyerIn):
    """The seller's side of "Contact": the store's chat with the buyer of one of its orders."""
    conversation = services.conversation_start_by_seller(
        seller=request.auth, order_number=payload.order_number, now=clock.now()
    )
    conversation = Conversation.objects.select_related("store", "buyer").get(pk=conversation.pk)
    return Status(201, conversation_out(conversation, role=Role.SELLER))


def _open(request, conversation_id: int):
    return selectors.conversation_for(user=request.auth, conversation_id=conversation_id, allow_staff=True)


@router.get("/conversations/{conversation_id}", response={200: ChatConversationPageOut, **ERRORS})
def conversation_detail(request, conversation_id: int, query: Query[PageQuery]):
    conversation, role = _open(request, conversation_id)
    if not 1 <= query.limit <= 100:
        raise DomainError(_("Some fields are invalid."), code="validation_error", status=422,
                          fields={"limit": [_("Give a number from 1 to 100.")]})
    if role == selectors.STAFF:
        audit_record(actor=request.auth, action="messages.conversation_read",
                     data={"conversation": conversation.pk}, at=clock.now())
    limit = query.limit
    if query.after is not None:
        messages = selectors.messages_since(conversation=conversation, after_id=query.after, limit=limit)
        older = None
    else:
        messages = selectors.messages_recent(conversation=conversation, before_id=query.before, limit=limit)
        older = messages[0].pk if len(messages) == query.limit else None
    return {
        "conversation": conversation_out(conversation, role=role),
        "messages": [message_out(m, role=role) for m in messages],
        "older_before": older,
    }


@router.post("/conversations/{conversation_id}/messages", response={201: ChatMessageOut, **ERRORS})
def message_send(request, conversation_id: int, payload: Form[ChatMessageIn], files: Files = None):
    conversation, role = _open(request, conversation_id)
    message = services.message_send(
        conversation=conversation,
        sender=request.auth,
        text=payload.text,
        product_id=payload.product_id,
        order_number=payload.order_number,
        files=files or [],
        now=clock.now(),
    )
    return Status(201, message_out(message, role=role))


@router.post("/conversations/{conversation_id}/read", response={200: ChatConversationOut, **ERRORS})
def conversation_read(request, conversation_id: int):
    conversation, role = _open(request, conversation_id)
    services.conversation_mark_read(conversation=conversation, user=request.auth, now=clock.now())
    conversation.refresh_from_db()
    return conversation_out(conversation, role=role)


@router.get("/pictures/{picture_id}", response={200: None, **ERRORS}, url_name="messages_picture")
def picture(request, picture_id: int):
    item, role = selectors.attachment_for(user=request.auth, attachment_id=picture_id)
    if role == selectors.STAFF:
        audit_record(actor=request.auth, action="messages.picture_read", data={"picture": item.pk},
                     at=clock.now())
    return attachment_response(item)
