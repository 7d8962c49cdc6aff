"""The dispute state machine (DSP-1…DSP-7, WAR-1), declared once.

`MOVES` lists every allowed move: (from, to) → who may make it. The transition
function in disputes.transitions is the only code that changes Dispute.state; it
consults this table, records a DisputeEvent (and the same entry on the order's
timeline), disarms the old state's deadline and arms the one `ARMS` names.

    awaiting_seller ──seller agrees (refund only)──────────────▶ refunded
       │   │  │  └───seller agrees (return) ─▶ awaiting_return ──buyer ships──▶ return_shipped
       │   │  └──────seller refuses──▶ negotiating ◀─┐              │ 10 days: closed_no_refund
       │   └──5 days silence: request granted        │              ▼
       │                                  buyer updates (5 days again)   seller confirms → refunded
       └──(not received, no tracking) ─▶ team_review ◀── 5 days unsettled / 30 days silence
                                          │   ▲
                       ask for evidence ──▼   │ evidence in / its deadline
                                   awaiting_evidence
    team_review ──decide──▶ refunded | closed_no_refund | awaiting_return (decided with return)
    Any open state ──buyer withdraws──▶ withdrawn.

Warranty requests (WAR-1) use the same table: the seller agrees (refund → refunded), refuses or
stays silent → team_review. Repair or replacement agreed: the buyer sends the item in like a
return (awaiting_return, its window; return_shipped, the seller confirms receipt), then

    return_shipped ──seller confirms receipt──▶ warranty_repairing ──seller ships back (tracking)──▶
       warranty_reshipped ──buyer confirms / silence──▶ resolved
             │                 └──buyer reopens──▶ team_review
             └── reship window passes (seller silent) ──▶ team_review
    return_shipped ──seller silent 30 days──▶ team_review (no refund to grant on a repair)
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DISPUTE = "dispute", _("Dispute")
    WARRANTY = "warranty", _("Warranty request")


class DisputeState(models.TextChoices):
    AWAITING_SELLER = "awaiting_seller", _("Waiting for the seller's answer")
    NEGOTIATING = "negotiating", _("The seller disagreed: negotiating")
    AWAITING_RETURN = "awaiting_return", _("Waiting for the buyer to send the goods back")
    RETURN_SHIPPED = "return_shipped", _("Goods sent back: waiting for the seller to confirm")
    REPAIRING = "warranty_repairing", _("The seller has the item: repairing or replacing it")  # WAR-1
    RESHIPPED = "warranty_reshipped", _("Repaired or replacement item sent: waiting for the buyer")  # WAR-1
    TEAM_REVIEW = "team_review", _("With the dispute team")
    AWAITING_EVIDENCE = "awaiting_evidence", _("The dispute team asked for more evidence")
    REFUNDED = "refunded", _("Closed: refunded")
    CLOSED_NO_REFUND = "closed_no_refund", _("Closed without a refund")
    RESOLVED = "resolved", _("Closed: repair or replacement agreed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the buyer")


class DisputeActor(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")
    STAFF = "staff", _("Dispute team")
    SYSTEM = "system", _("System")


class Reason(models.TextChoices):
    # BP-3 "not received"
    OVER_DELIVERY_TIME = "over_delivery_time", _("Not received: over the delivery time")
    NO_TRACKING = "no_tracking", _("Not received: no tracking information")
    RETURNED_TO_SELLER = "returned_to_seller", _("Not received: returned to the seller")
    HELD_IN_CUSTOMS = "held_in_customs", _("Not received: held in customs")
    WRONG_ADDRESS = "wrong_address", _("Not received: sent to a wrong address")
    # BP-3 "received with a problem"
    QUALITY = "quality", _("Received: quality problem")
    NOT_AS_DESCRIBED = "not_as_described", _("Received: not as described")
    DAMAGED = "damaged", _("Received: damaged in transit")
    OTHER = "other", _("Received: another problem")
    # WAR-1
    WARRANTY_DEFECT = "warranty_defect", _("Warranty: the item stopped working or broke")


NOT_RECEIVED = frozenset(
    {
        Reason.OVER_DELIVERY_TIME,
        Reason.NO_TRACKING,
        Reason.RETURNED_TO_SELLER,
        Reason.HELD_IN_CUSTOMS,
        Reason.WRONG_ADDRESS,
    }
)
RECEIVED_PROBLEM = frozenset({Reason.QUALITY, Reason.NOT_AS_DESCRIBED, Reason.DAMAGED, Reason.OTHER})
DISPUTE_REASONS = NOT_RECEIVED | RECEIVED_PROBLEM


class Solution(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_AND_REFUND = "return_and_refund", _("Return the goods and refund")
    # WAR-1
    REPAIR = "repair", _("Repair")
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")


DISPUTE_SOLUTIONS = frozenset({Solution.REFUND_ONLY, Solution.RETURN_AND_REFUND})
WARRANTY_SOLUTIONS = frozenset({Solution.REPAIR, Solution.REPLACEMENT, Solution.REFUND})


class Outcome(models.TextChoices):
    FULL = "full", _("Full refund")
    PARTIAL = "partial", _("Partial refund")
    NONE = "none", _("No refund")


class Party(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")


class DeadlineKind(models.TextChoices):
    SELLER_ANSWER = "dispute_seller_answer", _("The seller answers by")  # DSP-2 / WAR-1
    SETTLE = "dispute_settle", _("Settle the disagreement by")  # DSP-4
    RETURN_SHIP = "dispute_return_ship", _("Send the goods back by")  # DSP-3
    RETURN_CONFIRM = "dispute_return_confirm", _("The seller confirms the returned goods by")  # DSP-3
    EVIDENCE = "dispute_evidence", _("Send the evidence asked for by")  # DSP-5
    RESHIP = "warranty_reship", _("The seller sends the repaired or replacement item by")  # WAR-1
    OUTCOME = "warranty_outcome", _("Confirm the repaired or replacement item by")  # WAR-1


S = DisputeState
A = DisputeActor
_OPEN_NON_TEAM = (
    S.AWAITING_SELLER, S.NEGOTIATING, S.AWAITING_RETURN, S.RETURN_SHIPPED, S.REPAIRING, S.RESHIPPED
)

# (from, to) → the actors allowed to make the move.
MOVES: dict[tuple[DisputeState, DisputeState], frozenset[DisputeActor]] = {
    (S.AWAITING_SELLER, S.REFUNDED): frozenset({A.SELLER, A.SYSTEM}),
    (S.AWAITING_SELLER, S.AWAITING_RETURN): frozenset({A.SELLER, A.SYSTEM}),
    (S.AWAITING_SELLER, S.RESOLVED): frozenset({A.SELLER}),
    (S.AWAITING_SELLER, S.NEGOTIATING): frozenset({A.SELLER}),
    (S.AWAITING_SELLER, S.TEAM_REVIEW): frozenset({A.SELLER, A.SYSTEM}),
    (S.NEGOTIATING, S.AWAITING_SELLER): frozenset({A.BUYER}),
    (S.NEGOTIATING, S.REFUNDED): frozenset({A.BUYER}),
    (S.NEGOTIATING, S.AWAITING_RETURN): frozenset({A.BUYER}),
    (S.NEGOTIATING, S.CLOSED_NO_REFUND): frozenset({A.BUYER}),
    (S.NEGOTIATING, S.TEAM_REVIEW): frozenset({A.SYSTEM}),
    (S.AWAITING_RETURN, S.RETURN_SHIPPED): frozenset({A.BUYER}),
    (S.AWAITING_RETURN, S.CLOSED_NO_REFUND): frozenset({A.SYSTEM}),
    (S.RETURN_SHIPPED, S.REFUNDED): frozenset({A.SELLER, A.SYSTEM}),
    # nothing left to refund when the dispute settles (an earlier refund took it all): it closes
    # without a refund instead of staying open and holding the escrow for ever
    (S.AWAITING_SELLER, S.CLOSED_NO_REFUND): frozenset({A.SELLER, A.SYSTEM}),
    (S.RETURN_SHIPPED, S.CLOSED_NO_REFUND): frozenset({A.SELLER, A.SYSTEM}),
    (S.RETURN_SHIPPED, S.TEAM_REVIEW): frozenset({A.SELLER, A.SYSTEM}),
    # WAR-1 repair / replacement: the item went in (awaiting_return → return_shipped as above)
    (S.RETURN_SHIPPED, S.REPAIRING): frozenset({A.SELLER}),
    (S.REPAIRING, S.RESHIPPED): frozenset({A.SELLER}),
    (S.REPAIRING, S.TEAM_REVIEW): frozenset({A.SYSTEM}),
    (S.RESHIPPED, S.RESOLVED): frozenset({A.BUYER, A.SYSTEM}),
    (S.RESHIPPED, S.TEAM_REVIEW): frozenset({A.BUYER}),
    (S.TEAM_REVIEW, S.AWAITING_EVIDENCE): frozenset({A.STAFF}),
    (S.TEAM_REVIEW, S.REFUNDED): frozenset({A.STAFF}),
    (S.TEAM_REVIEW, S.CLOSED_NO_REFUND): frozenset({A.STAFF}),
    (S.TEAM_REVIEW, S.AWAITING_RETURN): frozenset({A.STAFF}),
    (S.AWAITING_EVIDENCE, S.TEAM_REVIEW): frozenset({A.BUYER, A.SELLER, A.SYSTEM}),
    (S.AWAITING_EVIDENCE, S.REFUNDED): frozenset({A.STAFF}),
    (S.AWAITING_EVIDENCE, S.CLOSED_NO_REFUND): frozenset({A.STAFF}),
    (S.AWAITING_EVIDENCE, S.AWAITING_RETURN): frozenset({A.STAFF}),
    **{
        (state, S.WITHDRAWN): frozenset({A.BUYER})
        for state in (*_OPEN_NON_TEAM, S.TEAM_REVIEW, S.AWAITING_EVIDENCE)
    },
}

# The deadline each state arms on entry. Leaving the state disarms it.
ARMS: dict[DisputeState, DeadlineKind] = {
    S.AWAITING_SELLER: DeadlineKind.SELLER_ANSWER,
    S.NEGOTIATING: DeadlineKind.SETTLE,
    S.AWAITING_RETURN: DeadlineKind.RETURN_SHIP,
    S.RETURN_SHIPPED: DeadlineKind.RETURN_CONFIRM,
    S.AWAITING_EVIDENCE: DeadlineKind.EVIDENCE,
    S.REPAIRING: DeadlineKind.RESHIP,
    S.RESHIPPED: DeadlineKind.OUTCOME,
}

# Whose move each deadline waits for (the 24 h reminder goes to them, NTF-1).
DEADLINE_PARTY: dict[DeadlineKind, str] = {
    DeadlineKind.SELLER_ANSWER: Party.SELLER,
    DeadlineKind.SETTLE: Party.BUYER,
    DeadlineKind.RETURN_SHIP: Party.BUYER,
    DeadlineKind.RETURN_CONFIRM: Party.SELLER,
    DeadlineKind.RESHIP: Party.SELLER,
    DeadlineKind.OUTCOME: Party.BUYER,
}

TERMINAL = frozenset({S.REFUNDED, S.CLOSED_NO_REFUND, S.RESOLVED, S.WITHDRAWN})
OPEN = frozenset(set(S) - TERMINAL)


def allowed(from_state: str, to_state: str, actor: str) -> bool:
    return actor in MOVES.get((DisputeState(from_state), DisputeState(to_state)), frozenset())


def reminder_kind(kind: str) -> str:
    return f"remind_{kind}"
