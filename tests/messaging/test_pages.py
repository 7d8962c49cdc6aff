"""The chat pages — RULE MSG-1: "Contact seller" from a product page, the order list and an order
page, carrying that product or order; the message center and the seller's, newest first with
unread counts and the header badge; the poll that brings new messages without reloading;
stored XSS escaped; clear errors; staff only on a chat attached to a dispute."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse

from core.models import AuditLog
from disputes import services as dispute_services
from messaging.models import Conversation, Message
from tests.disputes.factories import received_order
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.messaging.factories import SECOND, T0, Chat, Upload, close_file, paid_order, png_bytes

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def test_msg1_contact_from_a_product_page_carries_the_product(client):
    store = StoreFactory(name="Vang Silver")
    product = ProductFactory(store=store, title="Silver neck ring")
    buyer = UserFactory()
    client.force_login(buyer)
    response = client.get(reverse("catalog:contact_seller", args=[product.slug]), follow=True)
    page = html(response)
    assert response.status_code == 200
    assert "Write to Vang Silver" in page and "Silver neck ring" in page
    assert f'name="product_id" value="{product.pk}"' in page
    response = client.post(reverse("messaging:to_store", args=[store.pk]),
                           {"text": "Is it solid silver?", "product_id": product.pk})
    conversation = Conversation.objects.get(buyer=buyer, store=store)
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:conversation", args=[conversation.pk])
    message = conversation.messages.get()
    assert message.context_kind == "product" and message.context["title"] == "Silver neck ring"
    # Coming back from the product page finds the same conversation, the card ready again.
    response = client.get(reverse("catalog:contact_seller", args=[product.slug]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("messaging:conversation", args=[conversation.pk]) + (
        f"?product={product.pk}"
    )
    assert "This message will carry:" in html(response)


def test_msg1_a_refused_first_message_leaves_no_conversation(client):
    store = StoreFactory()
    client.force_login(UserFactory())
    response = client.post(reverse("messaging:to_store", args=[store.pk]), {"text": "  "})
    assert response.status_code == 422
    assert "Write a message" in html(response)
    assert not Conversation.objects.exists()


def test_msg1_contact_seller_from_the_order_list_and_the_order_page():
    from django.test import Client

    chat = Chat()
    order = paid_order(store=chat.store, buyer=chat.buyer)
    client = Client()
    client.force_login(chat.buyer)
    link = f'{reverse("messaging:to_store", args=[chat.store.pk])}?order={order.number}'
    assert link in html(client.get(reverse("orders:list")))
    assert link in html(client.get(reverse("orders:detail", args=[order.number])))
    page = html(client.get(link, follow=True))
    assert f'name="order_number" value="{order.number}"' in page
    client.post(reverse("messaging:send", args=[chat.conversation.pk]),
                {"text": "Where is it?", "order_number": order.number})
    assert Message.objects.get().context["number"] == order.number


@pytest.mark.parametrize("store_id,status,text", [
    ("999999", 404, "no such store"),
    ("abc", 404, "no such store"),
])
def test_msg1_writing_to_a_store_that_does_not_exist(client, store_id, status, text):
    client.force_login(UserFactory())
    for method in (client.get, client.post):
        response = method(reverse("messaging:to_store", args=[store_id]))
        assert response.status_code == status and text in html(response)
    assert not Conversation.objects.exists()


def test_msg1_writing_to_your_own_store_is_refused(client):
    store = StoreFactory()
    client.force_login(store.owner)
    response = client.post(reverse("messaging:to_store", args=[store.pk]), {"text": "me"})
    assert response.status_code == 403 and "your own store" in html(response)
    assert not Conversation.objects.exists()


XSS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<a href=\"javascript:alert(1)\" onmouseover='alert(2)'>hi</a>",
]


def test_msg1_stored_xss_is_escaped_on_both_sides(client):
    chat = Chat()
    evil = ProductFactory(store=chat.store, title='<img src=x onerror=alert("card")>', slug="evil")
    for payload in XSS:
        chat.buyer_says(payload)
    chat.buyer_says("card", product_id=evil.pk)
    for user, url in ((chat.buyer, reverse("messaging:conversation", args=[chat.conversation.pk])),
                      (chat.seller, reverse("seller_messages:conversation", args=[chat.conversation.pk]))):
        client.force_login(user)
        page = html(client.get(url))
        assert "<script>alert(" not in page
        assert "<img src=x onerror" not in page
        assert 'href="javascript:' not in page and "onmouseover='alert" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=alert(&quot;card&quot;)&gt;" in page
    # The poll's fragment escapes too.
    client.force_login(chat.seller)
    fragment = html(client.get(reverse("messaging:poll", args=[chat.conversation.pk]), {"after": 0}, **HTMX))
    assert "<script>alert(" not in fragment and "&lt;script&gt;" in fragment


def test_msg1_message_centers_newest_first_with_unread_counts_and_header_badge(client):
    buyer = UserFactory()
    a, b = Chat(), Chat()
    for chat in (a, b):
        chat.conversation.buyer = buyer
        Conversation.objects.filter(pk=chat.conversation.pk).update(buyer=buyer)
        chat.buyer = buyer
    a.buyer_says("to a", now=T0)
    b.buyer_says("to b", now=T0 + SECOND)
    a.seller_says("from a 1", now=T0 + 2 * SECOND)
    a.seller_says("from a 2", now=T0 + 3 * SECOND)
    client.force_login(buyer)
    page = html(client.get(reverse("messaging:center")))
    assert page.index(a.store.name) < page.index(b.store.name)  # a has the newest message
    assert "2 unread" in page
    assert 'id="nav-messages"' in page and "</span>2</span>" in page.split('id="nav-messages"')[1][:300]
    client.get(reverse("messaging:conversation", args=[a.conversation.pk]))  # reading clears it
    page = html(client.get(reverse("messaging:center")))
    assert "unread" not in page.split("<h1>")[1].split("</ul>")[0]
    # The seller of b sees the buyer's message in the seller center, counted in their badge.
    client.force_login(b.seller)
    page = html(client.get(reverse("seller_messages:center")))
    assert buyer.display_name in page and "1 unread" in page
    assert "</span>1</span>" in page.split('id="nav-messages"')[1][:300]


def test_msg1_seller_sees_the_buyers_orders_at_the_store_next_to_the_chat(client):
    chat = Chat()
    order = paid_order(store=chat.store, buyer=chat.buyer)
    elsewhere = paid_order(buyer=chat.buyer)  # another store
    chat.buyer_says("hello")
    client.force_login(chat.seller)
    page = html(client.get(reverse("seller_messages:conversation", args=[chat.conversation.pk])))
    assert "This buyer&#x27;s orders at your store" in page or "This buyer's orders" in page
    assert reverse("seller_orders:detail", args=[order.number]) in page
    assert elsewhere.number not in page
    # The buyer's URL sends the seller to the seller's page, and the other way round.
    response = client.get(reverse("messaging:conversation", args=[chat.conversation.pk]))
    assert response["Location"] == reverse("seller_messages:conversation", args=[chat.conversation.pk])


def test_msg1_other_people_get_404_and_anonymous_visitors_sign_in(client):
    chat = Chat()
    chat.buyer_says("private")
    url = reverse("messaging:conversation", args=[chat.conversation.pk])
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.get(reverse("messaging:poll", args=[chat.conversation.pk]), **HTMX).status_code == 286
    send = reverse("messaging:send", args=[chat.conversation.pk])
    assert client.post(send, {"text": "hi"}, **HTMX)["HX-Redirect"].startswith("/accounts/login/")
    assert client.post(send, {"text": "hi"})["Location"].startswith("/accounts/login/")
    for outsider in (UserFactory(), StoreFactory().owner, UserFactory(is_staff=True)):
        client.force_login(outsider)
        for target in (url, reverse("seller_messages:conversation", args=[chat.conversation.pk])):
            response = client.get(target)
            assert response.status_code == 404 and b"private" not in response.content
        # The poll tells htmx to stop (286) and shows nothing.
        response = client.get(reverse("messaging:poll", args=[chat.conversation.pk]), {"after": 0}, **HTMX)
        assert response.status_code == 286 and response.content == b""
        response = client.post(reverse("messaging:send", args=[chat.conversation.pk]), {"text": "hi"})
        assert response.status_code == 404
    assert Message.objects.count() == 1


def test_msg1_poll_is_204_when_nothing_is_new_and_brings_new_messages(client, django_assert_max_num_queries):
    chat = Chat()
    first = chat.buyer_says("first")
    client.force_login(chat.seller)
    url = reverse("messaging:poll", args=[chat.conversation.pk])
    with django_assert_max_num_queries(4):  # session, user, the conversation row: no message query
        response = client.get(url, {"after": first.pk}, **HTMX)
    assert response.status_code == 204 and response.content == b""
    second = chat.buyer_says("second", now=T0 + SECOND)
    response = client.get(url, {"after": first.pk}, **HTMX)
    fragment = html(response)
    assert response.status_code == 200
    assert "second" in fragment and ">first<" not in fragment
    assert f'name="after" value="{second.pk}"' in fragment  # the next poll starts after it
    assert 'hx-swap-oob="beforeend:#chat-messages"' in fragment
    assert Conversation.objects.get(pk=chat.conversation.pk).seller_unread == 0  # seen
    assert client.get(url, {"after": "junk"}, **HTMX).status_code == 200  # junk → from the start


def test_msg1_sending_with_htmx_and_its_errors(client):
    chat = Chat()
    client.force_login(chat.buyer)
    url = reverse("messaging:send", args=[chat.conversation.pk])
    response = client.post(url, {"text": "hello <b>there</b>", "after": 0}, **HTMX)
    assert response.status_code == 200
    assert "hello &lt;b&gt;there&lt;/b&gt;" in html(response)
    response = client.post(url, {"text": "", "after": 0}, **HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#chat-composer"
    assert "Write a message" in html(response) and 'aria-invalid="true"' in html(response)
    response = client.post(url, {"text": "x" * 100_000}, **HTMX)
    assert "at most 4000 characters" in html(response)
    response = client.post(url, {"text": "", "files": [Upload(b"<html>no</html>", "x.png")]}, **HTMX)
    assert "hidden content" in html(response) or "not a file we accept" in html(response)
    with override_settings(HMONG_POLICY={"messages_per_minute": 1}):
        response = client.post(url, {"text": "too fast"}, **HTMX)
        assert "too quickly" in html(response)
        response = client.post(url, {"text": "too fast"})  # without htmx: the page, status 429
        assert response.status_code == 429 and "too quickly" in html(response)
    assert list(Message.objects.values_list("text", flat=True)) == ["hello <b>there</b>"]


def test_msg1_pictures_are_served_only_to_who_may_read_and_never_sniffed(client):
    chat = Chat()
    message = chat.buyer_says("look", files=[Upload(png_bytes(), "look.png")])
    picture = message.attachments.get()
    url = reverse("messaging:attachment", args=[picture.pk])
    client.force_login(chat.seller)
    assert url in html(client.get(reverse("seller_messages:conversation", args=[chat.conversation.pk])))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    close_file(response)
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_msg1_staff_read_only_a_chat_attached_to_a_dispute(client):
    chat = Chat()
    chat.buyer_says("about the torn cloth")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("messaging:conversation", args=[chat.conversation.pk])
    assert client.get(url).status_code == 404
    order = received_order(store=chat.store, buyer=chat.buyer)
    dispute_services.dispute_open(
        order=order, buyer=chat.buyer, reason="damaged", solution="refund_only", amount_minor=100,
        description="Torn.", files=[Upload(png_bytes(), "p.png")], now=T0 + dt.timedelta(days=9),
    )
    response = client.get(url)
    page = html(response)
    assert response.status_code == 200 and "about the torn cloth" in page
    assert 'id="chat-composer"' not in page  # staff read, never write
    assert AuditLog.objects.filter(actor=staff, action="messages.conversation_read").exists()
    response = client.post(reverse("messaging:send", args=[chat.conversation.pk]), {"text": "x"})
    assert response.status_code == 403


def test_msg1_older_messages_link_pages_back_through_the_chat(client, chat):
    """RULE MSG-1: a long chat shows the latest 50 messages and an "Older messages" link."""
    with override_settings(HMONG_POLICY={"messages_per_minute": 1000}):
        sent = [chat.buyer_says(f"note {i:02d}", now=T0 + i * SECOND) for i in range(55)]
    client.force_login(chat.buyer)
    url = reverse("messaging:conversation", args=[chat.conversation.pk])
    page = html(client.get(url))
    assert "note 54" in page and "note 05" in page and "note 04" not in page
    assert f'href="?before={sent[5].pk}"' in page and 'id="chat-poller"' in page
    older = client.get(url, {"before": sent[5].pk})
    page = html(older)
    assert older.status_code == 200
    assert "note 00" in page and "note 04" in page and "note 05" not in page
    assert "Older messages" not in page  # nothing older than the first message
    assert "Back to the latest messages" in page and 'id="chat-poller"' not in page
    for bad in ("abc", "-3", "99999999999999999999999"):  # bad input reads as the latest page
        assert client.get(url, {"before": bad}).status_code == 200


def test_msg1_seller_contacts_the_buyer_from_the_order_page(client):
    """RULE MSG-1: "Contact buyer" on the seller's order page opens the store's chat with that
    order's buyer, the order card ready; another store's order is a clean 404."""
    order = paid_order()
    seller = order.store.owner
    client.force_login(seller)
    detail = html(client.get(reverse("seller_orders:detail", args=[order.number])))
    link = reverse("seller_messages:to_buyer", args=[order.number])
    assert link in detail and "Contact buyer" in detail
    response = client.get(link, follow=True)
    conversation = Conversation.objects.get(buyer=order.buyer, store=order.store)
    assert response.redirect_chain[-1][0].startswith(
        reverse("seller_messages:conversation", args=[conversation.pk])
    )
    assert "This message will carry:" in html(response) and order.number in html(response)
    response = client.post(reverse("messaging:send", args=[conversation.pk]),
                           {"text": "Your parcel leaves today.", "order_number": order.number})
    assert response.status_code == 302
    message = conversation.messages.get()
    assert message.sender_role == "seller" and message.context_kind == "order"
    assert Conversation.objects.get(pk=conversation.pk).buyer_unread == 1
    # Opening it again finds the same chat; an order of another store, or a made-up one, is a 404.
    client.get(link)
    assert Conversation.objects.filter(store=order.store).count() == 1
    other = paid_order()
    assert client.get(reverse("seller_messages:to_buyer", args=[other.number])).status_code == 404
    assert client.get(reverse("seller_messages:to_buyer", args=["NOPE-1"])).status_code == 404
    client.force_login(UserFactory())  # no store at all
    assert client.get(link).status_code == 404
    assert Conversation.objects.count() == 1


def test_msg1_a_null_character_is_a_field_error_never_a_500(client, chat):
    """RULE MSG-1 (bad input): PostgreSQL cannot store or query a NUL character; it used to answer 500
    there. Now the text is refused with a field message and a NUL order number finds no order."""
    client.force_login(chat.buyer)
    pk = chat.conversation.pk
    response = client.post(reverse("messaging:send", args=[pk]), {"text": "a\x00b"})
    assert response.status_code == 422 and "null character" in html(response)
    response = client.post(f"/api/v1/messages/conversations/{pk}/messages", {"text": "a\x00b"})
    assert response.status_code == 422 and "text" in response.json()["fields"]
    response = client.post(reverse("messaging:send", args=[pk]), {"text": "hi", "order_number": "a\x00b"})
    assert response.status_code == 422 and "There is no such order" in html(response)
    # in the query string or the address, core.middleware.NullCharacterMiddleware answers 400
    assert client.get(reverse("messaging:conversation", args=[pk]), {"order": "a\x00b"}).status_code == 400
    assert not Message.objects.exists()
    client.force_login(chat.seller)
    assert client.get(reverse("seller_messages:to_buyer", args=["a\x00b"])).status_code == 400
