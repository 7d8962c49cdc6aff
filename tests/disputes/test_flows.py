"""Every path through the dispute machine (DSP-1…DSP-7, BP-2, NTF-1), by the real services."""

import datetime as dt

import pytest

from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.states import DisputeState as S
from ledger.models import Transaction
from ledger.services import release_key
from notifications.models import Notice
from orders.states import State
from payments.models import Refund
from tests.disputes.factories import DAY, SECOND, T0, Upload, fresh, png_bytes, received_order, shipped_order

pytestmark = pytest.mark.django_db


def open_received(order, *, now, solution="refund_only", amount=None, **kw):
    return services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="not_as_described",
        solution=solution,
        amount_minor=amount if amount is not None else order.total_minor,
        description="Wrong colour.",
        now=now,
        **kw,
    )


def refunded_total(order) -> int:
    return sum(r.amount_minor for r in Refund.objects.filter(order=order).exclude(state=Refund.State.FAILED))


def test_dsp1_dsp2_seller_agrees_refund_only_refunds_and_closes():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, files=[Upload(png_bytes(), "photo.png")])
    assert dispute.state == S.AWAITING_SELLER and dispute.due_at == now + 5 * DAY
    assert dispute.evidence.count() == 1
    assert Notice.objects.filter(user=order.store.owner, kind__startswith="dispute_").exists()  # NTF-1
    closed = services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now + DAY)
    assert closed.state == S.REFUNDED and not closed.is_open
    assert refunded_total(order) == order.total_minor
    assert order.events.filter(kind__startswith="dispute_").count() >= 2  # on the order's timeline
    assert not Deadline.objects.filter(
        subject_type="dispute", subject_id=dispute.pk, status=Status.PENDING
    ).exists()


def test_dsp2_unanswered_for_5_days_the_request_is_granted():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, amount=1000)
    deadlines_fire_due(now=now + 5 * DAY - SECOND)
    assert fresh(dispute).state == S.AWAITING_SELLER
    deadlines_fire_due(now=now + 5 * DAY)
    assert fresh(dispute).state == S.REFUNDED
    assert refunded_total(order) == 1000


def test_dsp3_return_flow_buyer_ships_seller_confirms_refund():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, solution="return_and_refund")
    dispute = services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now + DAY)
    assert dispute.state == S.AWAITING_RETURN and dispute.due_at == now + DAY + 10 * DAY
    dispute = services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="9400 1", now=now + 2 * DAY
    )
    assert dispute.state == S.RETURN_SHIPPED
    dispute = services.return_receipt_confirm(dispute=dispute, seller=order.store.owner, now=now + 3 * DAY)
    assert dispute.state == S.REFUNDED and refunded_total(order) == order.total_minor


def test_dsp3_return_not_sent_in_10_days_closes_without_refund():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now)
    deadlines_fire_due(now=now + 10 * DAY - SECOND)
    assert fresh(dispute).state == S.AWAITING_RETURN
    deadlines_fire_due(now=now + 10 * DAY)
    assert fresh(dispute).state == S.CLOSED_NO_REFUND
    assert refunded_total(order) == 0


def test_dsp3_return_window_is_per_country(settings):
    settings.HMONG_POLICY = {"return_shipping_window_by_country": {"US": dt.timedelta(days=14)}}
    order = received_order()
    assert order.ship_country == "US"
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, solution="return_and_refund")
    dispute = services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now)
    assert dispute.due_at == now + 14 * DAY


@pytest.mark.parametrize("delivered,expected", [(True, S.REFUNDED), (False, S.TEAM_REVIEW)])
def test_dsp3_seller_silent_30_days_refund_if_delivered_else_team(delivered, expected):
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now)
    services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="RT1", now=now + DAY
    )
    if delivered:
        services.return_tracking_delivered(dispute=dispute, now=now + 5 * DAY)
    deadlines_fire_due(now=now + DAY + 30 * DAY - SECOND)
    assert fresh(dispute).state == S.RETURN_SHIPPED
    deadlines_fire_due(now=now + DAY + 30 * DAY)
    assert fresh(dispute).state == expected
    assert refunded_total(order) == (order.total_minor if delivered else 0)


def test_dsp4_refusal_then_buyer_update_restarts_the_sellers_5_days():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    dispute = services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=500,
        note="Half at most.",
        now=now + DAY,
    )
    assert dispute.state == S.NEGOTIATING and dispute.due_at == now + DAY + 5 * DAY
    later = now + 3 * DAY
    dispute = services.dispute_buyer_update(
        dispute=dispute, buyer=order.buyer, solution="refund_only", amount_minor=1500, now=later
    )
    assert dispute.state == S.AWAITING_SELLER and dispute.due_at == later + 5 * DAY


def test_dsp4_buyer_accepts_counter_proposal_partial_refund():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=700,
        note="Partial.",
        now=now,
    )
    closed = services.dispute_buyer_accept_counter(dispute=dispute, buyer=order.buyer, now=now + DAY)
    assert closed.state == S.REFUNDED and refunded_total(order) == 700


def test_dsp4_unsettled_5_days_after_refusal_escalates_to_the_team():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=now,
    )
    deadlines_fire_due(now=now + 5 * DAY - SECOND)
    assert fresh(dispute).state == S.NEGOTIATING
    deadlines_fire_due(now=now + 5 * DAY)
    assert fresh(dispute).state == S.TEAM_REVIEW
    assert Notice.objects.filter(user=order.buyer, kind="dispute_escalated").exists()  # NTF-1


def test_dsp5_team_asks_evidence_then_decides_partial_refund(django_user_model):
    staff = django_user_model.objects.create_user(email="team@example.test", password="x", is_staff=True)
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=now,
    )
    deadlines_fire_due(now=now + 5 * DAY)
    at = now + 6 * DAY
    dispute = services.team_request_evidence(
        dispute=dispute, staff=staff, party="buyer", note="A photo.", due_at=at + 3 * DAY, now=at
    )
    assert dispute.state == S.AWAITING_EVIDENCE
    services.dispute_message(
        dispute=dispute, user=order.buyer, text="Here.", files=[Upload(png_bytes(), "p.png")], now=at + DAY
    )
    assert fresh(dispute).state == S.TEAM_REVIEW
    decided = services.team_decide(
        dispute=dispute, staff=staff, outcome="partial", amount_minor=900, note="Half.", now=at + 2 * DAY
    )
    assert decided.state == S.REFUNDED and refunded_total(order) == 900
    from core.models import AuditLog

    assert AuditLog.objects.filter(action__startswith="dispute.", actor=staff).count() == 2  # OPS-1


def test_dsp5_evidence_deadline_returns_the_dispute_to_the_team(django_user_model):
    staff = django_user_model.objects.create_user(email="team2@example.test", password="x", is_staff=True)
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=now,
    )
    deadlines_fire_due(now=now + 5 * DAY)
    due = now + 8 * DAY
    services.team_request_evidence(
        dispute=dispute, staff=staff, party="seller", note="Proof of shipping.", due_at=due, now=now + 6 * DAY
    )
    deadlines_fire_due(now=due - SECOND)
    assert fresh(dispute).state == S.AWAITING_EVIDENCE
    deadlines_fire_due(now=due)
    assert fresh(dispute).state == S.TEAM_REVIEW


def test_dsp5_decision_with_return_and_no_refund(django_user_model):
    staff = django_user_model.objects.create_user(email="team3@example.test", password="x", is_staff=True)
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=now,
    )
    deadlines_fire_due(now=now + 5 * DAY)
    moved = services.team_decide(
        dispute=dispute, staff=staff, outcome="full", with_return=True, note="Return it.", now=now + 6 * DAY
    )
    assert moved.state == S.AWAITING_RETURN and moved.agreed_amount_minor == order.total_minor


def test_dsp5_not_received_with_no_tracking_after_day_11_goes_straight_to_the_team():
    order = shipped_order()
    dispute = services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="no_tracking",
        solution="refund_only",
        amount_minor=order.total_minor,
        description="Nothing.",
        now=T0 + 11 * DAY,
    )
    assert dispute.state == S.TEAM_REVIEW and dispute.escalated_at is not None
    assert not Deadline.objects.filter(
        subject_type="dispute", subject_id=dispute.pk, status=Status.PENDING
    ).exists()


def test_dsp6_withdraw_and_messages():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    msg = services.dispute_message(
        dispute=dispute, user=order.store.owner, text="Can you send a photo?", now=now + SECOND
    )
    assert msg.role == "seller"
    assert Notice.objects.filter(user=order.buyer, kind="dispute_message").exists()
    closed = services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=now + DAY)
    assert closed.state == S.WITHDRAWN and not closed.is_open


def test_bp2_protection_end_waits_for_the_open_dispute_then_releases_after_no_refund(django_user_model):
    """An open dispute holds completion and release; a no-refund close after protection ended
    completes the order and releases the escrow."""
    staff = django_user_model.objects.create_user(email="team4@example.test", password="x", is_staff=True)
    order = received_order()
    end = fresh(order).protection_ends_at
    dispute = open_received(order, now=end - DAY)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=end - DAY,
    )
    deadlines_fire_due(now=end)  # protection end fires: skipped, the dispute is open
    assert fresh(order).state == State.SHIPPED
    assert not Transaction.objects.filter(idempotency_key=release_key(order)).exists()
    deadlines_fire_due(now=end + 5 * DAY)  # escalated
    services.team_decide(dispute=dispute, staff=staff, outcome="none", note="No fault.", now=end + 6 * DAY)
    assert fresh(order).state == State.COMPLETED
    assert Transaction.objects.filter(idempotency_key=release_key(order)).exists()


def test_dsp7_paypal_payment_records_the_note():
    order = received_order(method="paypal")
    dispute = open_received(order, now=T0 + 9 * DAY)
    assert dispute.paid_with_paypal and dispute.paypal_dispute_until == fresh(order).paid_at + 180 * DAY
    from disputes.selectors import paypal_note

    assert "180 days" in paypal_note(dispute)
    card = received_order()
    assert paypal_note(open_received(card, now=T0 + 9 * DAY)) == ""


def test_ntf1_the_seller_is_reminded_24_hours_before_the_answer_deadline():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    remind_at = dispute.due_at - dt.timedelta(hours=24)
    deadlines_fire_due(now=remind_at - SECOND)
    assert not Notice.objects.filter(user=order.store.owner, kind="dispute_remind").exists()
    deadlines_fire_due(now=remind_at)
    assert Notice.objects.filter(user=order.store.owner, kind="dispute_remind").count() == 1
    assert fresh(dispute).state == S.AWAITING_SELLER


def test_ntf1_refund_and_decision_notices_reach_both_parties():
    order = received_order()
    dispute = open_received(order, now=T0 + 9 * DAY)
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=T0 + 10 * DAY)
    for user in (order.buyer, order.store.owner):
        kinds = set(Notice.objects.filter(user=user).values_list("kind", flat=True))
        assert {"dispute_refund", "dispute_closed"} <= kinds


def test_dsp5_decided_with_return_refunds_after_the_goods_come_back(django_user_model):
    staff = django_user_model.objects.create_user(email="team5@example.test", password="x", is_staff=True)
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=now,
    )
    deadlines_fire_due(now=now + 5 * DAY)
    at = now + 6 * DAY
    services.team_decide(
        dispute=dispute,
        staff=staff,
        outcome="partial",
        amount_minor=800,
        with_return=True,
        note="Send it back.",
        now=at,
    )
    services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="RR1", now=at + DAY
    )
    services.return_tracking_delivered(dispute=dispute, staff=staff, now=at + 4 * DAY)
    done = services.return_receipt_confirm(dispute=dispute, seller=order.store.owner, now=at + 5 * DAY)
    assert done.state == S.REFUNDED and refunded_total(order) == 800
    from core.models import AuditLog

    assert AuditLog.objects.filter(action="dispute.return_delivered", actor=staff).exists()  # OPS-1


def test_dsp2_unanswered_return_request_asks_the_buyer_to_send_the_goods():
    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, solution="return_and_refund", amount=1200)
    deadlines_fire_due(now=now + 5 * DAY)
    moved = fresh(dispute)
    assert moved.state == S.AWAITING_RETURN and moved.agreed_amount_minor == 1200
    assert moved.due_at == now + 5 * DAY + 10 * DAY


def test_ops1_staff_messages_are_audited_and_the_opened_event_has_no_prior_state(django_user_model):
    staff = django_user_model.objects.create_user(email="team6@example.test", password="x", is_staff=True)
    order = received_order()
    dispute = open_received(order, now=T0 + 9 * DAY)
    assert dispute.events.get(kind="opened").from_state == ""
    message = services.dispute_message(dispute=dispute, user=staff, text="We are looking.", now=T0 + 10 * DAY)
    assert message.role == "staff"
    from core.models import AuditLog

    assert AuditLog.objects.filter(action="dispute.message", actor=staff).exists()


@pytest.mark.parametrize("how", ["seller_agrees", "seller_silent"])
def test_dsp2_nothing_left_to_refund_closes_without_refund_instead_of_sticking(how):
    """RULE DSP-2 / RFD-1: staff refunded the whole order while the dispute waited for the seller;
    agreeing (or the 5-day silence) then finds nothing left to refund: the dispute closes without a
    refund — it does not stay open for ever holding the escrow — and nothing is refunded twice."""
    from payments.services import refund_order_amount

    order = received_order()
    now = T0 + 9 * DAY
    dispute = open_received(order, now=now, amount=1000)
    refund_order_amount(order=order, amount_minor=order.total_minor, reason="Staff goodwill refund",
                        event_key="test-staff-full", now=now + SECOND)
    if how == "seller_agrees":
        services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now + DAY)
    else:
        deadlines_fire_due(now=now + 5 * DAY)
    closed = fresh(dispute)
    assert closed.state == S.CLOSED_NO_REFUND and not closed.is_open
    assert refunded_total(order) == order.total_minor
