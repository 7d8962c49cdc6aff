"""DSP-3 from real carrier data: the tracking webhook (/webhooks/tracking/, ORD-6) feeds the
buyer's return parcel of a dispute; the seller's 30 days of silence then end in a refund when
the carrier showed delivery, else with the dispute team. Signed (HMAC), idempotent by event id.
"""

import json

import pytest

from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import ReturnScan
from disputes.states import DisputeState as S
from orders.models import TrackingEvent
from orders.webhooks import tracking_signature
from payments.models import Refund
from tests.disputes.factories import DAY, SECOND, T0, fresh, received_order

pytestmark = pytest.mark.django_db
SECRET = "dsp3-test-secret-".ljust(40, "x")


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.TRACKING_WEBHOOK_SECRET = SECRET


def returned(now):
    order = received_order()
    dispute = services.dispute_open(
        order=order, buyer=order.buyer, reason="not_as_described", solution="return_and_refund",
        amount_minor=order.total_minor, description="Wrong size.", now=now,
    )
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now)
    return order, services.return_tracking_submit(
        dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="9400 1111 22", now=now + DAY
    )


def post(client, *, at, event_id, status, number="94001111 22"):
    body = json.dumps({
        "event_id": event_id, "tracking_number": number, "carrier": "USPS", "status": status,
        "occurred_at": at.isoformat(), "location": "Oakland CA",
    }).encode()
    header = tracking_signature(body=body, timestamp=int(at.timestamp()), secret=SECRET)
    return client.post("/webhooks/tracking/", data=body, content_type="application/json",
                       HTTP_X_TRACKING_SIGNATURE=header)


def test_dsp3_webhook_delivery_of_the_return_parcel_then_seller_silence_refunds(client, time_machine):
    now = T0 + 9 * DAY
    order, dispute = returned(now)
    due = dispute.due_at
    time_machine.move_to(now + 3 * DAY, tick=False)
    response = post(client, at=now + 3 * DAY, event_id="rt-1", status="in_transit")
    assert response.status_code == 201 and response.json()["dispute"] == dispute.pk
    assert fresh(dispute).return_delivered_at is None
    response = post(client, at=now + 3 * DAY, event_id="rt-2", status="delivered")
    assert response.status_code == 201
    assert fresh(dispute).return_delivered_at == now + 3 * DAY
    again = post(client, at=now + 3 * DAY, event_id="rt-2", status="delivered")  # the same event again
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ReturnScan.objects.filter(dispute=dispute).count() == 2
    assert not TrackingEvent.objects.filter(order=order).exists()  # not the outbound parcel's scans
    assert fresh(dispute).events.filter(kind="return_delivered").count() == 1
    deadlines_fire_due(now=due - SECOND)  # RULE DSP-3: one second before the 30 days: nothing
    assert fresh(dispute).state == S.RETURN_SHIPPED
    deadlines_fire_due(now=due + SECOND)
    assert fresh(dispute).state == S.REFUNDED
    assert sum(r.amount_minor for r in Refund.objects.filter(order=order)) == order.total_minor


def test_dsp3_webhook_without_delivery_then_seller_silence_escalates(client, time_machine):
    now = T0 + 9 * DAY
    _order, dispute = returned(now)
    time_machine.move_to(now + 3 * DAY, tick=False)
    assert post(client, at=now + 3 * DAY, event_id="rt-9", status="exception").status_code == 201
    deadlines_fire_due(now=dispute.due_at + SECOND)
    assert fresh(dispute).state == S.TEAM_REVIEW  # RULE DSP-3: no delivery shown → the team


def test_dsp3_unknown_number_is_still_404_and_outbound_number_is_refused_as_return(client, time_machine):
    now = T0 + 9 * DAY
    time_machine.move_to(now, tick=False)
    assert post(client, at=now, event_id="x-1", status="delivered", number="NOPE1").status_code == 404
    order = received_order()
    dispute = services.dispute_open(
        order=order, buyer=order.buyer, reason="quality", solution="return_and_refund",
        amount_minor=100, description="Broken.", now=now,
    )
    services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=now)
    from core.errors import DomainError

    with pytest.raises(DomainError) as error:  # the seller's own (delivered) parcel is no return
        services.return_tracking_submit(
            dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number=order.tracking_number,
            now=now + DAY,
        )
    assert "tracking_number" in error.value.fields
    assert fresh(dispute).state == S.AWAITING_RETURN
