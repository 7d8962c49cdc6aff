"""The dispute team's back office (DSP-5, OPS-1): the queue ordered by deadline with its filters,
the dispute page with both sides' evidence and messages, "ask for more evidence" and the decision
carried out by the system — every staff action audited — and 404 for anyone but active staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.models import AuditLog
from disputes import services
from disputes.states import DisputeState as S
from tests.disputes.factories import DAY, T0, fresh, received_order, shipped_order
from tests.disputes.test_pages_support import HTMX, at, html, open_dispute, png_upload, team_dispute, utc
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY11 = T0 + 11 * DAY  # DSP-5: no tracking at all after day 11 → straight to the team


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def detail_url(dispute):
    return reverse("backoffice_disputes:detail", args=[dispute.pk])


def test_ops1_queue_is_ordered_by_deadline_with_filters(client, staff):
    first = team_dispute(shipped_order(), now=DAY11)
    second = team_dispute(shipped_order(), now=DAY11 + dt.timedelta(hours=2))
    asked = team_dispute(shipped_order(), now=DAY11 + dt.timedelta(hours=3))
    services.team_request_evidence(
        dispute=asked,
        staff=staff,
        party="buyer",
        note="Send the receipt.",
        due_at=DAY11 + 2 * DAY,
        now=DAY11 + dt.timedelta(hours=4),
    )
    asked_soon = team_dispute(shipped_order(), now=DAY11 + dt.timedelta(hours=5))
    services.team_request_evidence(
        dispute=asked_soon,
        staff=staff,
        party="seller",
        note="Proof of posting.",
        due_at=DAY11 + DAY,
        now=DAY11 + dt.timedelta(hours=6),
    )
    with_seller = open_dispute(received_order())  # still between buyer and seller
    url = reverse("backoffice_disputes:queue")
    with at(client, staff, DAY11 + dt.timedelta(hours=7)):
        escalated = html(client.get(url))
        evidence = html(client.get(url + "?filter=evidence", **HTMX))
        everything = html(client.get(url + "?filter=open"))
        bogus = html(client.get(url + "?filter=nope"))

    def order_of(page, *disputes):
        return sorted(disputes, key=lambda d: page.index(f'data-dispute="{d.pk}"'))

    assert order_of(escalated, first, second) == [first, second]  # oldest escalation first
    assert (
        f'data-dispute="{asked.pk}"' not in escalated and f'data-dispute="{with_seller.pk}"' not in escalated
    )
    assert order_of(evidence, asked, asked_soon) == [asked_soon, asked]  # the soonest deadline first
    assert "<html" not in evidence and utc(DAY11 + DAY) in evidence
    assert order_of(everything, asked_soon, asked, with_seller, first, second) == [
        asked_soon,
        asked,
        with_seller,
        first,
        second,
    ]  # deadlines first, then by time with the team
    assert "There is no such filter" in bogus and f'data-dispute="{first.pk}"' in bogus


def test_ops1_back_office_is_refused_to_everyone_but_active_staff(client):
    order = received_order()
    dispute = open_dispute(order)
    get_urls = [reverse("backoffice_disputes:queue"), detail_url(dispute)]
    post_urls = [
        reverse(f"backoffice_disputes:{name}", args=[dispute.pk])
        for name in ("request_evidence", "decide", "message")
    ]
    with at(client, None, T0 + 10 * DAY):
        for url in get_urls:
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        for url in post_urls:
            assert "/accounts/login/" in client.post(url)["Location"]
    for person in (order.buyer, order.store.owner, UserFactory(is_staff=True, is_active=False)):
        with at(client, person, T0 + 10 * DAY):  # an inactive staff member is not signed in at all
            for url in get_urls:
                assert client.get(url).status_code in (302, 404)
            for url in post_urls:
                assert client.post(url, {"outcome": "full", "note": "x"}).status_code in (302, 404)
    assert fresh(dispute).state == S.AWAITING_SELLER and not AuditLog.objects.exists()


def test_dsp5_detail_shows_both_sides_evidence_and_messages(client, staff):
    order = shipped_order()
    dispute = services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="no_tracking",
        solution="refund_only",
        amount_minor=order.total_minor,
        description="Nothing came.",
        files=[png_upload("buyer-proof.png")],
        now=DAY11,
    )
    services.dispute_message(
        dispute=dispute,
        user=order.store.owner,
        text="I posted it on time.",
        files=[png_upload("posting-receipt.png")],
        now=DAY11 + DAY,
    )
    with at(client, staff, DAY11 + 2 * DAY):
        page = html(client.get(detail_url(dispute)))
    assert "buyer-proof.png" in page and "posting-receipt.png" in page
    assert "I posted it on time." in page and order.buyer.email in page and order.store.name in page
    assert 'id="action-decide"' in page and 'id="action-request-evidence"' in page


def test_dsp5_ask_for_evidence_then_the_party_answers(client, staff):
    order = shipped_order()
    dispute = team_dispute(order, now=DAY11)
    url = reverse("backoffice_disputes:request_evidence", args=[dispute.pk])
    now = DAY11 + DAY
    with at(client, staff, now):
        past = client.post(
            url,
            {
                "party": "seller",
                "note": "Proof of posting, please.",
                "due_at": (now - DAY).strftime("%Y-%m-%dT%H:%M"),
            },
        )
        nonsense = client.post(url, {"party": "cat", "note": "", "due_at": "tomorrow"})
        done = client.post(
            url,
            {
                "party": "seller",
                "note": "Proof of posting, please.",
                "due_at": (now + 3 * DAY).strftime("%Y-%m-%dT%H:%M"),
            },
        )
    assert past.status_code == 422 and "in the future" in html(past)
    assert nonsense.status_code == 422 and html(nonsense).count('class="errorlist"') >= 3
    assert done.status_code == 302
    dispute = fresh(dispute)
    assert dispute.state == S.AWAITING_EVIDENCE and dispute.due_at == now + 3 * DAY
    assert AuditLog.objects.filter(action="dispute.request_evidence", actor=staff).count() == 1
    with at(client, order.store.owner, now + DAY):
        page = html(client.get(reverse("seller_disputes:detail", args=[dispute.pk])))
        assert (
            "Our dispute team asked you for more evidence" in page
            and 'data-deadline="dispute_evidence"' in page
        )
        client.post(
            reverse("seller_disputes:message", args=[dispute.pk]),
            {"text": "Receipt attached.", "files": [png_upload("receipt.png")]},
        )
    assert fresh(dispute).state == S.TEAM_REVIEW


def test_dsp5_decide_partial_refund_is_carried_out_and_audited(client, staff):
    order = shipped_order()
    dispute = team_dispute(order, now=DAY11)
    url = reverse("backoffice_disputes:decide", args=[dispute.pk])
    with at(client, staff, DAY11 + DAY):
        no_amount = client.post(url, {"outcome": "partial", "note": "Half."})
        none_with_return = client.post(url, {"outcome": "none", "with_return": "on", "note": "No."})
        too_much = client.post(url, {"outcome": "partial", "amount": "999", "note": "Half."})
        assert fresh(dispute).state == S.TEAM_REVIEW and not AuditLog.objects.exists()
        done = client.post(
            url, {"outcome": "partial", "amount": "10.00", "note": "Half of it arrived late."}, **HTMX
        )
        again = client.post(url, {"outcome": "full", "note": "Changed my mind."})
    assert no_amount.status_code == 422 and 'id="decide_amount_error"' in html(no_amount)
    assert none_with_return.status_code == 422 and 'id="decide_with_return_error"' in html(none_with_return)
    assert too_much.status_code == 422
    assert done.status_code == 200 and "Decision recorded" in html(done)
    dispute = fresh(dispute)
    assert dispute.state == S.REFUNDED and dispute.refunded_minor == 1000 and dispute.outcome == "partial"
    assert again.status_code == 409 and "closed" in html(again)  # a decision on a closed dispute
    log = AuditLog.objects.get(action="dispute.decide")
    assert log.actor == staff and log.data["amount_minor"] == 1000
    with at(client, staff, DAY11 + DAY):
        assert "dispute.decide" in html(client.get(detail_url(dispute)))  # OPS-1: the audit shown


def test_dsp5_decide_with_return_sends_the_goods_back_first(client, staff):
    order = shipped_order()
    dispute = team_dispute(order, now=DAY11)
    with at(client, staff, DAY11 + DAY):
        response = client.post(
            reverse("backoffice_disputes:decide", args=[dispute.pk]),
            {"outcome": "full", "with_return": "on", "note": "Return it for a refund."},
        )
    assert response.status_code == 302
    dispute = fresh(dispute)
    assert dispute.state == S.AWAITING_RETURN and dispute.refunded_minor == 0


def test_ops1_staff_message_reaches_both_sides(client, staff):
    order = shipped_order()
    dispute = team_dispute(order, now=DAY11)
    with at(client, staff, DAY11 + DAY):
        empty = client.post(reverse("backoffice_disputes:message", args=[dispute.pk]), {"text": ""})
        sent = client.post(
            reverse("backoffice_disputes:message", args=[dispute.pk]), {"text": "We are looking into it."}
        )
    assert empty.status_code == 422 and sent.status_code == 302
    with at(client, order.buyer, DAY11 + DAY):
        assert "We are looking into it." in html(client.get(reverse("disputes:detail", args=[dispute.pk])))
    assert AuditLog.objects.filter(action="dispute.message", actor=staff).exists()
