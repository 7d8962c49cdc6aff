"""NTF-1 notices of disputes, returns, appeals and messages are written in the RECIPIENT's language.

In each test the person acting reads English (translation.override("en"), as a request in
English would) while the person told chose French: the notice must be French, and a
recipient who chose nothing keeps English. Everything goes through the real services.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from appeals.services import appeal_documents_submit, appeal_reject
from core.models import LanguagePreference
from core.policy import policy
from disputes import services as disputes
from notifications.models import Notice
from returns import services as returns
from tests.appeals.conftest import FLAGGED, flag, png
from tests.disputes.factories import T0 as DISPUTE_T0
from tests.disputes.factories import received_order
from tests.factories import PASSWORD, AddressFactory, UserFactory
from tests.messaging.factories import Chat
from tests.returns.factories import RECEIVED_AT, ReturnShop

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def french(message: str, values: dict | None = None) -> str:
    with translation.override("fr"):
        text = gettext(message)
    assert text != message, f"no French for {message!r}"
    return text % values if values else text


def chooses_french(user) -> None:
    LanguagePreference.objects.create(user=user, language="fr")


def test_ntf1_dispute_notice_follows_the_sellers_language_not_the_buyers():
    order = received_order()
    chooses_french(order.store.owner)
    Notice.objects.all().delete()
    with translation.override("en"):
        disputes.dispute_open(
            order=order, buyer=order.buyer, reason="not_as_described", solution="refund_only",
            amount_minor=order.total_minor, description="Wrong colour.", now=DISPUTE_T0 + 10 * DAY,
        )
    to_seller = Notice.objects.get(user=order.store.owner, kind="dispute_opened")
    to_buyer = Notice.objects.get(user=order.buyer, kind="dispute_opened")
    assert to_seller.subject == french("Dispute on order %(n)s", {"n": order.number})
    assert to_buyer.subject == f"Dispute on order {order.number}"


def test_ntf1_return_notice_follows_the_sellers_language_not_the_buyers():
    shop = ReturnShop()
    order = shop.order()
    chooses_french(shop.seller)
    Notice.objects.all().delete()
    with translation.override("en"):
        returns.return_request_create(
            order=order, buyer=shop.buyer, lines={shop.line(order).pk: 1}, now=RECEIVED_AT + DAY
        )
    to_seller = Notice.objects.get(user=shop.seller, kind="return_started")
    started = french("A Free Return was started on order %(number)s", {"number": order.number})
    assert to_seller.subject == started
    to_buyer = Notice.objects.get(user=shop.buyer, kind="return_code_issued")
    assert to_buyer.subject.startswith(f"Your return code for order {order.number}")


def test_ntf1_appeal_decision_follows_the_buyers_language_not_the_reviewers():
    buyer = UserFactory()
    appeal = flag(buyer, AddressFactory(user=buyer)).payments.get().appeal
    chooses_french(buyer)
    appeal_documents_submit(appeal=appeal, buyer=buyer, files=[("card_photo", png())], now=FLAGGED + DAY)
    with translation.override("en"):
        appeal_reject(appeal=appeal, staff=UserFactory(is_staff=True), note="Blurry", now=FLAGGED + 2 * DAY)
    notice = Notice.objects.get(user=buyer, kind="appeal_rejected")
    assert notice.subject == french("Your card check is done: not approved")
    refused = french(
        "We could not confirm this card payment, so the order is closed and nothing is kept from you: "
        "anything taken is refunded. You can order again and pay another way."
    )
    with_note = french("%(refused)s Reviewer's note: %(note)s", {"refused": refused, "note": "Blurry"})
    assert notice.body == with_note


def test_ntf1_unread_message_notice_follows_the_sellers_language_not_the_buyers():
    chat = Chat()
    chooses_french(chat.seller)
    with translation.override("en"):
        chat.buyer_says("Is the indigo cloth still available?")
        chat.seller_says("Yes, it is.", now=chat.conversation.created_at + dt.timedelta(minutes=5))
    to_seller = Notice.objects.get(user=chat.seller, kind="message")
    to_buyer = Notice.objects.get(user=chat.buyer, kind="message")
    assert to_seller.subject == french("New message from %(name)s", {"name": chat.buyer.display_name})
    assert to_buyer.subject == f"New message from {chat.store.name}"


def test_ntf1_sign_in_hold_notice_follows_the_owners_language_not_the_sign_ins(client):
    """ACC-5: the held sign-in may come from a browser in another language; the owner chose French."""
    user = UserFactory()
    chooses_french(user)
    login = reverse("account_login")
    for _ in range(policy.failed_logins_per_account):
        client.post(login, {"login": user.email, "password": "not the password"}, HTTP_ACCEPT_LANGUAGE="en")
    client.post(login, {"login": user.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    notice = Notice.objects.get(user=user, kind="security")
    assert notice.subject == french("We paused a sign-in to your account")
    body = french(
        "Someone signed in to your account from %(where)s in a way that looks unusual to us, so we "
        "paused payments, refunds, saved cards and email changes for that sign-in. If it was you, "
        "open the regain access page and confirm your phone number with the code we text you. If it "
        "was not you, change your password now."
    )
    assert notice.body.startswith(body.split("%(where)s")[0])
