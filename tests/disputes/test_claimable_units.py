"""DSP-1 with RET-1 / RET-4: a unit is refunded at most once, whichever way. A dispute may claim
only the units no Free Return refunded (or still holds) and no other dispute refunded
(orders.selectors.units_claimable); the existing rule codes (DSP-6 …) still come first."""

import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core.errors import DomainError
from disputes import services
from disputes.models import Dispute
from disputes.states import DisputeState
from orders.selectors import units_claimable
from returns import services as return_services
from returns.states import ReturnActor, ReturnState
from tests.disputes.test_pages_support import at, html
from tests.returns.factories import DAY, RECEIVED_AT, ReturnShop

pytestmark = pytest.mark.django_db
AFTER = RECEIVED_AT + DAY  # buyer protection running, inside the Free Return window
LATER = AFTER + 4 * DAY


@pytest.fixture
def shop(db):
    return ReturnShop()


def refunded_return(shop, order, units: int, *, variant=None):
    """A Free Return of `units` units, handed over and inspected in good condition: refunded."""
    line = shop.line(order, variant)
    request = return_services.return_request_create(
        order=order, buyer=shop.buyer, lines={line.pk: units}, now=AFTER
    )
    return_services.return_provider_update(
        provider=request.provider, event_id=f"drop-{request.pk}", return_code=request.return_code,
        status="dropped_off", occurred_at=AFTER + DAY, now=AFTER + DAY,
    )
    good = {rl.pk: rl.quantity for rl in request.lines.all()}
    done = return_services.return_inspect(
        request=request, units_good=good, actor=ReturnActor.WAREHOUSE, now=AFTER + 2 * DAY
    )
    assert done.state == ReturnState.INSPECTED and done.refund_minor > 0
    return done


def open_on(shop, order, lines=None, *, amount=2500, now=LATER):
    return services.dispute_open(
        order=order, buyer=shop.buyer, reason="not_as_described", solution="refund_only",
        amount_minor=amount, description="Wrong colour.", lines=lines, now=now,
    )


def test_dsp1_ret4_units_refunded_by_a_free_return_cannot_be_disputed(shop):
    order = shop.order()  # 3 Free Return units
    line = shop.line(order)
    refunded_return(shop, order, 2)
    assert units_claimable(order) == {line.pk: 1}
    for units in (3, 2):
        with pytest.raises(DomainError) as refused:
            open_on(shop, order, [{"line_id": line.pk, "quantity": units}])
        assert refused.value.status == 422 and refused.value.code == "validation_error"
        assert "choose at most 1" in refused.value.fields["lines"][0]
    assert not Dispute.objects.exists()
    # DSP-1 edge: exactly the unit left may be claimed.
    dispute = open_on(shop, order, [{"line_id": line.pk, "quantity": 1}])
    assert [(dl.order_line_id, dl.quantity) for dl in dispute.lines.all()] == [(line.pk, 1)]
    assert units_claimable(order) == {line.pk: 0}


def test_dsp1_default_lines_take_only_the_units_still_claimable(shop):
    order = shop.order()
    line = shop.line(order)
    refunded_return(shop, order, 2)
    dispute = open_on(shop, order)  # no lines given: every line, what is left of it
    assert [(dl.order_line_id, dl.quantity) for dl in dispute.lines.all()] == [(line.pk, 1)]


def test_dsp1_every_unit_refunded_by_a_return_leaves_nothing_to_dispute(shop):
    order = shop.order()
    line = shop.line(order)
    refunded_return(shop, order, 3)
    for lines in (None, [{"line_id": line.pk, "quantity": 1}]):
        with pytest.raises(DomainError) as refused:
            open_on(shop, order, lines, amount=100)
        assert refused.value.status == 422
        assert "Every item of this order was already refunded" in refused.value.fields["lines"][0]
    assert not Dispute.objects.exists()


def test_dsp6_existing_codes_come_first(shop):
    """An open dispute holds its units, but a second one is still refused as DSP-6 says."""
    order = shop.order()
    open_on(shop, order)
    with pytest.raises(DomainError) as refused:
        open_on(shop, order, [{"line_id": shop.line(order).pk, "quantity": 1}])
    assert refused.value.code == "dispute_open"


def test_dsp1_quantities_over_one_partial_units_across_two_disputes(shop):
    """Two lines (3 and 2 units): a refunded dispute on 1 unit of the first; a second dispute may
    claim the 2 other units of it and both of the other line, not a third of the first."""
    order = shop.order((shop.free, 3), (shop.plain, 2))
    free, plain = shop.line(order), shop.line(order, shop.plain)
    first = open_on(shop, order, [{"line_id": free.pk, "quantity": 1}], now=AFTER)
    closed = services.dispute_seller_agree(dispute=first, seller=shop.seller, now=AFTER + DAY)
    assert closed.state == DisputeState.REFUNDED
    assert units_claimable(order) == {free.pk: 2, plain.pk: 2}
    with pytest.raises(DomainError) as refused:
        open_on(shop, order, [{"line_id": free.pk, "quantity": 3}, {"line_id": plain.pk, "quantity": 1}])
    assert "choose at most 2" in refused.value.fields["lines"][0]
    second = open_on(shop, order, [{"line_id": free.pk, "quantity": 2}, {"line_id": plain.pk, "quantity": 2}])
    assert sorted((dl.order_line_id, dl.quantity) for dl in second.lines.all()) == sorted(
        [(free.pk, 2), (plain.pk, 2)]
    )


def test_dsp1_withdrawn_dispute_gives_its_units_back(shop):
    order = shop.order()
    line = shop.line(order)
    first = open_on(shop, order, [{"line_id": line.pk, "quantity": 3}], now=AFTER)
    services.dispute_withdraw(dispute=first, buyer=shop.buyer, now=AFTER + DAY)
    assert units_claimable(order) == {line.pk: 3}
    assert open_on(shop, order, [{"line_id": line.pk, "quantity": 3}]).lines.get().quantity == 3


def test_dsp1_api_refuses_refunded_units_with_a_lines_field_error(shop):
    order = shop.order()
    line = shop.line(order)
    refunded_return(shop, order, 2)
    with time_machine.travel(LATER, tick=False):
        client = Client()
        client.force_login(shop.buyer)
        response = client.post(
            f"/api/v1/orders/{order.number}/dispute",
            {
                "reason": "not_as_described", "solution": "refund_only", "amount_minor": 2500,
                "description": "Wrong colour.", "lines": json.dumps([{"line_id": line.pk, "quantity": 2}]),
            },
        )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and "choose at most 1" in body["fields"]["lines"][0]
    assert not Dispute.objects.exists()


def test_dsp1_page_shows_the_refusal_as_a_form_error(client, shop):
    order = shop.order()
    line = shop.line(order)
    refunded_return(shop, order, 2)
    with at(client, shop.buyer, LATER):
        response = client.post(
            reverse("order_disputes:open", args=[order.number]),
            {
                "reason": "not_as_described", "solution": "refund_only", "amount": "25.00",
                f"qty_{line.pk}": "2", "description": "The colour is not the one in the pictures.",
            },
        )
    assert response.status_code == 422
    assert "choose at most 1" in html(response) and 'class="errorlist' in html(response)
    assert not Dispute.objects.exists()


def test_dsp1_a_line_fully_returned_is_refused_while_the_other_line_stays_claimable(shop):
    order = shop.order((shop.free, 2), (shop.plain, 1))
    free, plain = shop.line(order), shop.line(order, shop.plain)
    refunded_return(shop, order, 2)
    assert units_claimable(order) == {free.pk: 0, plain.pk: 1}
    with pytest.raises(DomainError) as refused:
        open_on(shop, order, [{"line_id": free.pk, "quantity": 1}])
    assert "Every unit of" in refused.value.fields["lines"][0]
    dispute = open_on(shop, order)  # the default keeps only the other line
    assert [(dl.order_line_id, dl.quantity) for dl in dispute.lines.all()] == [(plain.pk, 1)]
