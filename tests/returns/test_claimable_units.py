"""RET-1 / RET-2 with DSP-1: a unit is refunded at most once, whichever way. Units a dispute
refunded (or still claims) cannot be Free-Returned too (orders.selectors.units_claimable); the
others can, up to exactly what is left."""

import json

import pytest
import time_machine
from django.test import Client

from core.errors import DomainError, NotAllowed
from disputes import services as dispute_services
from disputes.models import Dispute
from disputes.states import DisputeState
from orders.selectors import units_claimable
from returns import rules, services
from returns.models import ReturnRequest
from returns.states import ReturnState
from tests.returns.factories import DAY, RECEIVED_AT

pytestmark = pytest.mark.django_db
AFTER = RECEIVED_AT + DAY  # inside the Free Return window, buyer protection running


def refunded_dispute(shop, order, units: int, *, amount=None, now=AFTER):
    """A refund-only dispute on `units` Free Return units, agreed by the seller: closed, refunded."""
    line = shop.line(order)
    dispute = dispute_services.dispute_open(
        order=order, buyer=shop.buyer, reason="not_as_described", solution="refund_only",
        amount_minor=amount if amount is not None else line.unit_price_minor * units,
        description="Wrong colour.", lines=[{"line_id": line.pk, "quantity": units}], now=now,
    )
    closed = dispute_services.dispute_seller_agree(dispute=dispute, seller=shop.seller, now=now + DAY)
    assert closed.state == DisputeState.REFUNDED and closed.refunded_minor > 0
    return closed


def start(shop, order, units: int, *, now=AFTER + 2 * DAY):
    return services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: units}, now=now
    )


def test_ret1_dsp1_units_refunded_by_a_closed_dispute_cannot_be_free_returned(shop):
    order = shop.order()  # 3 Free Return units
    line = shop.line(order)
    refunded_dispute(shop, order, 2)
    assert units_claimable(order) == {line.pk: 1}
    assert rules.returnable_units(order) == {line.pk: 1}
    with pytest.raises(DomainError) as refused:
        start(shop, order, 2)
    assert refused.value.code == "validation_error" and refused.value.status == 422
    message = refused.value.fields[f"lines.{line.pk}"][0]
    assert "refunded or are claimed in a dispute" in message and "at most 1 unit" in message
    assert not ReturnRequest.objects.exists()
    # RET-1 edge: exactly the one unit left may still go back.
    request = start(shop, order, 1)
    assert request.state == ReturnState.CODE_ISSUED
    assert units_claimable(order) == {line.pk: 0}


def test_ret2_every_unit_refunded_by_a_dispute_leaves_nothing_to_return(shop):
    order = shop.order()
    refunded_dispute(shop, order, 3, amount=100)  # an amount-only partial refund still takes the units
    decision = rules.check_request_return(order, AFTER + 2 * DAY)
    assert not decision and decision.code == "nothing_left" and decision.rule == "RET-2"
    assert "refunded in a dispute" in decision.reason
    with pytest.raises(NotAllowed) as refused:
        start(shop, order, 1)
    assert refused.value.code == "nothing_left"


def test_ret1_dsp1_partial_amount_refund_takes_all_the_units_its_lines_list(shop):
    """The conservative rule: a dispute records units, not which of them its (smaller) refund paid."""
    order = shop.order()
    line = shop.line(order)
    refunded_dispute(shop, order, 1, amount=100)  # 1.00 for a 25.00 unit
    assert units_claimable(order) == {line.pk: 2}
    with pytest.raises(DomainError):
        start(shop, order, 3)
    assert start(shop, order, 2).lines.get().quantity == 2


def test_ret1_dispute_closed_without_refund_gives_its_units_back(shop):
    order = shop.order()
    line = shop.line(order)
    dispute = dispute_services.dispute_open(
        order=order, buyer=shop.buyer, reason="not_as_described", solution="refund_only", amount_minor=2500,
        description="Wrong colour.", lines=[{"line_id": line.pk, "quantity": 1}], now=AFTER,
    )
    assert units_claimable(order) == {line.pk: 2}  # open: its unit is claimed
    dispute_services.dispute_withdraw(dispute=dispute, buyer=shop.buyer, now=AFTER + DAY)
    assert units_claimable(order) == {line.pk: 3}
    assert start(shop, order, 3).lines.get().quantity == 3


def test_ret1_refunding_dispute_without_lines_takes_the_whole_order(shop):
    """A refund recorded with no line at all (no units known): conservatively every unit."""
    order = shop.order()
    line = shop.line(order)
    refunded_dispute(shop, order, 1)
    Dispute.objects.get(order=order).lines.all().delete()
    assert units_claimable(order) == {line.pk: 0}
    decision = rules.check_request_return(order, AFTER + 2 * DAY)
    assert not decision and decision.code == "nothing_left"


def test_ret1_quantities_over_one_mix_returns_and_disputes_per_line(shop):
    """Two lines, quantities > 1: a dispute on some units of one, a return of some of the other."""
    order = shop.order((shop.free, 3), (shop.plain, 2))
    free, plain = shop.line(order), shop.line(order, shop.plain)
    start(shop, order, 1, now=AFTER)  # 1 Free Return unit in a return (open)
    assert units_claimable(order) == {free.pk: 2, plain.pk: 2}
    assert rules.returnable_units(order) == {free.pk: 2}  # only Free Return lines can go back
    with pytest.raises(DomainError) as refused:
        start(shop, order, 3)
    message = refused.value.fields[f"lines.{free.pk}"][0]
    assert "At most 2 unit(s)" in message and "dispute" not in message  # only returns took them


def test_ret1_api_refuses_units_a_dispute_refunded_with_a_field_error(shop):
    order = shop.order()
    line = shop.line(order)
    refunded_dispute(shop, order, 3)
    with time_machine.travel(AFTER + 2 * DAY, tick=False):
        client = Client()
        client.force_login(shop.buyer)
        response = client.post(
            f"/api/v1/orders/{order.number}/returns",
            data=json.dumps({"lines": [{"line_id": line.pk, "quantity": 1}]}),
            content_type="application/json",
        )
    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert body["code"] == "nothing_left" and "refunded in a dispute" in body["message"]
    assert not ReturnRequest.objects.exists()
