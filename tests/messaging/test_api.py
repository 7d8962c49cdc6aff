"""The messages API — RULE MSG-1: the permission matrix of every endpoint × {anonymous, other
buyer, other seller, the buyer, the seller, staff}, staff reading only a chat attached to a
dispute (audited, never writing), and bad input answered with the one error shape."""

import datetime as dt

import pytest
from django.test import override_settings

from core.models import AuditLog
from disputes import services as dispute_services
from messaging.models import Conversation, Message
from tests.disputes.factories import received_order
from tests.factories import StoreFactory, UserFactory
from tests.messaging.factories import T0, Chat, Upload, close_file, paid_order, png_bytes

pytestmark = pytest.mark.django_db
API = "/api/v1/messages"
ROLES = ("anonymous", "other_buyer", "other_seller", "buyer", "seller", "staff")


def as_(client, chat, role):
    user = {
        "anonymous": None,
        "other_buyer": UserFactory(),
        "other_seller": StoreFactory().owner,
        "buyer": chat.buyer,
        "seller": chat.seller,
        "staff": UserFactory(is_staff=True),
    }[role]
    if user is not None:
        client.force_login(user)
    return user


def open_dispute(chat):
    order = received_order(store=chat.store, buyer=chat.buyer)
    return dispute_services.dispute_open(
        order=order, buyer=chat.buyer, reason="damaged", solution="refund_only", amount_minor=100,
        description="Torn.", files=[Upload(png_bytes(), "p.png")], now=T0 + dt.timedelta(days=9),
    )


def expect_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    if code:
        assert body["code"] == code
    return body


READ = {"anonymous": 401, "other_buyer": 404, "other_seller": 404, "buyer": 200, "seller": 200, "staff": 404}
SEND = {"anonymous": 401, "other_buyer": 404, "other_seller": 404, "buyer": 201, "seller": 201, "staff": 404}


@pytest.mark.parametrize("role", ROLES)
def test_msg1_permission_matrix(client, role):
    chat = Chat()
    message = chat.buyer_says("hello", files=[Upload(png_bytes(), "a.png")])
    picture = message.attachments.get()
    as_(client, chat, role)
    cid = chat.conversation.pk

    response = client.get(f"{API}/conversations/{cid}")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        body = response.json()
        assert [m["text"] for m in body["messages"]] == ["hello"]
        assert body["conversation"]["role"] == role
    response = client.get(f"{API}/pictures/{picture.pk}")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    if READ[role] == 200:
        close_file(response)
    response = client.post(f"{API}/conversations/{cid}/read")
    assert response.status_code == READ[role]
    response = client.post(f"{API}/conversations/{cid}/messages", {"text": "from " + role})
    assert response.status_code == SEND[role]
    expected = 2 if SEND[role] == 201 else 1
    assert Message.objects.count() == expected
    if response.status_code >= 400:
        expect_error(response, response.status_code)

    response = client.get(f"{API}/conversations")
    if role == "anonymous":
        expect_error(response, 401)
        start = {"store_id": chat.store.pk, "text": "hi"}
        expect_error(client.post(f"{API}/conversations", start, content_type="application/json"), 401)
        assert Conversation.objects.count() == 1
    else:
        listed = [c["id"] for c in response.json()]
        assert listed == ([cid] if role == "buyer" else [])
        seller_list = [c["id"] for c in client.get(f"{API}/conversations?role=seller").json()]
        assert seller_list == ([cid] if role == "seller" else [])


@pytest.mark.parametrize("role", ["other_buyer", "other_seller", "staff"])
def test_msg1_a_conversation_that_is_not_yours_is_404_whether_or_not_it_exists(client, role):
    chat = Chat()
    chat.buyer_says("hello")
    as_(client, chat, role)
    mine = expect_error(client.get(f"{API}/conversations/{chat.conversation.pk}"), 404)
    missing = expect_error(client.get(f"{API}/conversations/999999"), 404)
    assert mine == missing


def test_msg1_staff_read_a_chat_attached_to_a_dispute_audited_but_never_write(client):
    chat = Chat()
    chat.buyer_says("the cloth arrived torn")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    expect_error(client.get(f"{API}/conversations/{chat.conversation.pk}"), 404)
    open_dispute(chat)
    response = client.get(f"{API}/conversations/{chat.conversation.pk}")
    assert response.status_code == 200
    assert response.json()["messages"][0]["text"] == "the cloth arrived torn"
    assert AuditLog.objects.filter(actor=staff, action="messages.conversation_read").count() == 1
    expect_error(client.post(f"{API}/conversations/{chat.conversation.pk}/messages", {"text": "x"}), 403,
                 "not_party")
    # Reading leaves the parties' markers alone.
    assert Conversation.objects.get(pk=chat.conversation.pk).seller_unread == 1
    picture = chat.seller_says("photo", files=[Upload(png_bytes(), "p.png")]).attachments.get()
    response = client.get(f"{API}/pictures/{picture.pk}")
    assert response.status_code == 200
    close_file(response)
    assert AuditLog.objects.filter(actor=staff, action="messages.picture_read").count() == 1


def test_msg1_a_dispute_with_another_store_does_not_open_this_chat(client):
    chat = Chat()
    chat.buyer_says("hello")
    elsewhere = Chat()
    elsewhere.buyer = chat.buyer
    order = received_order(buyer=chat.buyer)  # another store
    dispute_services.dispute_open(
        order=order, buyer=chat.buyer, reason="damaged", solution="refund_only", amount_minor=100,
        description="Torn.", files=[Upload(png_bytes(), "p.png")], now=T0 + dt.timedelta(days=9),
    )
    client.force_login(UserFactory(is_staff=True))
    expect_error(client.get(f"{API}/conversations/{chat.conversation.pk}"), 404)


def test_msg1_start_a_conversation_with_a_product_card_and_a_first_message(client):
    chat = Chat()
    buyer = UserFactory()
    client.force_login(buyer)
    start = {"store_id": chat.store.pk, "product_id": chat.product.pk, "text": "Is it cotton?"}
    response = client.post(f"{API}/conversations", start, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["context_kind"] == "product" and body["context"]["title"] == "Indigo story cloth"
    assert body["message"]["context_kind"] == "product" and body["message"]["mine"] is True
    again = client.post(f"{API}/conversations", {"store_id": chat.store.pk}, content_type="application/json")
    assert again.status_code == 201 and again.json()["id"] == body["id"] and again.json()["message"] is None
    assert Conversation.objects.filter(buyer=buyer).count() == 1
    # The seller sees it with one unread message.
    client.force_login(chat.seller)
    listed = client.get(f"{API}/conversations?role=seller").json()
    assert [(c["id"], c["unread"]) for c in listed] == [(body["id"], 1)]


def test_msg1_start_with_an_order_card(client):
    chat = Chat()
    order = paid_order(store=chat.store, buyer=chat.buyer)
    client.force_login(chat.buyer)
    response = client.post(f"{API}/conversations", {"store_id": chat.store.pk, "order_number": order.number},
                           content_type="application/json")
    assert response.status_code == 201
    assert response.json()["context"]["number"] == order.number


def test_msg1_seller_starts_the_chat_with_an_orders_buyer(client):
    """RULE MSG-1: the seller's "Contact buyer" through the API; bad input gets the one error shape."""
    chat = Chat()
    order = paid_order(store=chat.store, buyer=chat.buyer)
    url = f"{API}/conversations/with-buyer"
    expect_error(client.post(url, {"order_number": order.number}, content_type="application/json"), 401)
    client.force_login(chat.seller)
    response = client.post(url, {"order_number": order.number}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] == chat.conversation.pk and response.json()["role"] == "seller"
    sent = client.post(f"{API}/conversations/{chat.conversation.pk}/messages",
                       {"text": "Shipped today.", "order_number": order.number})
    assert sent.status_code == 201 and sent.json()["context_kind"] == "order"
    for body, status, field in [({}, 422, "order_number"), ({"order_number": 5}, 422, "order_number"),
                                ({"order_number": "x" * 41}, 422, "order_number"),
                                ({"order_number": "NOPE"}, 404, None),
                                ({"order_number": paid_order().number}, 404, None)]:
        error = expect_error(client.post(url, body, content_type="application/json"), status)
        assert field is None or field in error["fields"]
    client.force_login(chat.buyer)  # a buyer has no store: nothing to find
    expect_error(client.post(url, {"order_number": order.number}, content_type="application/json"), 404)
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize(
    "payload,status,code,field",
    [
        ({"store_id": 999999}, 404, "store_not_found", None),
        ({"store_id": "abc"}, 422, "validation_error", "store_id"),
        ({}, 422, "validation_error", "store_id"),
        ({"store_id": "OWN"}, 403, "own_store", None),
        ({"store_id": "STORE", "product_id": 999999}, 422, "validation_error", "product_id"),
        ({"store_id": "STORE", "order_number": "NOPE"}, 422, "validation_error", "order_number"),
        ({"store_id": "STORE", "text": "x" * 100_000}, 422, "validation_error", "text"),
        ({"store_id": "STORE", "text": "   "}, 422, "validation_error", "text"),
    ],
)
def test_msg1_start_bad_input(client, payload, status, code, field):
    chat = Chat()
    seller_of_own = StoreFactory()
    client.force_login(seller_of_own.owner)
    payload = dict(payload)
    if payload.get("store_id") == "OWN":
        payload["store_id"] = seller_of_own.pk
    elif payload.get("store_id") == "STORE":
        payload["store_id"] = chat.store.pk
    response = client.post(f"{API}/conversations", payload, content_type="application/json")
    body = expect_error(response, status, code)
    if field:
        assert field in body["fields"], body
    if status == 404:
        assert "no such store" in body["message"]
    assert not Message.objects.exists()
    assert not Conversation.objects.exclude(pk=chat.conversation.pk).exists()


def test_msg1_send_bad_input_and_the_sending_limit(client):
    chat = Chat()
    client.force_login(chat.buyer)
    url = f"{API}/conversations/{chat.conversation.pk}/messages"
    assert "text" in expect_error(client.post(url, {"text": ""}), 422, "validation_error")["fields"]
    assert "text" in expect_error(client.post(url, {"text": "x" * 100_000}), 422)["fields"]
    bad = Upload(b"<svg onload=alert(1)>", "x.png")
    assert "files" in expect_error(client.post(url, {"text": "hi", "files": [bad]}), 422)["fields"]
    assert "product_id" in expect_error(client.post(url, {"text": "hi", "product_id": "abc"}), 422)["fields"]
    with override_settings(HMONG_POLICY={"messages_per_minute": 2}):
        assert client.post(url, {"text": "one"}).status_code == 201
        assert client.post(url, {"text": "two"}).status_code == 201
        body = expect_error(client.post(url, {"text": "three"}), 429, "rate_limited")
        assert "too quickly" in body["message"]
    assert Message.objects.count() == 2
    expect_error(client.post(f"{API}/conversations/abc/messages", {"text": "x"}), 422)


def test_msg1_pages_of_messages_and_polling_after_an_id(client):
    chat = Chat()
    ids = [chat.buyer_says(f"m{i}").pk for i in range(7)]
    client.force_login(chat.seller)
    url = f"{API}/conversations/{chat.conversation.pk}"
    page = client.get(url, {"limit": 3}).json()
    assert [m["text"] for m in page["messages"]] == ["m4", "m5", "m6"]
    older = client.get(url, {"limit": 3, "before": page["older_before"]}).json()
    assert [m["text"] for m in older["messages"]] == ["m1", "m2", "m3"]
    assert [m["id"] for m in client.get(url, {"after": ids[5]}).json()["messages"]] == [ids[6]]
    assert client.get(url, {"after": ids[6]}).json()["messages"] == []
    assert "limit" in expect_error(client.get(url, {"limit": 0}), 422)["fields"]
    expect_error(client.get(url, {"limit": "many"}), 422)
    read = client.post(f"{url}/read").json()
    assert read["unread"] == 0 and read["role"] == "seller"
