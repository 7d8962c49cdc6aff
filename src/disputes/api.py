"""Disputes API (DSP-1…DSP-7, WAR-1, OPS-1), mounted under /api/v1/. Shapes: disputes.schemas.

Buyer:

    GET  /orders/{number}/dispute            may a dispute be opened (per reason, why not and from
                                             when, HLP-4) and the order's disputes
    POST /orders/{number}/dispute            multipart: reason, solution, amount_minor, description,
                                             lines (JSON), files   201 (BP-3, DSP-1)
    POST /orders/{number}/warranty           multipart: solution, description, amount_minor, lines,
                                             files   201 (WAR-1)
    POST /disputes/{id}/update               multipart: solution, amount_minor, description, files (DSP-4)
    POST /disputes/{id}/accept-counter       (DSP-4)
    POST /disputes/{id}/withdraw             (DSP-6)
    POST /disputes/{id}/return-tracking      {"carrier", "tracking_number"} (DSP-3)

Seller:

    POST /disputes/{id}/agree                {"note"} (DSP-2)
    POST /disputes/{id}/refuse               multipart: counter_solution, counter_amount_minor, note, files
    POST /disputes/{id}/return-receipt       (DSP-3)
    POST /disputes/{id}/return-objection     multipart: note, files (DSP-3)

Both parties and staff:

    GET  /disputes?role=buyer|seller         my disputes
    GET  /disputes/{id}                      the dispute, its timeline, messages and evidence
    POST /disputes/{id}/messages             multipart: text, files (DSP-6)
    GET  /disputes/evidence/{evidence_id}    the file, as an attachment with nosniff

Staff (the dispute team, OPS-1; every action audited):

    GET  /staff/disputes?state=              the queue, by deadline
    POST /staff/disputes/{id}/request-evidence  {"party", "note", "due_at"} (DSP-5)
    POST /staff/disputes/{id}/decide         {"outcome", "amount_minor", "with_return", "note"} (DSP-5)
    POST /staff/disputes/{id}/return-delivered   the carrier shows the return parcel delivered (DSP-3)

A dispute that is not yours is 404 whether or not it exists; a party doing the other side's
action is 403 `not_party`; staff may read every dispute and message in it; no credentials 401.
"""

from __future__ import annotations

import json
from typing import Literal

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from core import clock
from core.errors import DomainError, NotAllowed, NotFound
from core.schemas import ErrorOut
from disputes import selectors, services
from disputes.evidence import evidence_response
from disputes.models import Dispute
from disputes.schemas import (
    DecideIn,
    DisputeOpenIn,
    DisputeOut,
    DisputeSummaryOut,
    EvidenceRequestIn,
    MessageIn,
    NoteIn,
    OrderDisputeOut,
    RefuseIn,
    ReturnTrackingIn,
    UpdateIn,
    WarrantyOpenIn,
    decision_out,
)
from orders.models import Order

router = Router(tags=["disputes"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
Files = File[list[UploadedFile]]


def _money(minor: int | None, currency: str) -> dict | None:
    return None if minor is None else {"amount": minor, "currency": currency}


def _evidence_out(item) -> dict:
    return {
        "id": item.pk,
        "role": item.role,
        "name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "uploaded_at": item.uploaded_at,
        "url": f"/api/v1/disputes/evidence/{item.pk}",
    }


def dispute_out(dispute: Dispute) -> dict:
    c = dispute.currency
    return {
        "id": dispute.pk,
        "order_number": dispute.order.number,
        "kind": dispute.kind,
        "state": dispute.state,
        "state_label": str(dispute.get_state_display()),
        "is_open": dispute.is_open,
        "reason": dispute.reason,
        "solution": dispute.solution,
        "amount": _money(dispute.amount_minor, c),
        "description": dispute.description,
        "counter_solution": dispute.counter_solution,
        "counter_amount": _money(dispute.counter_amount_minor, c),
        "counter_note": dispute.counter_note,
        "agreed_solution": dispute.agreed_solution,
        "outcome": dispute.outcome,
        "decision_note": dispute.decision_note,
        "refunded": _money(dispute.refunded_minor, c),
        "return_carrier": dispute.return_carrier,
        "return_tracking_number": dispute.return_tracking_number,
        "reship_carrier": dispute.reship_carrier,
        "reship_tracking_number": dispute.reship_tracking_number,
        "evidence_party": dispute.evidence_party,
        "evidence_note": dispute.evidence_note,
        "due_at": dispute.due_at,
        "opened_at": dispute.opened_at,
        "escalated_at": dispute.escalated_at,
        "closed_at": dispute.closed_at,
        "paypal_note": selectors.paypal_note(dispute),
        "lines": [{"line_id": line.order_line_id, "quantity": line.quantity} for line in dispute.lines.all()],
        "events": list(
            selectors.dispute_timeline(dispute).values(
                "at", "actor", "kind", "from_state", "to_state", "note"
            )
        ),
        "messages": [
            {
                "id": m.pk,
                "role": m.role,
                "text": m.text,
                "at": m.at,
                "files": [_evidence_out(f) for f in m.files.all()],
            }
            for m in selectors.dispute_messages(dispute)
        ],
        "evidence": [_evidence_out(item) for item in dispute.evidence.all()],
    }


def _summary(dispute: Dispute) -> dict:
    return {
        "id": dispute.pk,
        "order_number": dispute.order.number,
        "kind": dispute.kind,
        "state": dispute.state,
        "is_open": dispute.is_open,
        "reason": dispute.reason,
        "amount": _money(dispute.amount_minor, dispute.currency),
        "due_at": dispute.due_at,
        "opened_at": dispute.opened_at,
    }


def _own_order(request, number: str) -> Order:
    order = Order.objects.filter(number=number, buyer=request.auth).select_related("store").first()
    if order is None:
        raise NotFound(_("There is no such order in your account."))
    return order


def _dispute(request, dispute_id: int) -> Dispute:
    return selectors.dispute_for_user(dispute_id=dispute_id, user=request.auth)


def _fresh(dispute_id: int) -> dict:
    return dispute_out(Dispute.objects.select_related("order").get(pk=dispute_id))


def _lines(raw: str):
    if not raw:
        return None
    try:
        lines = json.loads(raw)
    except ValueError:
        lines = None
    if not isinstance(lines, list):
        raise DomainError(
            _("Some fields are invalid."),
            code="validation_error",
            status=422,
            fields={"lines": ['Give a JSON list of {"line_id", "quantity"}.']},
        )
    return lines


# --- buyer ---------------------------------------------------------------------------------------


@router.get("/orders/{number}/dispute", response={200: OrderDisputeOut, **READ_ERRORS})
def order_dispute(request, number: str):
    """BP-3 / HLP-4: whether a dispute may be opened now (per reason: why not and from when)."""
    order = _own_order(request, number)
    now = clock.now()
    return {
        "can_open": decision_out(selectors.dispute_can_open(order, now)),
        "reasons": {k: decision_out(v) for k, v in selectors.dispute_open_decisions(order, now).items()},
        "warranty": decision_out(selectors.warranty_can_open(order, now)),
        "disputes": [_summary(d) for d in selectors.order_disputes(order).select_related("order")],
    }


@router.post("/orders/{number}/dispute", response={201: DisputeOut, **ERRORS})
def dispute_open(request, number: str, payload: Form[DisputeOpenIn], files: Files = None):
    """DSP-1: open a dispute (multipart/form-data); evidence files in `files`."""
    order = _own_order(request, number)
    dispute = services.dispute_open(
        order=order,
        buyer=request.auth,
        reason=payload.reason,
        solution=payload.solution,
        amount_minor=payload.amount_minor,
        description=payload.description,
        lines=_lines(payload.lines),
        files=files or [],
        now=clock.now(),
    )
    return Status(201, _fresh(dispute.pk))


@router.post("/orders/{number}/warranty", response={201: DisputeOut, **ERRORS})
def warranty_open(request, number: str, payload: Form[WarrantyOpenIn], files: Files = None):
    """WAR-1: a warranty request (repair, replacement or refund)."""
    order = _own_order(request, number)
    dispute = services.warranty_open(
        order=order,
        buyer=request.auth,
        solution=payload.solution,
        description=payload.description,
        amount_minor=payload.amount_minor,
        lines=_lines(payload.lines),
        files=files or [],
        now=clock.now(),
    )
    return Status(201, _fresh(dispute.pk))


@router.post("/disputes/{dispute_id}/update", response={200: DisputeOut, **ERRORS})
def dispute_update(request, dispute_id: int, payload: Form[UpdateIn], files: Files = None):
    dispute = _dispute(request, dispute_id)
    services.dispute_buyer_update(
        dispute=dispute,
        buyer=request.auth,
        solution=payload.solution,
        amount_minor=payload.amount_minor,
        description=payload.description,
        files=files or [],
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/accept-counter", response={200: DisputeOut, **ERRORS})
def dispute_accept_counter(request, dispute_id: int):
    services.dispute_buyer_accept_counter(
        dispute=_dispute(request, dispute_id), buyer=request.auth, now=clock.now()
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/withdraw", response={200: DisputeOut, **ERRORS})
def dispute_withdraw(request, dispute_id: int):
    services.dispute_withdraw(dispute=_dispute(request, dispute_id), buyer=request.auth, now=clock.now())
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/return-tracking", response={200: DisputeOut, **ERRORS})
def return_tracking(request, dispute_id: int, payload: ReturnTrackingIn):
    services.return_tracking_submit(
        dispute=_dispute(request, dispute_id),
        buyer=request.auth,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/warranty-confirm", response={200: DisputeOut, **ERRORS})
def warranty_confirm(request, dispute_id: int):
    """WAR-1: the buyer confirms the repaired or replacement item is fine."""
    services.warranty_outcome_confirm(
        dispute=_dispute(request, dispute_id), buyer=request.auth, now=clock.now()
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/warranty-reopen", response={200: DisputeOut, **ERRORS})
def warranty_reopen(request, dispute_id: int, payload: NoteIn):
    """WAR-1: the buyer reopens the request to the dispute team."""
    services.warranty_reopen(
        dispute=_dispute(request, dispute_id), buyer=request.auth, note=payload.note, now=clock.now()
    )
    return _fresh(dispute_id)


# --- seller --------------------------------------------------------------------------------------


@router.post("/disputes/{dispute_id}/warranty-reship", response={200: DisputeOut, **ERRORS})
def warranty_reship(request, dispute_id: int, payload: ReturnTrackingIn):
    """WAR-1: the seller ships the repaired or replacement item back, with tracking."""
    services.warranty_reship(
        dispute=_dispute(request, dispute_id),
        seller=request.auth,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/agree", response={200: DisputeOut, **ERRORS})
def dispute_agree(request, dispute_id: int, payload: NoteIn):
    services.dispute_seller_agree(
        dispute=_dispute(request, dispute_id), seller=request.auth, note=payload.note, now=clock.now()
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/refuse", response={200: DisputeOut, **ERRORS})
def dispute_refuse(request, dispute_id: int, payload: Form[RefuseIn], files: Files = None):
    services.dispute_seller_refuse(
        dispute=_dispute(request, dispute_id),
        seller=request.auth,
        counter_solution=payload.counter_solution,
        counter_amount_minor=payload.counter_amount_minor,
        note=payload.note,
        files=files or [],
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/return-receipt", response={200: DisputeOut, **ERRORS})
def return_receipt(request, dispute_id: int):
    services.return_receipt_confirm(
        dispute=_dispute(request, dispute_id), seller=request.auth, now=clock.now()
    )
    return _fresh(dispute_id)


@router.post("/disputes/{dispute_id}/return-objection", response={200: DisputeOut, **ERRORS})
def return_objection(request, dispute_id: int, payload: Form[NoteIn], files: Files = None):
    services.return_receipt_object(
        dispute=_dispute(request, dispute_id),
        seller=request.auth,
        note=payload.note,
        files=files or [],
        now=clock.now(),
    )
    return _fresh(dispute_id)


# --- both parties and staff ---------------------------------------------------------------------


@router.get("/disputes", response={200: list[DisputeSummaryOut], 401: ErrorOut, 422: ErrorOut})
def disputes_list(request, role: Literal["buyer", "seller"] = "buyer"):
    """Your disputes as the buyer (default) or as the seller, open first."""
    if role == "seller":
        query = selectors.disputes_of_seller(user=request.auth)
    else:
        query = selectors.disputes_of_buyer(user=request.auth)
    return [_summary(d) for d in query[:200]]


@router.get("/disputes/{dispute_id}", response={200: DisputeOut, **READ_ERRORS})
def dispute_get(request, dispute_id: int):
    return dispute_out(_dispute(request, dispute_id))


@router.post("/disputes/{dispute_id}/messages", response={201: DisputeOut, **ERRORS})
def dispute_message(request, dispute_id: int, payload: Form[MessageIn], files: Files = None):
    """DSP-6: a message (and/or evidence files) inside the open dispute."""
    services.dispute_message(
        dispute=_dispute(request, dispute_id),
        user=request.auth,
        text=payload.text,
        files=files or [],
        now=clock.now(),
    )
    return Status(201, _fresh(dispute_id))


@router.get("/disputes/evidence/{evidence_id}", response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def evidence_get(request, evidence_id: int):
    """The evidence file, to the buyer, the seller and staff only, as a download with nosniff."""
    return evidence_response(selectors.evidence_for_user(evidence_id=evidence_id, user=request.auth))


# --- the dispute team ---------------------------------------------------------------------------


def _staff_only(request) -> None:
    if not getattr(request.auth, "is_staff", False):
        raise NotAllowed(_("Only the dispute team may do this."), code="staff_only")


@router.get(
    "/staff/disputes", response={200: list[DisputeSummaryOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
)
def team_queue(request, state: str = ""):
    """OPS-1: the open disputes, those with the team first, by deadline."""
    _staff_only(request)
    return [_summary(d) for d in selectors.team_queue(state=state[:30])[:500]]


@router.post("/staff/disputes/{dispute_id}/request-evidence", response={200: DisputeOut, **ERRORS})
def team_request_evidence(request, dispute_id: int, payload: EvidenceRequestIn):
    _staff_only(request)
    services.team_request_evidence(
        dispute=_dispute(request, dispute_id),
        staff=request.auth,
        party=payload.party,
        note=payload.note,
        due_at=payload.due_at,
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/staff/disputes/{dispute_id}/decide", response={200: DisputeOut, **ERRORS})
def team_decide(request, dispute_id: int, payload: DecideIn):
    _staff_only(request)
    services.team_decide(
        dispute=_dispute(request, dispute_id),
        staff=request.auth,
        outcome=payload.outcome,
        amount_minor=payload.amount_minor,
        with_return=payload.with_return,
        note=payload.note,
        now=clock.now(),
    )
    return _fresh(dispute_id)


@router.post("/staff/disputes/{dispute_id}/return-delivered", response={200: DisputeOut, **ERRORS})
def team_return_delivered(request, dispute_id: int):
    """DSP-3: staff record the carrier's delivery scan of the return parcel (audited)."""
    _staff_only(request)
    services.return_tracking_delivered(
        dispute=_dispute(request, dispute_id), staff=request.auth, now=clock.now()
    )
    return _fresh(dispute_id)
