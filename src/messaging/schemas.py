"""Shapes of the messages API (MSG-1)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class ChatStartIn(Schema):
    store_id: int = Field(description="The store to write to.")
    product_id: int | None = Field(None, description="A product of that store the chat is about.")
    order_number: str | None = Field(None, max_length=40, description="Your order at that store.")
    text: str = Field("", description="Optional first message (it carries the product or order card).")


class ChatBuyerIn(Schema):
    order_number: str = Field(max_length=40, description="An order of your store: you write to its buyer.")


class ChatMessageIn(Schema):
    text: str = ""
    product_id: str | None = None
    order_number: str | None = Field(None, max_length=40)


class ChatPictureOut(Schema):
    id: int
    content_type: str
    size: int
    url: str


class ChatMessageOut(Schema):
    id: int
    role: str = Field(description='"buyer" or "seller": who wrote it.')
    mine: bool
    text: str
    created_at: datetime
    context_kind: str = Field(description='"product", "order" or "" (no card).')
    context: dict
    pictures: list[ChatPictureOut]


class ChatConversationOut(Schema):
    id: int
    role: str = Field(description='Your side: "buyer", "seller" or "staff".')
    store_id: int
    store_name: str
    buyer_name: str
    last_message_at: datetime | None
    last_message_id: int
    unread: int


class ChatStartOut(ChatConversationOut):
    context_kind: str
    context: dict
    message: ChatMessageOut | None


class ChatConversationPageOut(Schema):
    conversation: ChatConversationOut
    messages: list[ChatMessageOut]
    older_before: int | None = Field(description="Pass as `before` for the previous page; null at the start.")
