"""BP-2 / DSP-6 / RET-4: protection end waits for ANY open case (dispute or Free Return).

One rule for both: the protection-end firing is skipped while a ledger release blocker holds
the order (ledger.services.order_release_blocked); the closing of the last case completes the
order and releases the escrow through the one shared path
(orders.deadline_handlers.order_complete_after_case). Edges one second before and after.
"""

import pytest

from core.errors import DomainError
from deadlines.models import Deadline
from deadlines.worker import deadlines_fire_due
from disputes import services
from ledger.models import Transaction
from ledger.services import escrow_of, release_key
from orders.states import State
from returns import services as return_services
from returns.states import ReturnActor
from tests.disputes.factories import DAY, SECOND, fresh, received_order
from tests.returns.factories import RECEIVED_AT, ReturnShop

pytestmark = pytest.mark.django_db


def released(order) -> bool:
    return Transaction.objects.filter(idempotency_key=release_key(order)).exists()


def protection_result(order) -> str:
    fired = Deadline.objects.filter(
        subject_type="order", subject_id=order.pk, kind="protection_end", fired_at__isnull=False
    )
    return fired.latest("fired_at", "pk").outcome


def test_bp2_dsp6_protection_end_without_case_completes_at_the_second():
    # RULE BP-2: no case open → completes one second after, not one second before
    order = received_order()
    end = fresh(order).protection_ends_at
    deadlines_fire_due(now=end - SECOND)
    assert fresh(order).state == State.SHIPPED and not released(order)
    deadlines_fire_due(now=end + SECOND)
    assert fresh(order).state == State.COMPLETED and released(order)


def test_bp2_dsp6_open_dispute_holds_protection_end_then_withdrawal_completes():
    # RULE DSP-6 / BP-2
    order = received_order()
    end = fresh(order).protection_ends_at
    dispute = services.dispute_open(
        order=order, buyer=order.buyer, reason="quality", solution="refund_only",
        amount_minor=500, description="Scratched.", now=end - DAY,
    )
    deadlines_fire_due(now=end - SECOND)
    assert fresh(order).state == State.SHIPPED
    deadlines_fire_due(now=end + SECOND)
    assert fresh(order).state == State.SHIPPED and not released(order)
    assert protection_result(order) == "skipped: case open"
    # Closing before protection ends would not complete; closing after it does, at once.
    services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=end + 2 * SECOND)
    assert fresh(order).state == State.COMPLETED and released(order)
    assert fresh(order).events.filter(kind="protection_ended").count() == 1


def test_bp2_dispute_closed_one_second_before_protection_end_leaves_the_firing_to_complete():
    # RULE BP-2 / DSP-6: closed before the end → nothing completes early; the firing does it
    order = received_order()
    end = fresh(order).protection_ends_at
    dispute = services.dispute_open(
        order=order, buyer=order.buyer, reason="quality", solution="refund_only",
        amount_minor=500, description="Scratched.", now=end - DAY,
    )
    services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=end - SECOND)
    assert fresh(order).state == State.SHIPPED and not released(order)
    deadlines_fire_due(now=end + SECOND)
    assert fresh(order).state == State.COMPLETED and released(order)


def _return_on(shop):
    order = shop.order()
    line = shop.line(order)
    request = return_services.return_request_create(
        order=order, buyer=shop.buyer, lines={line.pk: 1}, now=RECEIVED_AT + DAY
    )
    return_services.return_provider_update(
        provider=request.provider, event_id=f"evt-{request.pk}-drop", return_code=request.return_code,
        status="dropped_off", occurred_at=RECEIVED_AT + 2 * DAY, now=RECEIVED_AT + 2 * DAY,
    )
    return order, line, request


def test_ret4_bp2_open_free_return_holds_protection_end_then_inspection_completes(db):
    # RULE RET-4 / BP-2: the same rule as a dispute: not completed while the return is open
    shop = ReturnShop()
    order, line, request = _return_on(shop)
    end = fresh(order).protection_ends_at
    deadlines_fire_due(now=end - SECOND)
    assert fresh(order).state == State.SHIPPED
    deadlines_fire_due(now=end + SECOND)
    assert fresh(order).state == State.SHIPPED and not released(order)
    assert protection_result(order) == "skipped: case open"
    return_services.return_inspect(
        request=request, units_good={request.lines.get().pk: 1}, actor=ReturnActor.WAREHOUSE,
        staff=None, now=end + DAY,
    )
    order = fresh(order)
    assert order.state == State.COMPLETED and released(order)
    assert escrow_of(order).balance_minor == 0  # 25.00 refunded, the rest released
    assert order.events.filter(kind="protection_ended").count() == 1


def test_ret4_dsp6_return_then_dispute_complete_only_when_the_last_case_closes(db):
    # RULE RET-4 / DSP-6: while the Free Return is open a dispute is refused (one refund path at a
    # time); once the warehouse has inspected it, a dispute may follow and holds the order on its own
    shop = ReturnShop()
    order, line, request = _return_on(shop)
    end = fresh(order).protection_ends_at
    with pytest.raises(DomainError):
        services.dispute_open(
            order=order, buyer=order.buyer, reason="damaged", solution="refund_only",
            amount_minor=100, description="Dented.", now=end - 2 * DAY,
        )
    return_services.return_inspect(
        request=request, units_good={request.lines.get().pk: 0}, actor=ReturnActor.WAREHOUSE,
        staff=None, now=end - 2 * DAY,
    )
    dispute = services.dispute_open(
        order=order, buyer=order.buyer, reason="damaged", solution="refund_only",
        amount_minor=100, description="Dented.", now=end - DAY,
    )
    deadlines_fire_due(now=end + SECOND)
    assert fresh(order).state == State.SHIPPED and not released(order)  # the dispute holds it
    services.dispute_withdraw(dispute=dispute, buyer=order.buyer, now=end + 2 * DAY)
    assert fresh(order).state == State.COMPLETED and released(order)
