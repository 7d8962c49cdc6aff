"""WAR-1: warranty repair / replacement tracked like a dispute with its own deadlines.

The buyer sends the item in (tracking, the return window), the seller confirms receipt, then
ships the repaired or replacement item back with tracking within policy.warranty_reship_window;
seller silence → the dispute team; the buyer confirms (or stays silent past
policy.warranty_outcome_window → resolved) or reopens to the team. Edges ±1 s.
"""

import pytest

from core.errors import Conflict
from core.policy import policy
from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.states import DisputeState as S
from notifications.models import Notice
from payments.models import Refund
from tests.disputes.factories import DAY, SECOND, fresh
from tests.disputes.test_rules import completed_warranty_order

pytestmark = pytest.mark.django_db


def item_at_seller(solution="repair"):
    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order, buyer=order.buyer, solution=solution, description="The clasp broke.", now=now
    )
    agreed = services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=now + DAY)
    assert agreed.state == S.AWAITING_RETURN and agreed.agreed_solution == solution  # RULE WAR-1
    services.return_tracking_submit(
        dispute=agreed, buyer=order.buyer, carrier="USPS", tracking_number="WR1", now=now + 2 * DAY
    )
    at = now + 5 * DAY
    repairing = services.return_receipt_confirm(dispute=request, seller=order.store.owner, now=at)
    assert repairing.state == S.REPAIRING and repairing.due_at == at + policy.warranty_reship_window
    return order, repairing, at


def test_war1_repair_full_path_buyer_confirms_resolved_without_refund():
    order, request, at = item_at_seller()
    assert Notice.objects.filter(user=order.buyer, kind="dispute_repair").exists()  # NTF-1
    shipped = services.warranty_reship(
        dispute=request, seller=order.store.owner, carrier="USPS", tracking_number="rb 2", now=at + DAY
    )
    assert shipped.state == S.RESHIPPED and shipped.reship_tracking_number == "RB2"
    assert shipped.due_at == at + DAY + policy.warranty_outcome_window
    done = services.warranty_outcome_confirm(dispute=request, buyer=order.buyer, now=at + 3 * DAY)
    assert done.state == S.RESOLVED and not done.is_open
    assert not Refund.objects.filter(order=order).exists()
    with pytest.raises(Conflict):  # a closed request: nothing more
        services.warranty_outcome_confirm(dispute=request, buyer=order.buyer, now=at + 4 * DAY)


def test_war1_seller_does_not_reship_in_time_goes_to_the_team_at_the_second():
    order, request, at = item_at_seller("replacement")
    due = fresh(request).due_at
    deadlines_fire_due(now=due - SECOND)
    assert fresh(request).state == S.REPAIRING
    with pytest.raises(Conflict):  # the window has passed: the seller can no longer ship it
        services.warranty_reship(
            dispute=request, seller=order.store.owner, carrier="USPS", tracking_number="RB3", now=due
        )
    deadlines_fire_due(now=due + SECOND)
    assert fresh(request).state == S.TEAM_REVIEW and fresh(request).escalated_at is not None


def test_war1_buyer_reopens_to_the_team():
    order, request, at = item_at_seller()
    services.warranty_reship(
        dispute=request, seller=order.store.owner, carrier="USPS", tracking_number="RB4", now=at + DAY
    )
    moved = services.warranty_reopen(
        dispute=request, buyer=order.buyer, note="Still broken.", now=at + 2 * DAY
    )
    assert moved.state == S.TEAM_REVIEW and moved.is_open


def test_war1_buyer_silent_after_reship_resolves_at_the_second():
    order, request, at = item_at_seller()
    services.warranty_reship(
        dispute=request, seller=order.store.owner, carrier="USPS", tracking_number="RB5", now=at + DAY
    )
    due = fresh(request).due_at
    deadlines_fire_due(now=due - SECOND)
    assert fresh(request).state == S.RESHIPPED
    deadlines_fire_due(now=due + SECOND)
    assert fresh(request).state == S.RESOLVED


def test_war1_seller_silent_after_the_item_went_in_goes_to_the_team_not_a_refund():
    order = completed_warranty_order()
    now = order.completed_at + DAY
    request = services.warranty_open(
        order=order, buyer=order.buyer, solution="repair", description="Broken.", now=now
    )
    services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=now)
    services.return_tracking_submit(
        dispute=request, buyer=order.buyer, carrier="USPS", tracking_number="WR9", now=now + DAY
    )
    services.return_tracking_delivered(dispute=request, now=now + 3 * DAY)
    deadlines_fire_due(now=fresh(request).due_at + SECOND)
    assert fresh(request).state == S.TEAM_REVIEW
    assert not Refund.objects.filter(order=order).exists()


def test_war1_only_the_parties_act():
    order, request, at = item_at_seller()
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):  # the buyer is no seller
        services.warranty_reship(
            dispute=request, seller=order.buyer, carrier="USPS", tracking_number="RB6", now=at + DAY
        )
    with pytest.raises(Conflict):  # not yet shipped back: nothing to confirm
        services.warranty_outcome_confirm(dispute=request, buyer=order.buyer, now=at + DAY)
