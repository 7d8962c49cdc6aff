"""The seller center's dispute pages (DSP-2, DSP-3, DSP-4, DSP-6): the list by deadline, the dispute
page with agree / refuse with a counter-proposal / confirm the returned goods / message, each form's
happy and error paths, and refusals for anyone but the store's owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import Dispute
from disputes.states import DisputeState as S
from tests.disputes.factories import DAY, fresh, received_order
from tests.disputes.test_pages_support import (
    HTMX,
    OPENED_AT,
    at,
    exe_upload,
    html,
    open_dispute,
    png_upload,
    utc,
)
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def detail_url(dispute):
    return reverse("seller_disputes:detail", args=[dispute.pk])


def test_dsp2_seller_list_is_sorted_by_deadline_and_linked_in_the_nav(client):
    store = StoreFactory()
    later = open_dispute(received_order(store=store), now=OPENED_AT + 2 * DAY)
    sooner = open_dispute(received_order(store=store), now=OPENED_AT)
    closed = open_dispute(received_order(store=store), now=OPENED_AT)
    services.dispute_withdraw(dispute=closed, buyer=closed.buyer, now=OPENED_AT + DAY)
    elsewhere = open_dispute(received_order())
    with at(client, store.owner, OPENED_AT + 3 * DAY):
        page = html(client.get(reverse("seller_disputes:list")))
        closed_tab = html(client.get(reverse("seller_disputes:list") + "?tab=closed", **HTMX))
        bogus_tab = client.get(reverse("seller_disputes:list") + "?tab=nope")
    assert page.index(f'data-dispute="{sooner.pk}"') < page.index(f'data-dispute="{later.pk}"')
    assert f'data-dispute="{closed.pk}"' not in page and f'data-dispute="{elsewhere.pk}"' not in page
    assert utc(OPENED_AT + 5 * DAY) in page  # DSP-2: the seller's answer deadline
    assert f'href="{reverse("seller_disputes:list")}"' in page  # the seller center nav
    assert f'data-dispute="{closed.pk}"' in closed_tab and "<html" not in closed_tab  # htmx: the list only
    assert bogus_tab.status_code == 200


def test_dsp6_seller_pages_are_refused_to_others(client):
    order = received_order()
    dispute = open_dispute(order)
    urls = [
        detail_url(dispute),
        reverse("seller_order_disputes:current", args=[order.number]),
        reverse("seller_disputes:list"),
    ]
    posts = [
        reverse(f"seller_disputes:{name}", args=[dispute.pk])
        for name in ("agree", "refuse", "confirm_return", "object_return", "message")
    ]
    with at(client, None, OPENED_AT):
        for url in urls + posts:
            response = client.get(url) if url in urls else client.post(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    other_seller = StoreFactory().owner
    for stranger in (other_seller, order.buyer, UserFactory()):
        with at(client, stranger, OPENED_AT):
            for url in urls[:2]:
                assert client.get(url).status_code == 404
            for url in posts:
                assert client.post(url, {"note": "x"}).status_code == 404
    with at(client, UserFactory(), OPENED_AT):  # no store: the list sends to the seller center
        assert client.get(reverse("seller_disputes:list"))["Location"] == reverse("sellercenter:home")
    assert fresh(dispute).state == S.AWAITING_SELLER
    with at(client, order.store.owner, OPENED_AT):
        current = client.get(urls[1])
        assert client.get(urls[2]).status_code == 200
    assert current["Location"] == detail_url(dispute)


def test_dsp2_seller_agrees_to_refund_only(client):
    order = received_order()
    dispute = open_dispute(order, amount=1200, files=[png_upload("buyer.png")])
    with at(client, order.store.owner, OPENED_AT + DAY):
        page = html(client.get(detail_url(dispute)))
        assert 'id="action-agree"' in page and 'id="action-refuse"' in page and "buyer.png" in page
        assert "The buyer&#x27;s request" in page and "$12.00" in page
        order_page = html(client.get(reverse("seller_orders:detail", args=[order.number])))
        assert f'href="{detail_url(dispute)}"' in order_page  # the seller's order page links to it
        response = client.post(reverse("seller_disputes:agree", args=[dispute.pk]), {"note": "Sorry!"})
    assert response.status_code == 302
    dispute = fresh(dispute)
    assert dispute.state == S.REFUNDED and dispute.refunded_minor == 1200


def test_dsp4_seller_refuses_with_a_counter_proposal_and_files(client):
    order = received_order()
    dispute = open_dispute(order)
    url = reverse("seller_disputes:refuse", args=[dispute.pk])
    with at(client, order.store.owner, OPENED_AT + DAY):
        no_note = client.post(url, {"counter_solution": "refund_only", "counter_amount": "5.00", "note": ""})
        too_much = client.post(
            url, {"counter_solution": "refund_only", "counter_amount": "500", "note": "No."}
        )
        hostile = client.post(
            url,
            {
                "counter_solution": "refund_only",
                "counter_amount": "5",
                "note": "No.",
                "files": [exe_upload()],
            },
        )
        assert fresh(dispute).state == S.AWAITING_SELLER
        done = client.post(
            url,
            {
                "counter_solution": "refund_only",
                "counter_amount": "5.00",
                "note": "The colour matches the listing.",
                "files": [png_upload("listing.png")],
            },
            **HTMX,
        )
    assert no_note.status_code == 422 and 'id="refuse_note_error"' in html(no_note)
    assert too_much.status_code == 422 and "can still be refunded" in html(too_much)
    assert hostile.status_code == 422 and 'id="refuse_files_error"' in html(hostile)
    assert done.status_code == 200 and html(done).startswith('<div id="dispute-panel"')
    dispute = fresh(dispute)
    assert dispute.state == S.NEGOTIATING and dispute.counter_amount_minor == 500
    assert dispute.evidence.filter(role="seller", original_name="listing.png").exists()


def test_dsp2_answer_after_the_deadline_is_refused_clearly(client):
    order = received_order()
    dispute = open_dispute(order)
    with at(client, order.store.owner, OPENED_AT + 5 * DAY):  # the deadline has passed, not yet fired
        page = html(client.get(detail_url(dispute)))
        response = client.post(reverse("seller_disputes:agree", args=[dispute.pk]))
    assert 'id="action-agree"' not in page and 'data-code="deadline_passed"' in page
    assert response.status_code == 409 and fresh(dispute).state == S.AWAITING_SELLER


def test_dsp3_seller_confirms_the_returned_goods(client):
    order = received_order()
    dispute = open_dispute(order, solution="return_and_refund", amount=2000)
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=OPENED_AT + DAY)
    services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="RT123", now=OPENED_AT + 2 * DAY
    )
    with at(client, order.store.owner, OPENED_AT + 3 * DAY):
        page = html(client.get(detail_url(dispute)))
        assert 'id="action-confirm-return"' in page and "RT123" in page
        assert 'data-deadline="dispute_return_confirm"' in page and utc(OPENED_AT + 32 * DAY) in page
        response = client.post(reverse("seller_disputes:confirm_return", args=[dispute.pk]))
        again = client.post(reverse("seller_disputes:confirm_return", args=[dispute.pk]))
    assert response.status_code == 302
    assert again.status_code == 409
    dispute = fresh(dispute)
    assert dispute.state == S.REFUNDED and dispute.refunded_minor == 2000


def test_dsp3_seller_objects_to_the_returned_goods(client):
    order = received_order()
    dispute = open_dispute(order, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=OPENED_AT + DAY)
    services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="RT124", now=OPENED_AT + 2 * DAY
    )
    url = reverse("seller_disputes:object_return", args=[dispute.pk])
    with at(client, order.store.owner, OPENED_AT + 3 * DAY):
        empty = client.post(url, {"note": ""})
        done = client.post(url, {"note": "The parcel was empty.", "files": [png_upload("empty.png")]})
    assert empty.status_code == 422
    assert done.status_code == 302 and fresh(dispute).state == S.TEAM_REVIEW


def test_dsp6_seller_messages_the_buyer(client):
    order = received_order()
    dispute = open_dispute(order)
    with at(client, order.store.owner, OPENED_AT + DAY):
        response = client.post(
            reverse("seller_disputes:message", args=[dispute.pk]),
            {"text": "Could you send a photo in daylight?"},
        )
    assert response.status_code == 302
    with at(client, order.buyer, OPENED_AT + DAY):
        page = html(client.get(reverse("disputes:detail", args=[dispute.pk])))
    assert "Could you send a photo in daylight?" in page and "The seller (" in page


def test_dsp2_closed_dispute_page_offers_no_action(client):
    order = received_order()
    dispute = open_dispute(order)
    services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=OPENED_AT + DAY)
    with at(client, order.store.owner, OPENED_AT + 2 * DAY):
        page = html(client.get(detail_url(dispute)))
        response = client.post(reverse("seller_disputes:message", args=[dispute.pk]), {"text": "Hello?"})
    assert 'id="action-agree"' not in page and 'id="action-message"' not in page
    assert "Withdrawn by the buyer" in page
    assert response.status_code == 409 and Dispute.objects.get(pk=dispute.pk).messages.count() == 0


def test_war1_seller_refuses_a_warranty_request_and_the_team_takes_it(client):
    order = received_order(warranty=True)
    ends = fresh(order).protection_ends_at
    deadlines_fire_due(now=ends)  # BP-2: protection ends, the order completes
    request = services.warranty_open(
        order=fresh(order),
        buyer=order.buyer,
        solution="replacement",
        description="The clasp broke.",
        now=ends + DAY,
    )
    url = reverse("seller_disputes:refuse", args=[request.pk])
    with at(client, order.store.owner, ends + 2 * DAY):
        page = html(client.get(detail_url(request)))
        assert "Warranty request on order" in page and 'name="counter_amount"' not in page
        empty = client.post(url, {"note": ""}, **HTMX)  # htmx: the panel again, with the error
        done = client.post(url, {"note": "It was dropped, not a defect."})
    assert empty.status_code == 200 and 'id="refuse_note_error"' in html(empty)
    assert done.status_code == 302 and fresh(request).state == S.TEAM_REVIEW


def test_war1_repair_pages_seller_reships_buyer_confirms(client):
    # RULE WAR-1: the repair flow on the seller's and the buyer's pages
    order = received_order(warranty=True)
    ends = fresh(order).protection_ends_at
    deadlines_fire_due(now=ends)
    request = services.warranty_open(
        order=fresh(order), buyer=order.buyer, solution="repair", description="The clasp broke.",
        now=ends + DAY,
    )
    services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=ends + DAY)
    services.return_tracking_submit(
        dispute=request, buyer=order.buyer, carrier="USPS", tracking_number="WP1", now=ends + 2 * DAY
    )
    with at(client, order.store.owner, ends + 3 * DAY):
        confirm = client.post(reverse("seller_disputes:confirm_return", args=[request.pk]), **HTMX)
        assert fresh(request).state == S.REPAIRING and 'id="action-warranty-reship"' in html(confirm)
        bad = client.post(reverse("seller_disputes:warranty_reship", args=[request.pk]),
                          {"carrier": "USPS", "tracking_number": ""}, **HTMX)
        assert 'id="reship_tracking_number_error"' in html(bad) and fresh(request).state == S.REPAIRING
        done = client.post(reverse("seller_disputes:warranty_reship", args=[request.pk]),
                           {"carrier": "USPS", "tracking_number": "RB 77"})
    assert done.status_code == 302 and fresh(request).state == S.RESHIPPED
    buyer_url = reverse("disputes:detail", args=[request.pk])
    with at(client, order.buyer, ends + 5 * DAY):
        page = html(client.get(buyer_url))
        assert 'id="action-warranty-confirm"' in page and "RB77" in page
        empty = client.post(reverse("disputes:warranty_reopen", args=[request.pk]), {"note": ""}, **HTMX)
        assert 'id="reopen_note_error"' in html(empty)
        closed = client.post(reverse("disputes:warranty_confirm", args=[request.pk]))
    assert closed.status_code == 302 and fresh(request).state == S.RESOLVED
