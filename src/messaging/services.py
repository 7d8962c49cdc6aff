"""Writes of the buyer–seller chats (MSG-1) and their notices (NTF-1).

- `conversation_start`: the one conversation of a buyer and a store (made on first use). A store
  that does not exist (or is closed) is NotFound; a seller cannot write to their own store.
  `conversation_start_by_seller`: the same from the store's side, from one of its orders.
- `message_send`: checks the text (not empty unless a picture is attached, at most
  policy.message_max_chars), the pictures (core.uploads, images only), the sender's pace
  (policy.messages_per_minute, else a 429 `rate_limited`; counted under the sender's row lock),
  and the context card (a product of
  this store, or an order between this buyer and this store); then stores the message under
  the conversation's row lock, bumps the other side's unread counter and — NTF-1 — notifies the
  other side at most once per conversation per policy.message_notice_window: the first
  message after a quiet window notifies (event key per conversation, recipient and window
  start), the rest of a lively chat does not.
- `conversation_mark_read`: the reader's marker moves to the last message; their counter is 0.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product, Store
from core.errors import DomainError, NotAllowed, NotFound
from core.i18n import lazy_text
from core.policy import policy
from core.uploads import IMAGES, Upload, UploadRejected, upload_check
from messaging.models import Conversation, Message, MessageAttachment, Role
from messaging.selectors import conversation_role
from notifications.services import notify_many


def _invalid(fields: dict) -> DomainError:
    return DomainError(_("Some fields are invalid."), code="validation_error", fields=fields, status=422)


def _as_id(value, *, field: str) -> int:
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        raise _invalid({field: [_("Give a whole number.")]}) from None
    if pk <= 0:
        raise _invalid({field: [_("Give a whole number.")]})
    return pk


def store_for_chat(*, store_id) -> Store:
    """The active store with this id, or NotFound with a sentence saying so."""
    try:
        pk = int(str(store_id).strip())
    except (TypeError, ValueError):
        pk = 0
    store = Store.objects.filter(pk=pk, is_active=True).first() if pk > 0 else None
    if store is None:
        raise NotFound(
            _("There is no such store (it may have closed); your message was not sent."),
            code="store_not_found",
        )
    return store


def conversation_start(*, buyer, store_id, now: dt.datetime) -> Conversation:
    """The buyer's conversation with the store, made the first time."""
    store = store_for_chat(store_id=store_id)
    if store.owner_id == buyer.pk:
        raise NotAllowed(_("This is your own store; you cannot write to yourself."), code="own_store")
    conversation = Conversation.objects.filter(buyer=buyer, store=store).first()
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(buyer=buyer, store=store, created_at=now)
        except IntegrityError:  # made a moment ago by another request of the same buyer
            conversation = Conversation.objects.get(buyer=buyer, store=store)
    conversation.store = store
    return conversation


def conversation_start_by_seller(*, seller, order_number, now: dt.datetime) -> Conversation:
    """"Contact buyer" from the seller's order page: the conversation of the order's buyer with
    the seller's store (made the first time). An order that is not the store's is NotFound."""
    from orders.models import Order

    store = Store.objects.filter(owner=seller).first()
    number = str(order_number or "").strip()[:40]
    usable = store and number and "\x00" not in number  # PostgreSQL refuses NUL in a query
    order = Order.objects.filter(number=number, store=store).first() if usable else None
    if order is None:
        raise NotFound(_("Your store has no order with this number."), code="order_not_found")
    return conversation_start(buyer=order.buyer, store_id=store.pk, now=now)


def product_card(product: Product) -> dict:
    image = product.images.first()
    return {
        "title": product.title,
        "slug": product.slug,
        "image": image.thumbnail_url if image else "",
        "price_minor": product.min_price_minor,
        "currency": product.currency,
    }


def order_card(order) -> dict:
    first = order.lines.first()
    return {
        "number": order.number,
        "state": order.state,
        "state_label": str(order.get_state_display()),
        "total_minor": order.total_minor,
        "currency": order.currency,
        "title": first.product_title if first else "",
    }


def context_resolve(*, conversation: Conversation, product_id=None, order_number=None) -> dict:
    """The context card a message carries: a product of this store, or an order between this
    buyer and this store. Returns the Message fields ({} for none); bad references → field errors."""
    from orders.models import Order

    if product_id not in (None, ""):
        pk = _as_id(product_id, field="product_id")
        product = Product.objects.filter(pk=pk, store_id=conversation.store_id).first()
        if product is None:
            raise _invalid({"product_id": [_("This store sells no such product.")]})
        return {"context_kind": "product", "context_product": product, "context": product_card(product)}
    if order_number not in (None, ""):
        number = str(order_number).strip()[:40]
        order = None if "\x00" in number else Order.objects.filter(  # PostgreSQL refuses NUL
            number=number, buyer_id=conversation.buyer_id, store_id=conversation.store_id
        ).first()
        if order is None:
            raise _invalid({"order_number": [_("There is no such order between you and this store.")]})
        return {"context_kind": "order", "context_order": order, "context": order_card(order)}
    return {}


def _check_text(text, fields: dict) -> str:
    if text is None:
        text = ""
    if not isinstance(text, str):
        fields["text"] = [_("Write the message as text.")]
        return ""
    if "\x00" in text:  # PostgreSQL cannot store a NUL character; no keyboard types one
        fields["text"] = [_("This message contains a null character, which cannot be sent. Remove it and "
                            "try again.")]
        return ""
    limit = policy.message_max_chars
    if len(text) > limit:
        fields["text"] = [
            _("A message may be at most %(limit)s characters long; this one has %(n)s.")
            % {"limit": limit, "n": len(text)}
        ]
        return ""
    return text.strip()


def _check_files(files, fields: dict) -> list[Upload]:
    files = [f for f in (files or []) if f]
    if len(files) > policy.message_images_max:
        limit = policy.message_images_max
        fields["files"] = [_("Attach at most %(n)s pictures to a message.") % {"n": limit}]
        return []
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(upload_check(upload, limit=policy.message_image_max_bytes, allowed=IMAGES))
        except UploadRejected as refused:
            errors.append(refused.message)
    if errors:
        fields["files"] = errors
    return checked


def _check_pace(*, sender, now: dt.datetime) -> None:
    window_start = now - dt.timedelta(minutes=1)
    sent = Message.objects.filter(sender=sender, created_at__gt=window_start).count()
    if sent >= policy.messages_per_minute:
        raise DomainError(
            _("You are sending messages too quickly (at most %(n)s a minute). Wait a moment and try again.")
            % {"n": policy.messages_per_minute},
            code="rate_limited",
            status=429,
        )


def conversation_url(*, conversation: Conversation, role: str) -> str:
    name = "seller_messages:conversation" if role == Role.SELLER else "messaging:conversation"
    return reverse(name, args=[conversation.pk])


def message_send(
    *,
    conversation: Conversation,
    sender,
    text,
    now: dt.datetime,
    product_id=None,
    order_number=None,
    files=(),
) -> Message:
    """Send a message in the conversation (see the module doc for every check)."""
    role = conversation_role(conversation=conversation, user=sender)
    if role is None:
        raise NotAllowed(_("Only the buyer and the seller write in this conversation."), code="not_party")
    fields: dict = {}
    text = _check_text(text, fields)
    uploads = _check_files(files, fields)
    if not fields and not text and not uploads:
        fields["text"] = [_("Write a message (or attach a picture) before sending.")]
    if fields:
        raise _invalid(fields)
    context = context_resolve(conversation=conversation, product_id=product_id, order_number=order_number)

    with transaction.atomic():
        # The pace is per sender across all their chats, so it is counted under the sender's own
        # row lock: two simultaneous sends cannot both see "one left". Locks are always taken
        # sender first, then conversation, so two parties writing at once cannot deadlock. NO KEY
        # UPDATE: rows referencing the user (the other side's notice, messages) still insert freely.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=sender.pk).values_list("pk").first()
        _check_pace(sender=sender, now=now)
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        message = Message.objects.create(
            conversation=locked, sender=sender, sender_role=role, text=text, created_at=now, **context
        )
        for upload in uploads:
            attachment = MessageAttachment(
                message=message,
                content_type=upload.content_type,
                size=upload.size,
                original_name=upload.original_name,
            )
            attachment.file.save(upload.generated_name(), ContentFile(upload.data), save=False)
            attachment.save()
        other = Role.SELLER if role == Role.BUYER else Role.BUYER
        updates = {
            "last_message_at": now,
            "last_message_id": message.pk,
            f"{other}_unread": F(f"{other}_unread") + 1,
            f"{role}_read_id": message.pk,  # the sender has seen everything up to their message
            f"{role}_unread": 0,
        }
        notified_at = getattr(locked, f"{other}_notified_at")
        batch_due = notified_at is None or notified_at <= now - policy.message_notice_window
        if batch_due:
            updates[f"{other}_notified_at"] = now
        Conversation.objects.filter(pk=locked.pk).update(**updates)
        if batch_due:
            _notify_unread(conversation=conversation, recipient_role=other, sender=sender, now=now)
    conversation.last_message_id = message.pk
    conversation.last_message_at = now
    return message


def _notify_unread(*, conversation: Conversation, recipient_role: str, sender, now: dt.datetime) -> None:
    """NTF-1: one notice (and email) for the unread messages of a conversation per window."""
    if recipient_role == Role.SELLER:
        recipient_id = conversation.store.owner_id
        name = sender.display_name
    else:
        recipient_id = conversation.buyer_id
        name = conversation.store.name
    window = int(now.timestamp())
    notify_many(
        [
            {
                "user_id": recipient_id,
                "kind": "message",
                "event_key": f"message:{conversation.pk}:{recipient_id}:{window}",
                # NTF-1: written in the recipient's language, not the sender's.
                "subject": lazy_text(gettext_lazy("New message from %(name)s"), {"name": name}),
                "body": lazy_text(
                    gettext_lazy("%(name)s wrote to you. Open the conversation to read and answer."),
                    {"name": name},
                ),
                "url": conversation_url(conversation=conversation, role=recipient_role),
            }
        ],
        now=now,
    )


def conversation_mark_read(*, conversation: Conversation, user, now: dt.datetime) -> Conversation:
    """The reader has seen every message so far: their marker moves to the last one."""
    role = conversation_role(conversation=conversation, user=user)
    if role is None:
        return conversation  # staff reading a disputed chat leave the parties' markers alone
    Conversation.objects.filter(pk=conversation.pk).update(
        **{f"{role}_read_id": F("last_message_id"), f"{role}_unread": 0}
    )
    setattr(conversation, f"{role}_unread", 0)
    return conversation
