"""The buyer's dispute pages (BP-3, DSP-1, DSP-3, DSP-4, DSP-6, DSP-7, WAR-1, HLP-4): the order page's
dispute block says why and from when (the same rule code that enforces it), the dispute form with
its happy and error paths, the dispute page with its countdowns, proposals, timeline and evidence,
and every buyer action — each page refused to anyone but its buyer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import Dispute, Evidence
from disputes.states import DisputeState as S
from orders.services import tracking_event_record
from tests.disputes.factories import (
    DAY,
    SECOND,
    T0,
    fresh,
    paid_order,
    received_order,
    shipped_order,
)
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


def order_page(client, order):
    return client.get(reverse("orders:detail", args=[order.number]))


def open_url(order):
    return reverse("order_disputes:open", args=[order.number])


def form_data(order, **overrides):
    line = order.lines.get()
    data = {
        "reason": "not_as_described",
        "solution": "refund_only",
        "amount": "10.00",
        f"qty_{line.pk}": "1",
        "description": "The colour is not the one in the pictures.",
    }
    data.update(overrides)
    return data


# --- the order page (HLP-4, BP-3) -------------------------------------------------------------------


def test_hlp4_bp3_order_page_says_why_and_from_when_then_offers_the_dispute(client):
    order = shipped_order()  # shipped at T0, no tracking yet, not received
    opens_at = T0 + 11 * DAY  # BP-3: from the 11th day after shipment
    with at(client, order.buyer, opens_at - SECOND):
        page = html(order_page(client, order))
    assert 'id="why-open_dispute"' in page and 'data-code="too_early"' in page
    assert "Possible from" in page and utc(opens_at) in page
    assert 'class="help-link" href="/help/a/why-cant-i-open-a-dispute/' in page  # HLP-4: the article
    assert 'id="open-dispute-link"' not in page
    with at(client, order.buyer, opens_at - SECOND):  # the form page says the same, and offers no form
        form_page = html(client.get(open_url(order)))
    assert utc(opens_at) in form_page and 'id="dispute-open-form"' not in form_page
    with at(client, order.buyer, opens_at + SECOND):
        page = html(order_page(client, order))
    assert 'id="open-dispute-link"' in page and 'id="why-open_dispute"' not in page


def test_hlp4_bp3_tracking_in_normal_progress_waits_for_the_promised_delivery_time(client):
    order = shipped_order(max_days=20)  # PST = T0 + 20 days
    tracking_event_record(
        order=order, status="in_transit", occurred_at=T0 + DAY, source="seller", now=T0 + DAY
    )
    pst = fresh(order).promised_delivery_at
    with at(client, order.buyer, T0 + 12 * DAY):  # past day 11, but the parcel is moving and PST is ahead
        page = html(order_page(client, order))
    assert 'data-code="tracking_in_progress"' in page and utc(pst) in page
    with at(client, order.buyer, pst + SECOND):
        assert 'id="open-dispute-link"' in html(order_page(client, order))


def test_hlp4_order_page_explains_an_ended_protection(client):
    order = received_order()
    with at(client, order.buyer, order.protection_ends_at + SECOND):
        page = html(order_page(client, order))
    assert 'data-code="protection_ended"' in page


# --- the dispute form (DSP-1) -----------------------------------------------------------------------


def test_dsp1_open_form_happy_path_opens_with_lines_amount_and_evidence(client):
    order = received_order(price=2500, qty=2)
    line = order.lines.get()
    with at(client, order.buyer, OPENED_AT):
        form = client.get(open_url(order))
        assert form.status_code == 200 and 'id="dispute-open-form"' in html(form)
        assert "Not received" in html(form) and "Received with a problem" in html(form)  # grouped reasons
        response = client.post(
            open_url(order),
            {
                **form_data(order, amount="12.50", solution="return_and_refund", **{f"qty_{line.pk}": "1"}),
                "files": [png_upload("front.png"), png_upload("back.png")],
            },
        )
    dispute = Dispute.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == reverse(
        "disputes:detail", args=[dispute.pk]
    )
    assert (dispute.reason, dispute.solution, dispute.amount_minor) == (
        "not_as_described",
        "return_and_refund",
        1250,
    )
    assert [(dl.order_line_id, dl.quantity) for dl in dispute.lines.all()] == [(line.pk, 1)]
    assert sorted(e.original_name for e in dispute.evidence.all()) == ["back.png", "front.png"]


@pytest.mark.parametrize(
    ("overrides", "field_text"),
    [
        ({"amount": "999.00"}, "can still be refunded"),  # DSP-1: ≤ paid − refunded
        ({"amount": "abc"}, "Enter an amount in USD"),
        ({"amount": "1.005"}, "at most 2 decimals"),
        ({"amount": "-3"}, "more than zero"),
        ({"description": ""}, "This field is required"),
        ({"reason": "lost_in_space"}, "Select a valid choice"),
        ({"solution": ""}, "This field is required"),
    ],
)
def test_dsp1_open_form_bad_input_shows_field_errors_and_opens_nothing(client, overrides, field_text):
    order = received_order()
    with at(client, order.buyer, OPENED_AT):
        response = client.post(open_url(order), form_data(order, **overrides))
    assert response.status_code == 422
    assert field_text in html(response) and 'class="errorlist' in html(response)
    assert not Dispute.objects.exists()


def test_dsp1_open_form_refuses_a_renamed_program_and_no_items(client):
    order = received_order()
    line = order.lines.get()
    with at(client, order.buyer, OPENED_AT):
        hostile = client.post(open_url(order), {**form_data(order), "files": [exe_upload()]})
        no_items = client.post(open_url(order), form_data(order, **{f"qty_{line.pk}": "0"}))
        too_many = client.post(open_url(order), form_data(order, **{f"qty_{line.pk}": "5"}))
    assert hostile.status_code == 422 and 'id="id_files_error"' in html(hostile)
    assert no_items.status_code == 422 and "at least one item" in html(no_items)
    assert too_many.status_code == 422 and f'id="id_qty_{line.pk}_error"' in html(too_many)
    assert not Dispute.objects.exists() and not Evidence.objects.exists()


def test_bp3_open_form_refuses_a_reason_not_yet_allowed_with_the_rule_text(client):
    order = received_order()  # received: a "not received" reason is refused
    with at(client, order.buyer, OPENED_AT):
        response = client.post(open_url(order), form_data(order, reason="over_delivery_time"))
    assert response.status_code == 403
    assert "You confirmed that you received this order" in html(response)
    assert not Dispute.objects.exists()


def test_dsp6_one_open_dispute_per_order_the_form_points_to_it(client):
    order = received_order()
    dispute = open_dispute(order)
    with at(client, order.buyer, OPENED_AT + DAY):
        page = html(client.get(open_url(order)))
        posted = client.post(open_url(order), form_data(order))
        current = client.get(reverse("order_disputes:current", args=[order.number]))
    assert 'id="dispute-open-form"' not in page and reverse("disputes:detail", args=[dispute.pk]) in page
    assert posted.status_code in (403, 409, 422) and Dispute.objects.count() == 1
    assert current.status_code == 302 and current["Location"] == reverse("disputes:detail", args=[dispute.pk])


# --- who may see what -------------------------------------------------------------------------------


def test_dsp6_buyer_pages_are_refused_to_others(client):
    order = received_order()
    dispute = open_dispute(order, files=[png_upload()])
    evidence = dispute.evidence.get()
    detail = reverse("disputes:detail", args=[dispute.pk])
    file_url = reverse("disputes:evidence", args=[dispute.pk, evidence.pk])
    other_buyer, other_seller = UserFactory(), StoreFactory().owner
    with at(client, None, OPENED_AT):
        for url in (detail, file_url, open_url(order), reverse("disputes:list")):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        response = client.post(reverse("disputes:withdraw", args=[dispute.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for stranger in (other_buyer, other_seller):
        with at(client, stranger, OPENED_AT):
            assert client.get(detail).status_code == 404
            assert client.get(file_url).status_code == 404
            assert client.get(open_url(order)).status_code == 404
            assert client.post(reverse("disputes:withdraw", args=[dispute.pk])).status_code == 404
    assert fresh(dispute).is_open
    with at(client, order.store.owner, OPENED_AT):  # the seller and staff have their own pages
        assert client.get(detail)["Location"] == reverse("seller_disputes:detail", args=[dispute.pk])
    staff = UserFactory(is_staff=True)
    with at(client, staff, OPENED_AT):
        assert client.get(detail)["Location"] == reverse("backoffice_disputes:detail", args=[dispute.pk])


def test_dsp1_evidence_downloads_as_attachment_to_both_parties_only(client):
    order = received_order()
    dispute = open_dispute(order, files=[png_upload()])
    url = reverse("disputes:evidence", args=[dispute.pk, dispute.evidence.get().pk])
    for person in (order.buyer, order.store.owner, UserFactory(is_staff=True)):
        with at(client, person, OPENED_AT):
            response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/png"
    with at(client, order.buyer, OPENED_AT):  # the file, but asked under another dispute: no
        other = open_dispute(received_order(buyer=order.buyer))
        assert (
            client.get(reverse("disputes:evidence", args=[other.pk, dispute.evidence.get().pk])).status_code
            == 404
        )


# --- the dispute page and the buyer's actions --------------------------------------------------------


def test_dsp2_dispute_page_shows_status_countdown_proposal_timeline_and_files(client):
    order = received_order()
    dispute = open_dispute(order, amount=1500, files=[png_upload("scratch.png")])
    with at(client, order.buyer, OPENED_AT + DAY):
        response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    page = html(response)
    assert response.status_code == 200
    assert 'data-dispute-state="awaiting_seller"' in page
    assert 'data-deadline="dispute_seller_answer"' in page and utc(OPENED_AT + 5 * DAY) in page  # DSP-2
    assert "Your request" in page and "$15.00" in page
    assert "Dispute opened" in page and "scratch.png" in page
    assert 'id="action-withdraw"' in page and 'id="action-message"' in page
    assert 'id="action-update"' not in page  # only after a refusal (DSP-4)


def test_dsp4_after_a_refusal_the_buyer_sees_the_counter_and_updates_the_proposal(client):
    order = received_order()
    dispute = open_dispute(order)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=500,
        note="Half the colour is right.",
        now=OPENED_AT + DAY,
    )
    url = reverse("disputes:detail", args=[dispute.pk])
    with at(client, order.buyer, OPENED_AT + 2 * DAY):
        page = html(client.get(url))
        assert "s counter-proposal</h3>" in page and "$5.00" in page and "Half the colour is right." in page
        assert 'data-deadline="dispute_settle"' in page  # DSP-4: settle within 5 days of the refusal
        bad = client.post(
            reverse("disputes:update", args=[dispute.pk]), {"solution": "refund_only", "amount": "900"}
        )
        assert bad.status_code == 422 and "can still be refunded" in html(bad)
        good = client.post(
            reverse("disputes:update", args=[dispute.pk]),
            {"solution": "refund_only", "amount": "20.00", "description": "Meet me halfway."},
        )
    assert good.status_code == 302
    dispute = fresh(dispute)
    assert dispute.state == S.AWAITING_SELLER and dispute.amount_minor == 2000
    assert dispute.due_at == OPENED_AT + 2 * DAY + 5 * DAY  # the seller's 5 days start again


def test_dsp4_accept_counter_with_htmx_swaps_the_panel(client):
    order = received_order()
    dispute = open_dispute(order)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=700,
        note="Partial refund.",
        now=OPENED_AT + DAY,
    )
    with at(client, order.buyer, OPENED_AT + 2 * DAY):
        response = client.post(reverse("disputes:accept_counter", args=[dispute.pk]), **HTMX)
    assert response.status_code == 200 and html(response).startswith('<div id="dispute-panel"')
    assert "You accepted" in html(response)
    dispute = fresh(dispute)
    assert dispute.state == S.REFUNDED and dispute.refunded_minor == 700
    with at(client, order.buyer, OPENED_AT + 2 * DAY):  # again: the dispute is closed, said clearly
        again = client.post(reverse("disputes:accept_counter", args=[dispute.pk]))
    assert again.status_code == 409 and "closed" in html(again)


def test_dsp6_message_with_file_then_withdraw(client):
    order = received_order()
    dispute = open_dispute(order)
    with at(client, order.buyer, OPENED_AT + DAY):
        empty = client.post(reverse("disputes:message", args=[dispute.pk]), {"text": "  "})
        hostile = client.post(
            reverse("disputes:message", args=[dispute.pk]), {"text": "See file", "files": [exe_upload()]}
        )
        sent = client.post(
            reverse("disputes:message", args=[dispute.pk]),
            {"text": "Here is another photo.", "files": [png_upload("more.png")]},
        )
        page = html(client.get(reverse("disputes:detail", args=[dispute.pk])))
        withdrawn = client.post(reverse("disputes:withdraw", args=[dispute.pk]))
    assert empty.status_code == 422 and "Write a message or add a file" in html(empty)
    assert hostile.status_code == 422 and dispute.messages.count() == 1
    assert sent.status_code == 302 and "Here is another photo." in page and "more.png" in page
    assert withdrawn.status_code == 302 and fresh(dispute).state == S.WITHDRAWN


def test_dsp3_return_tracking_once_then_a_clear_error(client):
    order = received_order()
    dispute = open_dispute(order, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=OPENED_AT + DAY)
    url = reverse("disputes:return_tracking", args=[dispute.pk])
    with at(client, order.buyer, OPENED_AT + 2 * DAY):
        page = html(client.get(reverse("disputes:detail", args=[dispute.pk])))
        assert 'id="action-return-tracking"' in page and 'data-deadline="dispute_return_ship"' in page
        missing = client.post(url, {"carrier": "USPS", "tracking_number": ""})
        assert missing.status_code == 422 and 'id="tracking_tracking_number_error"' in html(missing)
        sent = client.post(url, {"carrier": "USPS", "tracking_number": "9400100000"})
        again = client.post(url, {"carrier": "USPS", "tracking_number": "9400100001"})
    assert sent.status_code == 302
    assert again.status_code == 409 and "cannot be submitted twice" in html(again)
    dispute = fresh(dispute)
    assert dispute.state == S.RETURN_SHIPPED and dispute.return_tracking_number == "9400100000"


def test_dsp7_paypal_orders_show_the_paypal_note(client):
    order = received_order(method="paypal")
    dispute = open_dispute(order)
    card = open_dispute(received_order())
    with at(client, order.buyer, OPENED_AT):
        page = html(client.get(reverse("disputes:detail", args=[dispute.pk])))
    with at(client, card.buyer, OPENED_AT):
        card_page = html(client.get(reverse("disputes:detail", args=[card.pk])))
    assert 'data-rule="DSP-7"' in page and "180 days" in page
    assert 'data-rule="DSP-7"' not in card_page


def test_dsp6_my_orders_shows_the_dispute_badge(client):
    order = received_order()
    plain = received_order(buyer=order.buyer)
    open_dispute(order)
    with at(client, order.buyer, OPENED_AT):
        page = html(client.get(reverse("orders:list")))
        listed = html(client.get(reverse("disputes:list")))
    assert page.count('class="badge dispute-badge is-open"') == 1 and plain.number in page
    assert order.number in listed


# --- warranty (WAR-1) -------------------------------------------------------------------------------


def test_war1_warranty_request_after_protection_ends(client):
    order = received_order(warranty=True)
    ends = fresh(order).protection_ends_at
    with at(client, order.buyer, ends - SECOND):
        page = html(order_page(client, order))
    assert 'data-code="protection_running"' in page and utc(ends) in page
    deadlines_fire_due(now=ends)  # BP-2: the order completes
    assert fresh(order).state == "completed"
    url = reverse("order_disputes:warranty", args=[order.number])
    line = order.lines.get()
    with at(client, order.buyer, ends + 30 * DAY):
        assert 'id="warranty-link"' in html(order_page(client, order))
        bad = client.post(
            url, {"solution": "refund", "amount": "", "description": "It broke.", f"qty_{line.pk}": "1"}
        )
        good = client.post(
            url,
            {
                "solution": "repair",
                "description": "The clasp broke.",
                f"qty_{line.pk}": "1",
                "files": [png_upload("clasp.png")],
            },
        )
    assert bad.status_code == 422 and "Enter the refund you ask for" in html(bad)
    request = Dispute.objects.get(order=order)
    assert good.status_code == 302 and request.kind == "warranty" and request.solution == "repair"


def test_war1_warranty_page_explains_when_no_item_has_the_warranty(client):
    order = received_order()
    with at(client, order.buyer, OPENED_AT):
        page = html(client.get(reverse("order_disputes:warranty", args=[order.number])))
        posted = client.post(
            reverse("order_disputes:warranty", args=[order.number]),
            {"solution": "repair", "description": "Broken."},
        )
    assert 'data-code="no_warranty"' in page
    assert posted.status_code in (403, 422) and not Dispute.objects.exists()


def test_bp3_unshipped_order_has_no_dispute_block_and_the_form_says_why(client):
    order = paid_order()
    with at(client, order.buyer, T0 + DAY):
        page = html(order_page(client, order))
        form_page = html(client.get(open_url(order)))
    assert 'id="order-disputes"' not in page
    assert 'data-code="not_shipped"' in form_page and 'id="dispute-open-form"' not in form_page


def test_dsp6_nonsense_addresses_are_not_found_never_a_server_error(client):
    order = received_order()
    big = "9" * 30
    with at(client, order.buyer, OPENED_AT):
        for url in (
            f"/disputes/{big}/",
            f"/disputes/{big}/evidence/{big}/",
            f"/orders/{'x' * 300}/dispute/open/",
            f"/orders/{'x' * 300}/warranty/",
        ):
            assert client.get(url).status_code == 404
        assert client.post(f"/disputes/{big}/message/", {"text": "Hello"}).status_code == 404
    with at(client, order.store.owner, OPENED_AT):
        assert client.get(f"/seller/disputes/{big}/").status_code == 404
        assert client.post(f"/seller/disputes/{big}/agree/").status_code == 404
    with at(client, UserFactory(is_staff=True), OPENED_AT):
        assert client.get(f"/backoffice/disputes/{big}/").status_code == 404
        assert client.get("/backoffice/disputes/?page=abc&filter=zzz").status_code == 200
        assert client.get("/backoffice/disputes/?filter=%00").status_code == 400  # core.middleware


def test_dsp1_suggested_amount_follows_the_quantities_htmx(client):
    # RULE DSP-1: the form's amount is suggested from the items chosen, swapped by htmx
    order = received_order(qty=3, price=2500)
    line = order.lines.get()
    url = reverse("order_disputes:open_amount", args=[order.number])
    with at(client, order.buyer, T0 + 9 * DAY):
        form_page = html(client.get(open_url(order)))
        one = html(client.get(url, {f"qty_{line.pk}": "1"}, **HTMX))
        none = html(client.get(url, {f"qty_{line.pk}": "x"}, **HTMX))
        every = html(client.get(url, {f"qty_{line.pk}": "3"}, **HTMX))
    assert f'hx-get="{url}"' in form_page and 'id="dispute-amount"' in form_page
    assert 'id="dispute-amount"' in one and 'value="25.00"' in one and "<html" not in one
    assert 'value="0.00"' in none  # nonsense counts as none chosen, never a 500
    full = order.total_minor  # every unit: all that can be refunded, shipping included
    assert f'value="{full // 100}.{full % 100:02d}"' in every
