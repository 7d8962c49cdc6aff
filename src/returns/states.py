"""The Free Return state machine (RET-1…RET-4), declared once.

`MOVES` lists every allowed move: (from, to) → who may make it. The transition
function in returns.transitions is the only code that changes ReturnRequest.state;
it consults this table, records a ReturnEvent and arms the deadline that `ARMS`
names for the new state (leaving a state disarms its deadlines).

    code_issued ──provider──▶ dropped_off ──provider──▶ in_transit ──provider──▶ received
        │  │                      └───────────────provider────────────────────────▲  │
        │  └──system (code not used in time)──▶ expired                             │
        └──buyer (changed their mind)──▶ cancelled           warehouse/staff ◀──────┘
                                                         inspected (refund pro rata, maybe 0)

There is no confirm step for the buyer (RET-3): the provider's webhook moves the return.
The warehouse (by webhook) or staff (back-office form) may also inspect a parcel whose
"received" scan never arrived.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReturnState(models.TextChoices):
    CODE_ISSUED = "code_issued", _("Return code issued: drop the parcel off")
    DROPPED_OFF = "dropped_off", _("Dropped off at the return point")
    IN_TRANSIT = "in_transit", _("On its way to the warehouse")
    RECEIVED = "received", _("Received at the warehouse")
    INSPECTED = "inspected", _("Checked by the warehouse: refund decided")
    EXPIRED = "expired", _("Return code expired unused")
    CANCELLED = "cancelled", _("Cancelled by the buyer")


class ReturnActor(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")
    PROVIDER = "provider", _("Return provider")
    WAREHOUSE = "warehouse", _("Warehouse")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class ReturnDeadline(models.TextChoices):
    CODE_EXPIRY = "return_code_expiry", _("Drop the parcel off by")


def reminder_kind(kind: str) -> str:
    return f"remind_{kind}"


S = ReturnState
A = ReturnActor
_INSPECTORS = frozenset({A.WAREHOUSE, A.STAFF})

# (from, to) → the actors allowed to make the move.
MOVES: dict[tuple[ReturnState, ReturnState], frozenset[ReturnActor]] = {
    (S.CODE_ISSUED, S.DROPPED_OFF): frozenset({A.PROVIDER}),
    (S.CODE_ISSUED, S.IN_TRANSIT): frozenset({A.PROVIDER}),
    (S.CODE_ISSUED, S.RECEIVED): frozenset({A.PROVIDER}),
    (S.CODE_ISSUED, S.EXPIRED): frozenset({A.SYSTEM}),
    (S.CODE_ISSUED, S.CANCELLED): frozenset({A.BUYER}),
    (S.DROPPED_OFF, S.IN_TRANSIT): frozenset({A.PROVIDER}),
    (S.DROPPED_OFF, S.RECEIVED): frozenset({A.PROVIDER}),
    (S.IN_TRANSIT, S.RECEIVED): frozenset({A.PROVIDER}),
    (S.DROPPED_OFF, S.INSPECTED): _INSPECTORS,
    (S.IN_TRANSIT, S.INSPECTED): _INSPECTORS,
    (S.RECEIVED, S.INSPECTED): _INSPECTORS,
}

# The deadline each state arms on entry (with its reminder 24 h before, NTF-1).
ARMS: dict[ReturnState, ReturnDeadline] = {
    S.CODE_ISSUED: ReturnDeadline.CODE_EXPIRY,
}

TERMINAL = frozenset({S.INSPECTED, S.EXPIRED, S.CANCELLED})
OPEN = frozenset(set(ReturnState) - TERMINAL)
# States in which the parcel has been handed over: the free return is used (RET-2).
HANDED_OVER = frozenset({S.DROPPED_OFF, S.IN_TRANSIT, S.RECEIVED, S.INSPECTED})

# The provider's webhook statuses and the state each one means.
PROVIDER_STATUSES: dict[str, ReturnState] = {
    "dropped_off": S.DROPPED_OFF,
    "in_transit": S.IN_TRANSIT,
    "received": S.RECEIVED,
    "inspected": S.INSPECTED,
}
# How far along the return is; a provider update for an earlier step is recorded, not applied.
PROGRESS: dict[ReturnState, int] = {
    S.CODE_ISSUED: 0, S.DROPPED_OFF: 1, S.IN_TRANSIT: 2, S.RECEIVED: 3, S.INSPECTED: 4,
    S.EXPIRED: 4, S.CANCELLED: 4,
}


def allowed(from_state: str, to_state: str, actor: str) -> bool:
    return actor in MOVES.get((ReturnState(from_state), ReturnState(to_state)), frozenset())
