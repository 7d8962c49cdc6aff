"""Permission matrix of the disputes API (DSP-1…DSP-7, WAR-1, OPS-1): every dispute and evidence
endpoint × {anonymous, other buyer, other seller, the buyer, the seller, staff}.

A dispute that is not yours is 404 (its existence is not revealed); a party doing the other
side's action, or staff doing a party's, is 403; team actions are staff-only (403); no
credentials is 401. A refused call changes nothing."""

import datetime as dt
import json

import pytest
import time_machine

from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import Dispute, DisputeEvent
from tests.disputes.factories import DAY, T0, Upload, fresh, png_bytes, received_order
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = T0 + 9 * DAY
HOUR = dt.timedelta(hours=1)
ROLES = ("anonymous", "other_buyer", "other_seller", "buyer", "seller", "staff")


def _open(order, solution="refund_only"):
    return services.dispute_open(
        order=order,
        buyer=order.buyer,
        reason="damaged",
        solution=solution,
        amount_minor=100,
        description="Broken.",
        files=[Upload(png_bytes(), "p.png")],
        now=NOW,
    )


def situation(name):
    """(order, dispute or None, the instant to call at)."""
    if name == "warranty_ready":
        order = received_order(warranty=True)
        deadlines_fire_due(now=fresh(order).protection_ends_at)
        return fresh(order), None, fresh(order).protection_ends_at + HOUR
    if name in ("warranty_repairing", "warranty_reshipped"):  # WAR-1 repair flow
        order = received_order(warranty=True)
        end = fresh(order).protection_ends_at
        deadlines_fire_due(now=end)
        at = end + HOUR
        request = services.warranty_open(
            order=fresh(order), buyer=order.buyer, solution="repair", description="Broke.", now=at
        )
        services.dispute_seller_agree(dispute=request, seller=order.store.owner, now=at)
        services.return_tracking_submit(
            dispute=request, buyer=order.buyer, carrier="USPS", tracking_number="W1", now=at
        )
        services.return_receipt_confirm(dispute=request, seller=order.store.owner, now=at)
        if name == "warranty_reshipped":
            services.warranty_reship(
                dispute=request, seller=order.store.owner, carrier="USPS", tracking_number="W2", now=at
            )
        return fresh(order), request, at + HOUR
    order = received_order()
    if name == "received":
        return order, None, NOW
    if name in ("awaiting_return", "return_shipped"):
        dispute = _open(order, "return_and_refund")
        services.dispute_seller_agree(dispute=dispute, seller=order.store.owner, now=NOW)
        if name == "return_shipped":
            services.return_tracking_submit(
                dispute=dispute, buyer=order.buyer, carrier="USPS", tracking_number="R1", now=NOW
            )
        return order, dispute, NOW + HOUR
    dispute = _open(order)
    if name == "awaiting_seller":
        return order, dispute, NOW + HOUR
    services.dispute_seller_refuse(
        dispute=dispute,
        seller=order.store.owner,
        counter_solution="refund_only",
        counter_amount_minor=50,
        note="Half.",
        now=NOW,
    )
    if name == "negotiating":
        return order, dispute, NOW + HOUR
    deadlines_fire_due(now=NOW + 5 * DAY)
    return order, dispute, NOW + 5 * DAY + HOUR  # team_review


FORM = {"reason": "damaged", "solution": "refund_only", "amount_minor": 100, "description": "Broken."}
# name: (method, path, body, "form"/"json", situation)
ENDPOINTS = {
    "order_dispute": ("get", "/orders/{number}/dispute", None, None, "received"),
    "open": ("post", "/orders/{number}/dispute", FORM, "form", "received"),
    "warranty_open": (
        "post",
        "/orders/{number}/warranty",
        {"solution": "repair", "description": "Broke."},
        "form",
        "warranty_ready",
    ),
    "detail": ("get", "/disputes/{id}", None, None, "awaiting_seller"),
    "list": ("get", "/disputes", None, None, "awaiting_seller"),
    "evidence": ("get", "/disputes/evidence/{evidence}", None, None, "awaiting_seller"),
    "agree": ("post", "/disputes/{id}/agree", {"note": "ok"}, "json", "awaiting_seller"),
    "refuse": (
        "post",
        "/disputes/{id}/refuse",
        {"counter_solution": "refund_only", "counter_amount_minor": 10, "note": "No."},
        "form",
        "awaiting_seller",
    ),
    "update": (
        "post",
        "/disputes/{id}/update",
        {"solution": "refund_only", "amount_minor": 80},
        "form",
        "negotiating",
    ),
    "accept_counter": ("post", "/disputes/{id}/accept-counter", None, "json", "negotiating"),
    "withdraw": ("post", "/disputes/{id}/withdraw", None, "json", "awaiting_seller"),
    "return_tracking": (
        "post",
        "/disputes/{id}/return-tracking",
        {"carrier": "USPS", "tracking_number": "Z9"},
        "json",
        "awaiting_return",
    ),
    "return_receipt": ("post", "/disputes/{id}/return-receipt", None, "json", "return_shipped"),
    "return_objection": (
        "post",
        "/disputes/{id}/return-objection",
        {"note": "Empty box."},
        "form",
        "return_shipped",
    ),
    "message": ("post", "/disputes/{id}/messages", {"text": "Hello"}, "form", "awaiting_seller"),
    "warranty_reship": (
        "post",
        "/disputes/{id}/warranty-reship",
        {"carrier": "USPS", "tracking_number": "W3"},
        "json",
        "warranty_repairing",
    ),
    "warranty_confirm": ("post", "/disputes/{id}/warranty-confirm", None, "json", "warranty_reshipped"),
    "warranty_reopen": (
        "post", "/disputes/{id}/warranty-reopen", {"note": "Still broken."}, "json", "warranty_reshipped"
    ),
    "team_queue": ("get", "/staff/disputes", None, None, "team_review"),
    "request_evidence": (
        "post",
        "/staff/disputes/{id}/request-evidence",
        {"party": "buyer", "note": "Photo.", "due_at": "2026-12-30T10:00:00Z"},
        "json",
        "team_review",
    ),
    "return_delivered": ("post", "/staff/disputes/{id}/return-delivered", None, "json", "return_shipped"),
    "decide": (
        "post",
        "/staff/disputes/{id}/decide",
        {"outcome": "none", "note": "No fault."},
        "json",
        "team_review",
    ),
}

#                     anonymous other_buyer other_seller buyer seller staff
MATRIX = {
    "order_dispute": (401, 404, 404, 200, 404, 404),
    "open": (401, 404, 404, 201, 404, 404),
    "warranty_open": (401, 404, 404, 201, 404, 404),
    "detail": (401, 404, 404, 200, 200, 200),
    "list": (401, 200, 200, 200, 200, 200),
    "evidence": (401, 404, 404, 200, 200, 200),
    "agree": (401, 404, 404, 403, 200, 403),
    "refuse": (401, 404, 404, 403, 200, 403),
    "update": (401, 404, 404, 200, 403, 403),
    "accept_counter": (401, 404, 404, 200, 403, 403),
    "withdraw": (401, 404, 404, 200, 403, 403),
    "return_tracking": (401, 404, 404, 200, 403, 403),
    "return_receipt": (401, 404, 404, 403, 200, 403),
    "return_objection": (401, 404, 404, 403, 200, 403),
    "message": (401, 404, 404, 201, 201, 201),
    "warranty_reship": (401, 404, 404, 403, 200, 403),
    "warranty_confirm": (401, 404, 404, 200, 403, 403),
    "warranty_reopen": (401, 404, 404, 200, 403, 403),
    "team_queue": (401, 403, 403, 403, 403, 200),
    "request_evidence": (401, 403, 403, 403, 403, 200),
    "decide": (401, 403, 403, 403, 403, 200),
    "return_delivered": (401, 403, 403, 403, 403, 200),
}


def _user(role, order):
    return {
        "anonymous": None,
        "other_buyer": UserFactory(),
        "other_seller": StoreFactory().owner,
        "buyer": order.buyer,
        "seller": order.store.owner,
        "staff": UserFactory(is_staff=True),
    }[role]


def _snapshot():
    return list(
        Dispute.objects.order_by("pk").values_list("pk", "state", "is_open")
    ), DisputeEvent.objects.count()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_ops1_dsp_permission_matrix(client, name, role):
    method, path, body, kind, where = ENDPOINTS[name]
    order, dispute, at = situation(where)
    user = _user(role, order)
    if user is not None:
        client.force_login(user)
    url = "/api/v1" + path.format(
        number=order.number,
        id=dispute.pk if dispute else 0,
        evidence=dispute.evidence.first().pk if dispute and dispute.evidence.exists() else 0,
    )
    before = _snapshot()
    with time_machine.travel(at, tick=False):
        if method == "get":
            response = client.get(url)
        elif kind == "form":
            response = client.post(url, body or {})
        else:
            response = client.post(url, json.dumps(body or {}), content_type="application/json")
    expected = MATRIX[name][ROLES.index(role)]
    assert response.status_code == expected, (name, role, response.content[:300])
    if expected >= 400:
        assert set(response.json()) == {"code", "message", "fields"}
        assert _snapshot() == before  # a refused call changes nothing
