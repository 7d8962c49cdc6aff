"""API shapes of disputes (disputes.api)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from core.schemas import MoneyOut
from orders.rules import Decision


class DecisionOut(Schema):
    """HLP-4: allowed, or why not and from when (the same code enforces it)."""

    allowed: bool
    code: str
    reason: str
    available_from: dt.datetime | None
    rule: str


def decision_out(decision: Decision) -> dict:
    return {
        "allowed": decision.allowed,
        "code": decision.code,
        "reason": str(decision.reason),
        "available_from": decision.available_from,
        "rule": decision.rule,
    }


class LineIn(Schema):
    line_id: int = Field(ge=1, le=2**63 - 1)
    quantity: int = Field(ge=1, le=100_000)


class DisputeOpenIn(Schema):
    reason: str = Field(max_length=40)
    solution: str = Field(max_length=40)
    amount_minor: int = Field(ge=0, le=2**31 - 1)
    description: str = Field(max_length=10_000)
    lines: str = Field(
        "", max_length=10_000, description='JSON list of {"line_id", "quantity"}; empty: every line, in full.'
    )


class WarrantyOpenIn(Schema):
    solution: Literal["repair", "replacement", "refund"]
    description: str = Field(max_length=10_000)
    amount_minor: int = Field(0, ge=0, le=2**31 - 1)
    lines: str = Field("", max_length=10_000)


class RefuseIn(Schema):
    counter_solution: str = Field("", max_length=40)
    counter_amount_minor: int | None = Field(None, ge=0, le=2**31 - 1)
    note: str = Field(max_length=10_000)


class UpdateIn(Schema):
    solution: str = Field(max_length=40)
    amount_minor: int = Field(ge=0, le=2**31 - 1)
    description: str = Field("", max_length=10_000)


class NoteIn(Schema):
    note: str = Field("", max_length=10_000)


class MessageIn(Schema):
    text: str = Field("", max_length=10_000)


class ReturnTrackingIn(Schema):
    carrier: str = Field(max_length=200)
    tracking_number: str = Field(max_length=200)


class EvidenceRequestIn(Schema):
    party: Literal["buyer", "seller"]
    note: str = Field(max_length=10_000)
    due_at: dt.datetime


class DecideIn(Schema):
    outcome: Literal["full", "partial", "none"]
    amount_minor: int | None = Field(None, ge=0, le=2**31 - 1)
    with_return: bool = False
    note: str = Field(max_length=10_000)


class EventOut(Schema):
    at: dt.datetime
    actor: str
    kind: str
    from_state: str
    to_state: str
    note: str


class EvidenceOut(Schema):
    id: int
    role: str
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    url: str


class MessageOut(Schema):
    id: int
    role: str
    text: str
    at: dt.datetime
    files: list[EvidenceOut]


class DisputeOut(Schema):
    id: int
    order_number: str
    kind: str
    state: str
    state_label: str
    is_open: bool
    reason: str
    solution: str
    amount: MoneyOut
    description: str
    counter_solution: str
    counter_amount: MoneyOut | None
    counter_note: str
    agreed_solution: str
    outcome: str
    decision_note: str
    refunded: MoneyOut
    return_carrier: str
    return_tracking_number: str
    reship_carrier: str = ""  # WAR-1: the repaired or replacement item sent back
    reship_tracking_number: str = ""
    evidence_party: str
    evidence_note: str
    due_at: dt.datetime | None
    opened_at: dt.datetime
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    paypal_note: str = Field(description="DSP-7: PayPal's own dispute window, for information only.")
    lines: list[LineIn]
    events: list[EventOut]
    messages: list[MessageOut]
    evidence: list[EvidenceOut]


class DisputeSummaryOut(Schema):
    id: int
    order_number: str
    kind: str
    state: str
    is_open: bool
    reason: str
    amount: MoneyOut
    due_at: dt.datetime | None
    opened_at: dt.datetime


class OrderDisputeOut(Schema):
    """BP-3 / HLP-4: whether (and for which reasons) a dispute may be opened, and the cases."""

    can_open: DecisionOut
    reasons: dict[str, DecisionOut]
    warranty: DecisionOut
    disputes: list[DisputeSummaryOut]
