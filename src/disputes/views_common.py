"""What the three dispute pages share (buyer, seller center, dispute team): the countdowns of the
armed deadlines, both proposals, the full timeline with messages and evidence, the evidence
download, and the order page's dispute block (HLP-4).

Reads only: the decisions come from disputes.rules (through disputes.selectors), the same code
the services enforce; the countdowns from the dispute's pending deadline rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from core.errors import NotFound
from core.money import Money
from deadlines.services import deadline_pending
from disputes import selectors
from disputes.evidence import evidence_response
from disputes.models import Dispute, Evidence
from disputes.rules import check_open_dispute
from disputes.states import (
    ARMS,
    DEADLINE_PARTY,
    NOT_RECEIVED,
    RECEIVED_PROBLEM,
    DeadlineKind,
    DisputeActor,
    DisputeState,
    Kind,
)
from disputes.transitions import SUBJECT
from orders.rules import Decision
from orders.selectors import Countdown, remaining_text

A = DisputeActor

DEADLINE_RULES = {
    DeadlineKind.SELLER_ANSWER: "DSP-2",
    DeadlineKind.SETTLE: "DSP-4",
    DeadlineKind.RETURN_SHIP: "DSP-3",
    DeadlineKind.RETURN_CONFIRM: "DSP-3",
    DeadlineKind.EVIDENCE: "DSP-5",
    DeadlineKind.RESHIP: "WAR-1",
    DeadlineKind.OUTCOME: "WAR-1",
}

EVENT_TEXT = {
    "opened": gettext_lazy("Dispute opened"),
    "escalated": gettext_lazy("Passed to the dispute team"),
    "seller_agreed": gettext_lazy("The seller agreed"),
    "seller_refused": gettext_lazy("The seller disagreed and made a counter-proposal"),
    "buyer_updated": gettext_lazy("The buyer changed the proposal"),
    "counter_accepted": gettext_lazy("The buyer accepted the counter-proposal"),
    "withdrawn": gettext_lazy("The buyer withdrew the dispute"),
    "message": gettext_lazy("Message"),
    "evidence_requested": gettext_lazy("The dispute team asked for more evidence"),
    "evidence_received": gettext_lazy("The evidence asked for was sent"),
    "evidence_deadline": gettext_lazy("The evidence deadline passed"),
    "return_shipped": gettext_lazy("The goods were sent back"),
    "return_delivered": gettext_lazy("The carrier delivered the returned goods"),
    "return_received": gettext_lazy("The seller confirmed the returned goods arrived"),
    "return_objected": gettext_lazy("The seller objected to the returned goods"),
    "return_not_sent": gettext_lazy("The goods were not sent back in time"),
    "refunded_unconfirmed": gettext_lazy("Refunded: the seller did not confirm and the parcel was delivered"),
    "granted_unanswered": gettext_lazy("Granted: the seller did not answer in time"),
    "decided": gettext_lazy("The dispute team decided"),
    "return_scan": gettext_lazy("The carrier scanned the return parcel"),
    "warranty_item_received": gettext_lazy("The seller confirmed the item arrived for repair or replacement"),
    "warranty_reshipped": gettext_lazy("The seller sent the repaired or replacement item"),
    "warranty_confirmed": gettext_lazy("The buyer confirmed the repaired or replacement item"),
    "warranty_reopened": gettext_lazy("The buyer reopened the request to the dispute team"),
    "warranty_outcome_silent": gettext_lazy("Resolved: the buyer did not reopen the request in time"),
}


def event_text(kind: str) -> str:
    if kind in EVENT_TEXT:
        return str(EVENT_TEXT[kind])
    if kind.startswith("to_"):
        try:
            return str(DisputeState(kind[3:]).label)
        except ValueError:
            pass
    return kind.replace("_", " ").capitalize()


def state_label(value: str) -> str:
    try:
        return str(DisputeState(value).label)
    except ValueError:
        return value


# --- access ----------------------------------------------------------------------------------


def sign_in_redirect(request: HttpRequest) -> HttpResponse:
    next_url = request.get_full_path()
    if request.htmx and request.htmx.current_url_abs_path:
        next_url = request.htmx.current_url_abs_path
    login = f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}"
    return HttpResponseClientRedirect(login) if request.htmx else redirect(login)


def visible_dispute(request: HttpRequest, pk: int) -> Dispute:
    """The dispute if the signed-in person is its buyer, its seller or staff; else 404."""
    try:
        return selectors.dispute_for_user(dispute_id=int(pk), user=request.user)
    except NotFound:
        raise Http404("No such dispute") from None


def role_of(dispute: Dispute, user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if dispute.buyer_id == user.pk:
        return A.BUYER
    if dispute.order.store.owner_id == user.pk:
        return A.SELLER
    if user.is_staff and user.is_active:
        return A.STAFF
    return None


def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    """DSP-1: a file of dispute `pk`, only to its buyer, its seller and staff, as an attachment."""
    if not request.user.is_authenticated:
        return sign_in_redirect(request)
    try:
        evidence = selectors.evidence_for_user(evidence_id=int(evidence_id), user=request.user)
    except NotFound:
        raise Http404("No such file") from None
    if evidence.dispute_id != int(pk) or (request.user.is_staff and not request.user.is_active):
        raise Http404("No such file")
    return evidence_response(evidence)


# --- countdowns (DSP-2…DSP-5) ------------------------------------------------------------------


def dispute_countdowns(dispute: Dispute, now: dt.datetime) -> list[Countdown]:
    """The dispute's armed deadlines (not their reminders), soonest first."""
    if not dispute.is_open:
        return []
    out = []
    for kind, deadline in deadline_pending(subject_type=SUBJECT, subject_id=dispute.pk).items():
        if kind not in DeadlineKind.values:
            continue
        party = DEADLINE_PARTY.get(DeadlineKind(kind), "")
        if kind == DeadlineKind.EVIDENCE:
            party = dispute.evidence_party
        rule = (
            "WAR-1"
            if dispute.kind == Kind.WARRANTY and kind == DeadlineKind.SELLER_ANSWER
            else DEADLINE_RULES.get(DeadlineKind(kind), "DSP-2")
        )
        out.append(
            Countdown(
                kind=kind,
                label=str(DeadlineKind(kind).label),
                due_at=deadline.due_at,
                rule=rule,
                party=str(party),
                left=remaining_text(deadline.due_at, now),
                now=now,
            )
        )
    return sorted(out, key=lambda c: c.due_at)


def dispute_list_countdown(dispute: Dispute, now: dt.datetime) -> Countdown | None:
    """For the lists: the current state's deadline, from the stored `due_at` (no query per row)."""
    if not dispute.is_open or dispute.due_at is None or DisputeState(dispute.state) not in ARMS:
        return None
    kind = ARMS[DisputeState(dispute.state)]
    party = dispute.evidence_party if kind == DeadlineKind.EVIDENCE else DEADLINE_PARTY.get(kind, "")
    rule = (
        "WAR-1"
        if dispute.kind == Kind.WARRANTY and kind == DeadlineKind.SELLER_ANSWER
        else DEADLINE_RULES[kind]
    )
    return Countdown(
        kind=kind.value,
        label=str(kind.label),
        due_at=dispute.due_at,
        rule=rule,
        party=str(party),
        left=remaining_text(dispute.due_at, now),
        now=now,
    )


# --- timeline ----------------------------------------------------------------------------------


@dataclass
class Entry:
    at: dt.datetime
    who: str
    what: str
    note: str = ""
    from_state: str = ""
    to_state: str = ""
    is_message: bool = False
    role: str = ""
    files: list = field(default_factory=list)


def who_text(role: str, user, dispute: Dispute, viewer_role: str | None) -> str:
    if role == A.BUYER:
        if viewer_role == A.BUYER:
            return _("You")
        return (
            _("The buyer")
            if viewer_role != A.STAFF or user is None
            else _("The buyer (%(email)s)") % {"email": user.email}
        )
    if role == A.SELLER:
        if viewer_role == A.SELLER:
            return _("You")
        return _("The seller (%(store)s)") % {"store": dispute.order.store.name}
    if role == A.STAFF:
        if viewer_role == A.STAFF and user is not None:
            return _("Dispute team (%(email)s)") % {"email": user.email}
        return _("Hmong Artisans dispute team")
    return _("Automatic (Hmong Artisans)")


def dispute_timeline(dispute: Dispute, viewer_role: str | None) -> list[Entry]:
    """Every event and message of the dispute, oldest first, each with its evidence files."""
    loose: dict[tuple, list[Evidence]] = {}
    for evidence in dispute.evidence.filter(message__isnull=True).order_by("uploaded_at", "id"):
        loose.setdefault((evidence.uploaded_at, evidence.role), []).append(evidence)
    entries = []
    for event in selectors.dispute_timeline(dispute):
        if event.kind == "message":
            continue  # shown from the message itself, with its files
        changed = bool(event.to_state) and event.from_state != event.to_state
        entries.append(
            Entry(
                at=event.at,
                who=who_text(event.actor, event.actor_user, dispute, viewer_role),
                what=event_text(event.kind),
                note=event.note if event.kind != "opened" else "",
                from_state=state_label(event.from_state) if changed and event.from_state else "",
                to_state=state_label(event.to_state) if changed else "",
                role=event.actor,
                files=loose.pop((event.at, event.actor), []),
            )
        )
    for message in selectors.dispute_messages(dispute):
        entries.append(
            Entry(
                at=message.at,
                who=who_text(message.role, message.author, dispute, viewer_role),
                what=_("Message"),
                note=message.text,
                is_message=True,
                role=message.role,
                files=list(message.files.all()),
            )
        )
    for (at, role), files in loose.items():  # files no event claims (e.g. added later)
        entries.append(
            Entry(
                at=at,
                who=who_text(role, None, dispute, viewer_role),
                what=_("Evidence added"),
                role=role,
                files=files,
            )
        )
    entries.sort(key=lambda e: (e.at, e.is_message))
    return entries


# --- proposals -----------------------------------------------------------------------------------


@dataclass
class Proposal:
    title: str
    solution: str
    amount: Money | None
    note: str = ""


def dispute_proposals(dispute: Dispute, viewer_role: str | None) -> list[Proposal]:
    """The buyer's request and, after a refusal, the seller's counter-proposal (DSP-2, DSP-4)."""
    buyer_title = _("Your request") if viewer_role == A.BUYER else _("The buyer's request")
    out = [
        Proposal(
            buyer_title,
            dispute.get_solution_display(),
            Money(dispute.amount_minor, dispute.currency) if dispute.amount_minor else None,
        )
    ]
    if dispute.counter_solution or dispute.counter_note:
        seller_title = (
            _("Your counter-proposal") if viewer_role == A.SELLER else _("The seller's counter-proposal")
        )
        amount = dispute.counter_amount_minor
        out.append(
            Proposal(
                seller_title,
                dispute.get_counter_solution_display() if dispute.counter_solution else "",
                Money(amount, dispute.currency) if amount is not None else None,
                dispute.counter_note,
            )
        )
    return out


def dispute_page_context(dispute: Dispute, *, viewer_role: str, now: dt.datetime) -> dict:
    """What every dispute page shows, whoever reads it."""
    from payments.services import order_refundable_minor

    order = dispute.order
    return {
        "dispute": dispute,
        "order": order,
        "viewer_role": viewer_role,
        "now": now,
        "lines": list(dispute.lines.select_related("order_line")),
        "countdowns": dispute_countdowns(dispute, now),
        "proposals": dispute_proposals(dispute, viewer_role),
        "timeline": dispute_timeline(dispute, viewer_role),
        "evidence": list(dispute.evidence.select_related("uploaded_by").order_by("uploaded_at", "id")),
        "refundable_minor": order_refundable_minor(order),
        "is_warranty": dispute.kind == Kind.WARRANTY,
    }


def why_not(decisions: dict[str, Decision]) -> list[tuple[str, Decision]]:
    """Refused actions worth explaining: not those merely of another stage of the dispute."""
    return [(label, d) for label, d in decisions.items() if not d.allowed and d.code != "wrong_state"]


# --- the order page's block (BP-3, HLP-4, WAR-1) ---------------------------------------------------


def _first(reasons) -> str:
    return sorted(reasons)[0]


def order_dispute_block(*, order, now: dt.datetime, always: bool = False) -> dict:
    """For the buyer's order page: the current and earlier disputes, whether one may be opened now
    (else why and from when, per reason group), and the warranty request's decision."""
    disputes = list(selectors.order_disputes(order))
    if not always and order.state not in ("shipped", "completed") and not disputes:
        return {"shows": False}  # nothing to dispute yet (the order page's own actions say what to do)
    groups = [
        (_("Not received"), check_open_dispute(order, now, _first(NOT_RECEIVED))),
        (_("Received with a problem"), check_open_dispute(order, now, _first(RECEIVED_PROBLEM))),
    ]
    has_warranty = order.lines.filter(variant__product__warranty=True).exists()
    return {
        "open_dispute": next((d for d in disputes if d.is_open), None),
        "disputes": disputes,
        "can_open": selectors.dispute_can_open(order, now),
        "groups": groups,
        "warranty": selectors.warranty_can_open(order, now) if has_warranty else None,
        "shows": True,
    }


def dispute_badges_attach(*, orders) -> None:
    """My Orders: set `order.dispute_badge` to the order's open dispute, else its latest, else None."""
    orders = list(orders)
    found: dict[int, Dispute] = {}
    for dispute in Dispute.objects.filter(order_id__in=[o.pk for o in orders]).order_by(
        "is_open", "opened_at"
    ):
        found[dispute.order_id] = dispute  # the open one (is_open=True sorts last), else the latest
    for order in orders:
        order.dispute_badge = found.get(order.pk)
