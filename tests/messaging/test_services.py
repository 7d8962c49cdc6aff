"""Buyer–seller chats at the service level — RULE MSG-1: one conversation per buyer and store,
started with a product or order card; unread counts; bad input (empty, 100 kB, a store that
does not exist, your own store, someone else's order), sending limits and picture checks."""

import pytest
from django.test import override_settings

from core.errors import DomainError, NotAllowed, NotFound
from core.policy import policy
from messaging import selectors, services
from messaging.models import Conversation, Message, MessageAttachment
from messaging.storage import attachment_root
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.messaging.factories import MINUTE, SECOND, T0, Chat, Upload, paid_order, png_bytes

pytestmark = pytest.mark.django_db


def test_msg1_one_conversation_per_buyer_and_store(chat):
    again = services.conversation_start(buyer=chat.buyer, store_id=chat.store.pk, now=T0 + MINUTE)
    assert again.pk == chat.conversation.pk
    other = services.conversation_start(buyer=UserFactory(), store_id=str(chat.store.pk), now=T0)
    assert other.pk != chat.conversation.pk
    assert Conversation.objects.filter(store=chat.store).count() == 2


def test_msg1_a_message_carries_a_snapshot_of_the_product(chat):
    message = chat.buyer_says("Is it washable?", product_id=chat.product.pk)
    assert message.context_kind == "product"
    assert message.context["title"] == "Indigo story cloth"
    assert message.context["price_minor"] == 2500 and message.context["currency"] == "USD"
    chat.product.title = "Renamed cloth"
    chat.product.save()
    message.refresh_from_db()
    assert message.context["title"] == "Indigo story cloth"  # the card is what the buyer saw


def test_msg1_a_message_carries_the_order_card_of_this_buyer_at_this_store():
    chat = Chat()
    order = paid_order(store=chat.store, buyer=chat.buyer)
    message = chat.buyer_says("When will it ship?", order_number=order.number)
    assert message.context_kind == "order" and message.context_order == order
    assert message.context["number"] == order.number
    assert message.context["state"] == "awaiting_shipment"
    # The seller may refer to the same order in the same chat.
    assert chat.seller_says("Tomorrow", order_number=order.number).context["number"] == order.number


def test_msg1_another_buyers_order_or_another_stores_product_is_refused(chat):
    foreign_order = paid_order(store=chat.store)  # same store, another buyer
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("Mine?", order_number=foreign_order.number)
    assert caught.value.status == 422 and "order_number" in caught.value.fields
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("This one?", product_id=ProductFactory().pk)
    assert "product_id" in caught.value.fields
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("This one?", product_id="abc")
    assert "product_id" in caught.value.fields
    assert not Message.objects.exists()


@pytest.mark.parametrize("store_id", [999_999, "abc", "", None, -1])
def test_msg1_a_store_that_does_not_exist_is_404(store_id):
    with pytest.raises(NotFound) as caught:
        services.conversation_start(buyer=UserFactory(), store_id=store_id, now=T0)
    assert caught.value.code == "store_not_found"
    assert "no such store" in caught.value.message
    assert not Conversation.objects.exists()


def test_msg1_a_closed_store_cannot_be_written_to():
    store = StoreFactory(is_active=False)
    with pytest.raises(NotFound):
        services.conversation_start(buyer=UserFactory(), store_id=store.pk, now=T0)


def test_msg1_you_cannot_message_your_own_store():
    store = StoreFactory()
    with pytest.raises(NotAllowed) as caught:
        services.conversation_start(buyer=store.owner, store_id=store.pk, now=T0)
    assert caught.value.code == "own_store"
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("text", ["", "   \n\t ", None])
def test_msg1_an_empty_message_is_refused(chat, text):
    with pytest.raises(DomainError) as caught:
        chat.buyer_says(text)
    assert caught.value.status == 422
    assert caught.value.fields["text"]
    assert not Message.objects.exists()
    assert chat.fresh().seller_unread == 0


def test_msg1_a_100_kb_message_is_refused_and_the_limit_is_a_policy_value(chat):
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("x" * 100_000)
    assert "at most 4000 characters" in caught.value.fields["text"][0]
    assert chat.buyer_says("x" * policy.message_max_chars).text == "x" * policy.message_max_chars
    with override_settings(HMONG_POLICY={"message_max_chars": 10}):
        with pytest.raises(DomainError):
            chat.buyer_says("x" * 11)
        assert chat.buyer_says("x" * 10)
    assert Message.objects.count() == 2


def test_msg1_text_that_is_not_text_is_refused(chat):
    with pytest.raises(DomainError) as caught:
        chat.buyer_says(["a", "list"])
    assert caught.value.fields["text"]


@override_settings(HMONG_POLICY={"messages_per_minute": 3})
def test_msg1_sending_limit_per_person_per_minute(chat):
    for i in range(3):
        chat.buyer_says(f"m{i}", now=T0 + i * SECOND)
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("one too many", now=T0 + 59 * SECOND)
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    assert "too quickly" in caught.value.message
    # The other party is not slowed down by the buyer's pace.
    chat.seller_says("fine", now=T0 + 59 * SECOND)
    # A second after the first message left the minute, the buyer may send again.
    chat.buyer_says("again", now=T0 + MINUTE + SECOND)
    assert Message.objects.filter(sender=chat.buyer).count() == 4


def test_msg1_the_limit_counts_messages_to_every_store():
    buyer = UserFactory()
    with override_settings(HMONG_POLICY={"messages_per_minute": 2}):
        convs = [
            services.conversation_start(buyer=buyer, store_id=StoreFactory().pk, now=T0) for _ in range(3)
        ]
        services.message_send(conversation=convs[0], sender=buyer, text="a", now=T0)
        services.message_send(conversation=convs[1], sender=buyer, text="b", now=T0)
        with pytest.raises(DomainError) as caught:
            services.message_send(conversation=convs[2], sender=buyer, text="c", now=T0)
    assert caught.value.status == 429


def test_msg1_unread_counts_and_read_markers(chat):
    chat.buyer_says("one", now=T0)
    chat.buyer_says("two", now=T0 + SECOND)
    conv = chat.fresh()
    assert (conv.seller_unread, conv.buyer_unread) == (2, 0)
    assert selectors.unread_total(user=chat.seller) == 2
    services.conversation_mark_read(conversation=conv, user=chat.seller, now=T0 + MINUTE)
    conv = chat.fresh()
    assert conv.seller_unread == 0 and conv.seller_read_id == conv.last_message_id
    reply = chat.seller_says("answer", now=T0 + 2 * MINUTE)
    conv = chat.fresh()
    assert (conv.seller_unread, conv.buyer_unread) == (0, 1)
    assert conv.last_message_id == reply.pk and conv.last_message_at == T0 + 2 * MINUTE


def test_msg1_newest_conversation_first(db):
    buyer = UserFactory()
    older = services.conversation_start(buyer=buyer, store_id=StoreFactory().pk, now=T0)
    newer = services.conversation_start(buyer=buyer, store_id=StoreFactory().pk, now=T0)
    unused = services.conversation_start(buyer=buyer, store_id=StoreFactory().pk, now=T0)
    services.message_send(conversation=newer, sender=buyer, text="first", now=T0)
    services.message_send(conversation=older, sender=buyer, text="second", now=T0 + SECOND)
    assert list(selectors.conversations_of_buyer(user=buyer)) == [older, newer]
    assert unused not in selectors.conversations_of_buyer(user=buyer)


def test_msg1_only_the_two_parties_send(chat):
    staff = UserFactory(is_staff=True)
    for outsider in (UserFactory(), staff, StoreFactory().owner):
        with pytest.raises(NotAllowed):
            services.message_send(conversation=chat.conversation, sender=outsider, text="hi", now=T0)
    assert not Message.objects.exists()


def test_msg1_messages_since_costs_no_query_when_nothing_is_new(chat, django_assert_num_queries):
    first = chat.buyer_says("one")
    second = chat.seller_says("two")
    conv, _role = selectors.conversation_for(user=chat.buyer, conversation_id=chat.conversation.pk)
    with django_assert_num_queries(0):
        assert selectors.messages_since(conversation=conv, after_id=second.pk) == []
    assert [m.pk for m in selectors.messages_since(conversation=conv, after_id=first.pk)] == [second.pk]


def test_msg1_a_picture_is_checked_by_content_and_kept_out_of_the_web_root(chat, settings):
    message = chat.buyer_says("", files=[Upload(png_bytes(), "photo.png")])
    attachment = message.attachments.get()
    assert attachment.content_type == "image/png" and attachment.original_name == "photo.png"
    path = attachment_root() / attachment.file.name
    assert path.exists() and str(settings.MEDIA_ROOT) not in str(path.resolve())
    assert not attachment.file.name.endswith("photo.png")  # a generated name


@pytest.mark.parametrize(
    "data,name",
    [
        (b"<html><script>alert(1)</script></html>", "cute.png"),
        (b"MZ\x90\x00" + b"\x00" * 64, "cat.jpg"),
        (png_bytes() + b"<script>alert(1)</script>", "cat.png"),
        (b"%PDF-1.4\n%%EOF\n", "paper.pdf"),  # a PDF is not a picture
        (b"", "empty.png"),
    ],
)
def test_msg1_anything_but_a_real_picture_is_refused(chat, data, name):
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("look", files=[Upload(data, name)])
    assert caught.value.fields["files"]
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()


def test_msg1_too_many_or_too_large_pictures_are_refused(chat):
    too_many = [Upload(png_bytes(), f"{i}.png") for i in range(policy.message_images_max + 1)]
    with pytest.raises(DomainError) as caught:
        chat.buyer_says("look", files=too_many)
    assert "at most" in caught.value.fields["files"][0]
    small = override_settings(HMONG_POLICY={"message_image_max_bytes": 100})
    with small, pytest.raises(DomainError) as caught:
        chat.buyer_says("look", files=[Upload(png_bytes(), "big.png")])
    assert "larger than" in caught.value.fields["files"][0]
    assert not Message.objects.exists()


def test_msg1_a_deleted_product_leaves_the_card(chat):
    message = chat.buyer_says("?", product_id=chat.product.pk)
    chat.product.delete()
    message.refresh_from_db()
    assert message.context_product is None and message.context["title"] == "Indigo story cloth"
