"""Chats under concurrent requests (PostgreSQL) — RULE MSG-1, NTF-1: a buyer's double-click on
"Contact" makes one conversation; messages sent at the same instant from both sides keep the
unread counters exact and notify each side once in the window."""

import threading

import pytest
from django.db import connection

from messaging import services
from messaging.models import Conversation
from notifications.models import Notice
from tests.factories import StoreFactory, UserFactory
from tests.messaging.factories import SECOND, T0, Chat

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions are proven on PostgreSQL only")


def race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # reported to the test
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    return results


def test_msg1_a_double_start_makes_one_conversation():
    buyer, store = UserFactory(), StoreFactory()
    results = race(*[
        (lambda: services.conversation_start(buyer=buyer, store_id=store.pk, now=T0).pk) for _ in range(4)
    ])
    assert all(kind == "ok" for kind, _ in results), results
    assert len({pk for _, pk in results}) == 1
    assert Conversation.objects.filter(buyer=buyer, store=store).count() == 1


def test_msg1_ntf1_simultaneous_messages_keep_counters_exact_and_notify_once():
    chat = Chat()
    calls = [(lambda i=i: chat.buyer_says(f"b{i}", now=T0 + i * SECOND)) for i in range(4)]
    calls += [(lambda i=i: chat.seller_says(f"s{i}", now=T0 + i * SECOND)) for i in range(4)]
    results = race(*calls)
    assert all(kind == "ok" for kind, _ in results), results
    conv = chat.fresh()
    buyer_msgs = list(conv.messages.filter(sender_role="buyer").values_list("id", flat=True))
    seller_msgs = list(conv.messages.filter(sender_role="seller").values_list("id", flat=True))
    # Each side's unread counter counts the other side's messages after their last own message.
    assert conv.seller_unread == len([m for m in buyer_msgs if m > max(seller_msgs)])
    assert conv.buyer_unread == len([m for m in seller_msgs if m > max(buyer_msgs)])
    assert conv.last_message_id == max(buyer_msgs + seller_msgs)
    assert Notice.objects.filter(user=chat.seller, kind="message").count() == 1
    assert Notice.objects.filter(user=chat.buyer, kind="message").count() == 1


def test_msg1_sending_limit_holds_under_simultaneous_sends():
    """RULE MSG-1: the per-person pace is counted under a lock, so with one message left in the
    minute, eight simultaneous sends (in two different chats) let exactly one through."""
    from django.test import override_settings

    from messaging.models import Message

    chat = Chat()
    other = services.conversation_start(buyer=chat.buyer, store_id=StoreFactory().pk, now=T0)
    with override_settings(HMONG_POLICY={"messages_per_minute": 3}):
        chat.buyer_says("one", now=T0)
        chat.buyer_says("two", now=T0 + SECOND)

        def send(conversation, i):
            return services.message_send(
                conversation=conversation, sender=chat.buyer, text=f"race {i}", now=T0 + 2 * SECOND
            ).pk

        calls = [(lambda i=i: send(chat.conversation if i % 2 else other, i)) for i in range(8)]
        results = race(*calls)
    ok = [value for kind, value in results if kind == "ok"]
    refused = [value for kind, value in results if kind == "error"]
    assert len(ok) == 1, results
    assert all(getattr(error, "code", "") == "rate_limited" for error in refused), refused
    assert Message.objects.filter(sender=chat.buyer).count() == 3
