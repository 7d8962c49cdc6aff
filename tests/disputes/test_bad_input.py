"""Bad input to the dispute services and API: clear errors, nothing changes, never a 500
(DSP-1, DSP-3, DSP-5, DSP-6, BP-3)."""

import pytest

from core.errors import Conflict, DomainError, NotFound
from disputes import services
from disputes.models import Dispute, DisputeEvent
from payments.models import Refund
from tests.disputes.factories import DAY, T0, fresh, received_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = T0 + 9 * DAY


def opened(order, **kw):
    args = {"reason": "damaged", "solution": "refund_only", "amount_minor": 100, "description": "Broken."}
    args.update(kw)
    return services.dispute_open(order=order, buyer=order.buyer, now=NOW, **args)


def test_dsp1_a_dispute_on_another_buyers_order_is_not_found():
    order = received_order()
    with pytest.raises(NotFound):
        services.dispute_open(
            order=order,
            buyer=UserFactory(),
            reason="damaged",
            solution="refund_only",
            amount_minor=100,
            description="x",
            now=NOW,
        )
    assert not Dispute.objects.exists()


def test_dsp6_a_second_open_dispute_is_refused():
    order = received_order()
    opened(order)
    with pytest.raises(DomainError) as refused:
        opened(fresh(order), reason="quality")
    assert refused.value.code == "dispute_open"
    assert Dispute.objects.count() == 1


def test_dsp1_amount_above_the_refundable_amount_is_refused():
    order = received_order()
    with pytest.raises(DomainError) as refused:
        opened(order, amount_minor=order.total_minor + 1)
    assert refused.value.status == 422 and "amount_minor" in refused.value.fields
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("reason", "bored"),
        ("solution", "exchange"),
        ("amount_minor", 0),
        ("amount_minor", -5),
        ("amount_minor", "12"),
        ("amount_minor", True),
        ("description", ""),
        ("description", "x" * 4001),
        ("lines", [{"line_id": 999999, "quantity": 1}]),
        ("lines", [{"line_id": "a"}]),
    ],
)
def test_dsp1_each_bad_field_gets_its_message(field, value):
    order = received_order()
    with pytest.raises(DomainError) as refused:
        opened(order, **{field: value})
    assert refused.value.status == 422 and field in refused.value.fields
    assert not Dispute.objects.exists()


def test_dsp1_line_quantity_above_the_ordered_quantity_is_refused():
    order = received_order()
    line = order.lines.get()
    with pytest.raises(DomainError) as refused:
        opened(order, lines=[{"line_id": line.pk, "quantity": line.quantity + 1}])
    assert "lines" in refused.value.fields


def test_dsp3_return_tracking_submitted_twice_is_refused():
    order = received_order()
    dispute = opened(order, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=NOW)
    services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="A1", now=NOW + DAY
    )
    events = DisputeEvent.objects.count()
    with pytest.raises(Conflict) as twice:
        services.return_tracking_submit(
            dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="B2", now=NOW + DAY
        )
    assert twice.value.code == "tracking_already_submitted"
    assert fresh(dispute).return_tracking_number == "A1" and DisputeEvent.objects.count() == events


def test_dsp3_bad_return_tracking_fields():
    order = received_order()
    dispute = opened(order, solution="return_and_refund")
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=NOW)
    with pytest.raises(DomainError) as refused:
        services.return_tracking_submit(
            dispute=dispute, buyer=order.buyer, carrier="", tracking_number="<x>", now=NOW
        )
    assert set(refused.value.fields) == {"carrier", "tracking_number"}


def test_dsp5_a_decision_on_a_closed_dispute_is_refused():
    staff = UserFactory(is_staff=True)
    order = received_order()
    dispute = opened(order)
    services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=NOW)
    with pytest.raises(Conflict) as refused:
        services.team_decide(dispute=dispute, staff=staff, outcome="full", note="x", now=NOW + DAY)
    assert refused.value.code == "dispute_closed"
    assert not Refund.objects.exists()


def test_dsp5_bad_decisions_and_evidence_requests():
    staff = UserFactory(is_staff=True)
    order = received_order()
    dispute = opened(order)
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=0,
        note="No.",
        now=NOW,
    )
    from deadlines.worker import deadlines_fire_due

    deadlines_fire_due(now=NOW + 5 * DAY)
    later = NOW + 6 * DAY
    with pytest.raises(DomainError) as partial:
        services.team_decide(
            dispute=dispute,
            staff=staff,
            outcome="partial",
            amount_minor=order.total_minor + 1,
            note="x",
            now=later,
        )
    assert "amount_minor" in partial.value.fields
    with pytest.raises(DomainError) as bad:
        services.team_decide(dispute=dispute, staff=staff, outcome="maybe", note="", now=later)
    assert {"outcome", "note"} <= set(bad.value.fields)
    with pytest.raises(DomainError) as past:
        services.team_request_evidence(
            dispute=dispute, staff=staff, party="judge", note="x", due_at=later, now=later
        )
    assert {"party", "due_at"} <= set(past.value.fields)
    with pytest.raises(DomainError) as not_staff:
        services.team_decide(dispute=dispute, staff=order.buyer, outcome="full", note="x", now=later)
    assert not_staff.value.code == "staff_only"
    assert fresh(dispute).state == "team_review" and not Refund.objects.exists()


def test_dsp2_answer_after_the_deadline_or_twice_is_refused():
    order = received_order()
    dispute = opened(order)
    with pytest.raises(Conflict) as late:
        services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=NOW + 5 * DAY)
    assert late.value.code == "deadline_passed"
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=NOW)
    with pytest.raises(Conflict):
        services.dispute_seller_refuse(
            dispute=dispute,
            seller=order.store.owner,
            counter_solution="refund_only",
            counter_amount_minor=0,
            note="No.",
            now=NOW,
        )


def test_api_bad_input_is_4xx_with_field_messages(client):
    order = received_order()
    client.force_login(order.buyer)
    url = f"/api/v1/orders/{order.number}/dispute"
    for data in (
        {},
        {"reason": "damaged", "solution": "refund_only", "amount_minor": "ten", "description": "x"},
        {
            "reason": "damaged",
            "solution": "refund_only",
            "amount_minor": 1,
            "description": "x",
            "lines": "not json",
        },
    ):
        response = client.post(url, data)
        assert 400 <= response.status_code < 500, response.content
        body = response.json()
        assert set(body) == {"code", "message", "fields"} and body["fields"]
    assert client.get("/api/v1/disputes/99999999999999999999999").status_code in (404, 422)
    assert not Dispute.objects.exists()


def test_dsp1_amount_is_bounded_by_the_chosen_items():
    order = received_order(qty=3, price=1000)
    line = order.lines.get()
    with pytest.raises(DomainError) as refused:
        opened(order, lines=[{"line_id": line.pk, "quantity": 1}], amount_minor=1001)
    assert "amount_minor" in refused.value.fields
    dispute = opened(order, lines=[{"line_id": line.pk, "quantity": 1}], amount_minor=1000)
    assert [(dl.order_line_id, dl.quantity) for dl in dispute.lines.all()] == [(line.pk, 1)]


def test_dsp1_goods_not_received_cannot_be_returned():
    order = received_order()
    with pytest.raises(DomainError) as refused:
        services.dispute_open(
            order=order,
            buyer=order.buyer,
            reason="wrong_address",
            solution="return_and_refund",
            amount_minor=100,
            description="Never came.",
            now=NOW,
        )
    assert "solution" in refused.value.fields
