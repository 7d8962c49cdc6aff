"""When a dispute or a warranty request may be opened, and why not (BP-3, DSP-6, WAR-1, HLP-4).

Each edge is tested one second before and at the instant it opens or closes; the same
function decides and explains (the services raise its reason)."""

import datetime as dt

import pytest
import time_machine

from core.errors import NotAllowed
from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.rules import check_open_any, check_open_dispute, check_open_warranty
from orders.models import TrackingEvent
from orders.services import tracking_event_record
from tests.disputes.factories import DAY, SECOND, T0, fresh, paid_order, received_order, shipped_order

pytestmark = pytest.mark.django_db


def scan(order, status, at):
    tracking_event_record(
        order=order, status=status, occurred_at=at, source=TrackingEvent.Source.SELLER, now=at
    )


def test_bp3_not_received_opens_on_the_11th_day_after_shipment():
    order = shipped_order()  # PST = T0 + 20 days, protection ends T0 + 35 days
    before = check_open_dispute(order, T0 + 11 * DAY - SECOND, "over_delivery_time")
    assert not before and before.code == "too_early" and before.available_from == T0 + 11 * DAY
    assert before.rule == "BP-3" and before.reason  # HLP-4: says why and from when
    assert check_open_dispute(order, T0 + 11 * DAY, "over_delivery_time")


def test_bp3_normal_tracking_progress_waits_for_pst():
    order = shipped_order()
    scan(order, "in_transit", T0 + DAY)
    pst = fresh(order).promised_delivery_at
    assert pst == T0 + 20 * DAY
    early = check_open_dispute(fresh(order), pst - SECOND, "over_delivery_time")
    assert not early and early.code == "tracking_in_progress" and early.available_from == pst
    assert check_open_dispute(fresh(order), pst, "over_delivery_time")


def test_bp3_abnormal_tracking_allows_from_day_11():
    order = shipped_order()
    scan(order, "in_customs", T0 + 3 * DAY)
    assert check_open_dispute(fresh(order), T0 + 11 * DAY, "held_in_customs")


def test_bp3_no_dispute_once_protection_ends():
    order = fresh(shipped_order())
    end = order.protection_ends_at
    assert end == T0 + 35 * DAY
    assert check_open_dispute(order, end - SECOND, "over_delivery_time")
    after = check_open_dispute(order, end, "over_delivery_time")
    assert not after and after.code == "protection_ended"


def test_bp3_received_problem_only_after_receipt_until_protection_ends():
    order = shipped_order()
    before = check_open_dispute(order, T0 + 5 * DAY, "damaged")
    assert not before and before.code == "not_received_yet"
    order = fresh(received_order())
    assert check_open_dispute(order, order.received_at, "damaged")
    end = order.protection_ends_at
    assert end == order.received_at + 15 * DAY
    assert check_open_dispute(order, end - SECOND, "quality")
    assert not check_open_dispute(order, end, "quality")
    # After receipt a "not received" reason is refused with a pointer to the right reasons.
    assert check_open_dispute(order, order.received_at, "over_delivery_time").code == "received"


def test_bp3_unshipped_and_unknown_reason_are_explained():
    order = paid_order()
    assert check_open_dispute(order, T0, "damaged").code == "not_shipped"
    assert check_open_dispute(fresh(shipped_order()), T0, "nonsense").code == "invalid_reason"


def test_hlp4_the_order_page_answer_gives_the_earliest_date():
    order = shipped_order()
    answer = check_open_any(order, T0 + DAY)
    assert not answer and answer.available_from == T0 + 11 * DAY


def test_bp3_service_refuses_with_the_same_reason():
    order = shipped_order()
    with pytest.raises(NotAllowed) as refused:
        services.dispute_open(
            order=order,
            buyer=order.buyer,
            reason="over_delivery_time",
            solution="refund_only",
            amount_minor=100,
            description="Late.",
            now=T0 + 11 * DAY - SECOND,
        )
    assert refused.value.code == "too_early"
    assert (
        str(refused.value) == check_open_dispute(order, T0 + 11 * DAY - SECOND, "over_delivery_time").reason
    )


def test_dsp6_one_open_dispute_per_order():
    order = received_order()
    now = T0 + 9 * DAY
    services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="damaged",
        solution="refund_only",
        amount_minor=100,
        description="Broken.",
        now=now,
    )
    second = check_open_dispute(fresh(order), now, "quality")
    assert not second and second.code == "dispute_open" and second.rule == "DSP-6"


def test_bp3_api_day_11_edge_with_the_clock(client):
    """The API reads the clock: time-machine at the edge (one second before and at day 11)."""
    order = shipped_order()
    client.force_login(order.buyer)
    url = f"/api/v1/orders/{order.number}/dispute"
    with time_machine.travel(T0 + 11 * DAY - SECOND, tick=False):
        body = client.get(url).json()
        assert body["reasons"]["over_delivery_time"]["allowed"] is False
        assert body["reasons"]["over_delivery_time"]["available_from"].startswith("2026-11-13T15:00:00")
        refused = client.post(
            url,
            {
                "reason": "over_delivery_time",
                "solution": "refund_only",
                "amount_minor": 100,
                "description": "Late.",
            },
        )
        assert refused.status_code == 403 and refused.json()["code"] == "too_early"
    with time_machine.travel(T0 + 11 * DAY, tick=False):
        assert client.get(url).json()["reasons"]["over_delivery_time"]["allowed"] is True
        made = client.post(
            url,
            {
                "reason": "over_delivery_time",
                "solution": "refund_only",
                "amount_minor": 100,
                "description": "Late.",
            },
        )
        assert made.status_code == 201, made.content


# --- WAR-1 -------------------------------------------------------------------------------------


def completed_warranty_order():
    order = received_order(warranty=True)  # received T0 + 8 days, protection ends 15 days later
    end = fresh(order).protection_ends_at
    deadlines_fire_due(now=end)
    return fresh(order)


def test_war1_only_after_protection_ends():
    order = fresh(received_order(warranty=True))
    end = order.protection_ends_at
    early = check_open_warranty(order, end - SECOND)
    assert not early and early.code == "protection_running" and early.available_from == end
    deadlines_fire_due(now=end)
    assert check_open_warranty(fresh(order), end)


def test_war1_within_a_year_of_receipt():
    order = completed_warranty_order()
    year_end = order.received_at + dt.timedelta(days=365)
    assert check_open_warranty(order, year_end - SECOND)
    late = check_open_warranty(order, year_end)
    assert not late and late.code == "warranty_ended"


def test_war1_only_on_warranty_items():
    order = received_order(warranty=False)
    deadlines_fire_due(now=fresh(order).protection_ends_at)
    assert check_open_warranty(fresh(order), fresh(order).protection_ends_at).code == "no_warranty"


def test_war1_request_repair_agreed_sends_the_item_in():
    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order, buyer=order.buyer, solution="repair", description="The clasp broke.", now=now
    )
    assert request.kind == "warranty" and request.state == "awaiting_seller"
    assert request.due_at == now + dt.timedelta(days=7)
    done = services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=now + DAY)
    assert done.state == "awaiting_return" and done.agreed_solution == "repair"  # then test_warranty_repair


def test_war1_seller_silence_sends_the_request_to_the_team():
    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order, buyer=order.buyer, solution="replacement", description="Tarnished.", now=now
    )
    deadlines_fire_due(now=now + dt.timedelta(days=7) - SECOND)
    assert fresh(request).state == "awaiting_seller"
    deadlines_fire_due(now=now + dt.timedelta(days=7))
    assert fresh(request).state == "team_review"


def test_war1_refused_goes_to_the_team():
    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order, buyer=order.buyer, solution="repair", description="Broken.", now=now
    )
    moved = services.dispute_seller_refuse(dispute=request, seller=order.store.owner, note="Misuse.", now=now)
    assert moved.state == "team_review"


def test_war1_refund_after_release_is_taken_back_from_the_seller_and_refunded():
    from ledger.selectors import ledger_problems
    from payments.models import Refund

    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order,
        buyer=order.buyer,
        solution="refund",
        amount_minor=1000,
        description="Stopped working.",
        now=now,
    )
    done = services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=now + DAY)
    assert done.state == "refunded" and done.refunded_minor == 1000
    assert Refund.objects.get(order=order).amount_minor == 1000
    assert ledger_problems() == []
