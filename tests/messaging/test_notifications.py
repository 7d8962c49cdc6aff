"""Unread-message notices, batched — RULE NTF-1 (MSG-1): a chat notifies the other side once per
conversation per policy.message_notice_window (one notice and one email), not once per message;
the next message after the window notifies again (tested one second before and at the end)."""

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings

from notifications.models import Notice
from tests.messaging.factories import SECOND, T0, Chat
from tests.tasks import run_pending_tasks

pytestmark = pytest.mark.django_db
WINDOW = dt.timedelta(minutes=15)


def notices(user):
    return list(Notice.objects.filter(user=user, kind="message").order_by("id"))


def test_ntf1_a_burst_of_messages_makes_one_notice_and_one_email():
    chat = Chat()
    for i in range(5):
        chat.buyer_says(f"message {i}", now=T0 + i * SECOND)
    sent = notices(chat.seller)
    assert len(sent) == 1
    assert sent[0].url == f"/seller/messages/{chat.conversation.pk}/"
    assert "Pa Lee" in sent[0].subject or "Pa" in sent[0].subject
    assert "message 0" not in sent[0].body  # the text stays in the chat, not in the email
    assert notices(chat.buyer) == []  # the sender is not notified of their own messages
    run_pending_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [chat.seller.email]


def test_ntf1_the_window_one_second_before_and_at_its_end():
    chat = Chat()
    chat.buyer_says("first", now=T0)
    chat.buyer_says("still in the window", now=T0 + WINDOW - SECOND)
    assert len(notices(chat.seller)) == 1
    chat.buyer_says("window over", now=T0 + WINDOW)
    sent = notices(chat.seller)
    assert len(sent) == 2
    assert sent[0].event_key != sent[1].event_key
    window_start = int((T0 + WINDOW).timestamp())
    assert sent[1].event_key == f"message:{chat.conversation.pk}:{chat.seller.pk}:{window_start}"


def test_ntf1_each_side_and_each_conversation_has_its_own_window():
    chat = Chat()
    other = Chat()
    chat.buyer_says("to seller", now=T0)
    chat.seller_says("to buyer", now=T0 + SECOND)
    chat.seller_says("to buyer again", now=T0 + 2 * SECOND)
    other.buyer_says("another chat", now=T0 + 3 * SECOND)
    assert len(notices(chat.seller)) == 1
    assert len(notices(chat.buyer)) == 1
    assert notices(chat.buyer)[0].url == f"/messages/{chat.conversation.pk}/"
    assert len(notices(other.seller)) == 1
    run_pending_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [chat.seller.email, chat.buyer.email, other.seller.email]
    )


@override_settings(HMONG_POLICY={"message_notice_window": dt.timedelta(minutes=1)})
def test_ntf1_the_window_is_a_policy_value():
    chat = Chat()
    chat.buyer_says("a", now=T0)
    chat.buyer_says("b", now=T0 + dt.timedelta(seconds=59))
    chat.buyer_says("c", now=T0 + dt.timedelta(seconds=60))
    assert len(notices(chat.seller)) == 2


def test_ntf1_the_email_is_sent_once_even_if_the_task_runs_again():
    chat = Chat()
    chat.buyer_says("hello", now=T0)
    run_pending_tasks()
    from notifications.tasks import notice_email

    notice = notices(chat.seller)[0]
    assert notice_email.call(notice.pk) == "already sent"
    assert len(mail.outbox) == 1
