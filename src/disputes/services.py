"""Dispute and warranty use cases (DSP-1…DSP-7, WAR-1, OPS-1).

Every function takes keyword-only arguments and `now`, validates its input (clear field
messages, never a 500), checks the rule with disputes.rules (the same code explains it,
HLP-4), changes state only through disputes.transitions.dispute_transition, and sends the
NTF-1 notices (disputes.notices) in the same transaction (outbox). Refunds are carried out
by payments.services.refund_order_amount, keyed by the dispute, so a retry refunds once.
Staff actions are audited (core.audit).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.policy import policy
from deadlines.batch import atomic
from disputes import notices
from disputes.evidence import evidence_check_all, evidence_store
from disputes.models import Dispute, DisputeLine, DisputeMessage
from disputes.rules import (
    check_accept_counter,
    check_buyer_update,
    check_message,
    check_open_dispute,
    check_open_warranty,
    check_return_receipt,
    check_return_tracking,
    check_seller_answer,
    check_team_decide,
    check_team_request_evidence,
    check_warranty_outcome,
    check_warranty_reship,
    check_withdraw,
    has_no_tracking,
    is_repair,
)
from disputes.states import (
    ARMS,
    DISPUTE_REASONS,
    DISPUTE_SOLUTIONS,
    NOT_RECEIVED,
    WARRANTY_SOLUTIONS,
    DisputeActor,
    DisputeState,
    Kind,
    Outcome,
    Party,
    Reason,
    Solution,
)
from disputes.transitions import (
    deadline_due,
    dispute_arm,
    dispute_event,
    dispute_locked,
    dispute_transition,
)
from orders.models import Order
from orders.rules import Decision
from orders.selectors import units_claimable
from orders.transitions import order_locked

S = DisputeState
A = DisputeActor
MAX_DESCRIPTION = 4000
MAX_NOTE = 2000


# --- helpers ------------------------------------------------------------------------------------


def _enforce(decision: Decision, *, conflict: bool = False) -> None:
    if not decision:
        cls = Conflict if conflict else NotAllowed
        raise cls(decision.reason, code=decision.code)


def _invalid(fields: dict) -> DomainError:
    return DomainError(_("Some fields are invalid."), code="validation_error", fields=fields, status=422)


def _one_of(values) -> str:
    return _("One of: %(values)s.") % {"values": ", ".join(sorted(values))}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, *, field: str, fields: dict, required: bool, limit: int) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        fields[field] = [_("Enter text.")]
        return ""
    if required and not text:
        fields[field] = [_("This field is required.")]
    elif len(text) > limit:
        fields[field] = [_("At most %(n)s characters.") % {"n": limit}]
    return text


def _refundable(order: Order) -> int:
    from payments.services import order_refundable_minor

    return order_refundable_minor(order)


def _check_amount(
    amount_minor, order: Order, fields: dict, *, field: str = "amount_minor", allow_zero: bool = False
) -> None:
    """DSP-1: a whole number of minor units, not above what was paid minus what was refunded."""
    if not _is_int(amount_minor) or amount_minor < (0 if allow_zero else 1):
        fields[field] = [
            "Give a positive whole number of minor units."
            if not allow_zero
            else "Give a whole number of minor units, 0 or more."
        ]
        return
    refundable = _refundable(order)
    if amount_minor > refundable:
        fields[field] = [_("At most %(n)s minor units of this order can be refunded.") % {"n": refundable}]


def _party(dispute: Dispute, user, role: str) -> None:
    """`user` must be the dispute's `role`; another who may see it gets 403, anyone else 404."""
    found = role_of(dispute, user)
    if found == role:
        return
    if found is None:
        raise NotFound(_("No such dispute."), code="not_found")
    raise NotAllowed(_("Only the %(role)s of this dispute can do this.") % {"role": role}, code="not_party")


def _seller_of(dispute: Dispute, user) -> None:
    _party(dispute, user, A.SELLER)


def _buyer_of(dispute: Dispute, user) -> None:
    _party(dispute, user, A.BUYER)


def _staff(user) -> None:
    if user is None or not user.is_authenticated or not user.is_staff:
        raise NotAllowed(_("Only the dispute team may do this."), code="staff_only")


def role_of(dispute: Dispute, user) -> str | None:
    """The user's role in the dispute: buyer, seller, staff, or None (not theirs to see)."""
    if user is None or not user.is_authenticated:
        return None
    if dispute.buyer_id == user.pk:
        return A.BUYER
    if dispute.order.store.owner_id == user.pk:
        return A.SELLER
    if user.is_staff:
        return A.STAFF
    return None


def _lines(order: Order, lines, fields: dict) -> list[tuple[int, int]]:
    """DSP-1: [{"line_id": id, "quantity": n}] of this order (default: every line, all units; _open
    then keeps only the units still claimable, and checks chosen ones with _claimable)."""
    own = {line.pk: line for line in order.lines.all()}
    if not lines:
        return [(pk, line.quantity) for pk, line in own.items()]
    out, seen = [], set()
    if not isinstance(lines, list | tuple):
        fields["lines"] = [_("Give a list of order lines.")]
        return []
    for item in lines:
        line_id = item.get("line_id") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not _is_int(line_id) or line_id not in own or line_id in seen:
            fields["lines"] = [_("Choose lines of this order, each once.")]
            return []
        if not _is_int(quantity) or not 1 <= quantity <= own[line_id].quantity:
            fields["lines"] = [
                _("Choose 1 to %(n)s of “%(title)s”.")
                % {"n": own[line_id].quantity, "title": own[line_id].product_title}
            ]
            return []
        seen.add(line_id)
        out.append((line_id, quantity))
    return out


def _nothing_claimable() -> str:
    return _("Every item of this order was already refunded or is claimed in a return or a dispute.")


def _claimable(order: Order, chosen: list[tuple[int, int]], *, every_line: bool) -> list[tuple[int, int]]:
    """DSP-1 / RET-1: a unit is refunded at most once: the units a dispute claims must not be
    refunded or claimed already, by a dispute or a Free Return (orders.selectors.units_claimable).
    Checked under the order lock, after the rule checks (their codes come first). With no lines
    given (`every_line`), the dispute takes the units still claimable; with lines given, asking
    for more than is left is refused on the "lines" field (422)."""
    left = units_claimable(order)
    if every_line:
        chosen = [(pk, left.get(pk, 0)) for pk, _qty in chosen if left.get(pk, 0) > 0]
        if not chosen:
            raise _invalid({"lines": [_nothing_claimable()]})
        return chosen
    for pk, quantity in chosen:
        n = left.get(pk, 0)
        if quantity > n:
            if not any(left.values()):
                raise _invalid({"lines": [_nothing_claimable()]})
            title = order.lines.get(pk=pk).product_title
            raise _invalid({"lines": [
                _("Some units of “%(title)s” were already refunded or are claimed in a return or a "
                  "dispute: choose at most %(n)s.") % {"n": n, "title": title}
                if n > 0
                else _("Every unit of “%(title)s” was already refunded or is claimed in a return or a "
                       "dispute.") % {"title": title}
            ]})
    return chosen


def _check_lines_amount(order: Order, chosen: list[tuple[int, int]], amount_minor, fields: dict) -> None:
    """DSP-1: asking about some of the items, the amount is at most what those units cost
    (every line in full may also claim the shipping: the refundable amount bounds it)."""
    own = {line.pk: line for line in order.lines.all()}
    if all(qty == own[pk].quantity for pk, qty in chosen) and len(chosen) == len(own):
        return
    value = sum(own[pk].unit_price_minor * qty for pk, qty in chosen)
    if _is_int(amount_minor) and amount_minor > value:
        fields["amount_minor"] = [_("At most %(n)s minor units for the items chosen.") % {"n": value}]


def _refund(dispute: Dispute, amount_minor: int, now: dt.datetime) -> int:
    """Carry out a refund of at most what is still refundable; returns what was refunded."""
    from payments.services import refund_order_amount

    amount = min(amount_minor or 0, _refundable(dispute.order))
    if amount <= 0:
        return 0
    if dispute.kind == Kind.WARRANTY:
        _warranty_clawback(dispute, amount, now)
    refund_order_amount(
        order=dispute.order,
        amount_minor=amount,
        reason=f"Dispute {dispute.pk} on order {dispute.order.number}",
        event_key=f"dispute:{dispute.pk}:refund",
        now=now,
    )
    dispute.refunded_minor += amount
    Dispute.objects.filter(pk=dispute.pk).update(refunded_minor=dispute.refunded_minor)
    notices.refunded(dispute, amount, now=now)
    return amount


def _warranty_clawback(dispute: Dispute, amount_minor: int, now: dt.datetime) -> None:
    """WAR-1: a warranty refund comes after protection ended, when the escrow was already
    released to the seller: the refunded amount first comes back from the seller's available
    balance into the order's escrow (one balanced adjustment, once per dispute), and the refund
    is then drawn from the escrow like any other."""
    from ledger.models import Account, Transaction
    from ledger.services import account_get, escrow_of, ledger_post, release_key

    order = dispute.order
    escrow = escrow_of(order)
    if escrow is None or not Transaction.objects.filter(idempotency_key=release_key(order)).exists():
        return
    held = type(escrow).objects.get(pk=escrow.pk).balance_minor
    missing = amount_minor - held
    if missing <= 0:
        return
    seller = account_get(
        kind=Account.Kind.SELLER_AVAILABLE, currency=escrow.currency, store=order.store_id, now=now
    )
    ledger_post(
        key=f"dispute:{dispute.pk}:warranty_clawback",
        kind=Transaction.Kind.ADJUSTMENT,
        lines=[(seller, -missing), (escrow, missing)],
        memo=f"Warranty refund on order {order.number}: taken back from the seller (WAR-1)",
        now=now,
        order=order,
    )


def after_close(order: Order, now: dt.datetime) -> None:
    """BP-2: when the last open case closes after protection ended (its deadline was skipped while
    the case was open), the order completes and escrow goes to the seller — the one path every
    case shares (orders.deadline_handlers.order_complete_after_case)."""
    from orders.deadline_handlers import order_complete_after_case

    order_complete_after_case(order=order, now=now, reason="Buyer protection ended; the dispute is closed")


def _close_with_refund(
    dispute: Dispute,
    *,
    amount_minor: int,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    kind: str,
    note: str = "",
) -> Dispute:
    """Refund `amount_minor` and close (refunded; closed without refund when nothing is due)."""
    refunded = _refund(dispute, amount_minor, now)
    to = S.REFUNDED if refunded > 0 else S.CLOSED_NO_REFUND
    closed = dispute_transition(
        dispute=dispute,
        to=to,
        actor=actor,
        actor_user=actor_user,
        now=now,
        kind=kind,
        note=note,
        data={"refunded_minor": refunded},
    )
    after_close(closed.order, now)
    notices.closed(closed, now=now)
    return closed


def _to_return(
    dispute: Dispute,
    *,
    amount_minor: int,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    kind: str,
    note: str = "",
    solution: str = Solution.RETURN_AND_REFUND,
) -> Dispute:
    """DSP-3: the goods go back; the refund of `amount_minor` follows the seller's confirmation.
    WAR-1: a repair or replacement sends the item in the same way (`solution`, no refund)."""
    dispute.agreed_solution = solution
    dispute.agreed_amount_minor = amount_minor
    dispute.save(update_fields=["agreed_solution", "agreed_amount_minor"])
    moved = dispute_transition(
        dispute=dispute,
        to=S.AWAITING_RETURN,
        actor=actor,
        actor_user=actor_user,
        now=now,
        kind=kind,
        note=note,
        data={"amount_minor": amount_minor},
    )
    notices.return_agreed(moved, now=now)
    return moved


def _grant(
    dispute: Dispute,
    *,
    solution: str,
    amount_minor: int,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    kind: str,
    note: str = "",
) -> Dispute:
    """Carry out an agreed solution."""
    if solution == Solution.RETURN_AND_REFUND:
        return _to_return(
            dispute,
            amount_minor=amount_minor,
            actor=actor,
            actor_user=actor_user,
            now=now,
            kind=kind,
            note=note,
        )
    if solution in (Solution.REPAIR, Solution.REPLACEMENT):  # WAR-1: the buyer sends the item in
        return _to_return(
            dispute,
            amount_minor=0,
            actor=actor,
            actor_user=actor_user,
            now=now,
            kind=kind,
            note=note,
            solution=solution,
        )
    dispute.agreed_solution = solution
    dispute.agreed_amount_minor = amount_minor
    dispute.save(update_fields=["agreed_solution", "agreed_amount_minor"])
    return _close_with_refund(
        dispute, amount_minor=amount_minor, actor=actor, actor_user=actor_user, now=now, kind=kind, note=note
    )


def _attach(dispute: Dispute, checked, *, user, role: str, now: dt.datetime, message=None) -> list:
    return [
        evidence_store(dispute=dispute, upload=item, user=user, role=role, now=now, message=message)
        for item in checked
    ]


# --- opening (BP-3, DSP-1, DSP-5, DSP-6, DSP-7) -----------------------------------------------------


def dispute_open(
    *,
    order: Order,
    buyer,
    reason: str,
    solution: str,
    amount_minor: int,
    description: str,
    lines: list | None = None,
    files: list | tuple = (),
    now: dt.datetime,
) -> Dispute:
    """DSP-1: the buyer opens a dispute when BP-3 allows it. Disputes that need no seller reply
    (not received, no tracking information at all after day 11) go straight to the team (DSP-5)."""
    if buyer is None or not buyer.is_authenticated or order.buyer_id != buyer.pk:
        raise NotFound(_("No such order."), code="not_found")
    fields: dict = {}
    if reason not in DISPUTE_REASONS:
        fields["reason"] = [_one_of(DISPUTE_REASONS)]
    if solution not in DISPUTE_SOLUTIONS:
        fields["solution"] = [_one_of(DISPUTE_SOLUTIONS)]
    description = _text(description, field="description", fields=fields, required=True, limit=MAX_DESCRIPTION)
    _check_amount(amount_minor, order, fields)
    if reason in NOT_RECEIVED and solution == Solution.RETURN_AND_REFUND:
        fields["solution"] = [_("Goods that did not arrive cannot be sent back: ask for a refund only.")]
    chosen = _lines(order, lines, fields)
    if lines and chosen and "amount_minor" not in fields:
        _check_lines_amount(order, chosen, amount_minor, fields)
    checked = evidence_check_all(files, fields)
    if fields:
        raise _invalid(fields)
    return _open(
        order=order,
        buyer=buyer,
        kind=Kind.DISPUTE,
        reason=reason,
        solution=solution,
        amount_minor=amount_minor,
        description=description,
        chosen=chosen,
        checked=checked,
        now=now,
        every_line=not lines,
    )


def warranty_open(
    *,
    order: Order,
    buyer,
    solution: str,
    description: str,
    amount_minor: int = 0,
    lines: list | None = None,
    files: list | tuple = (),
    now: dt.datetime,
) -> Dispute:
    """WAR-1: a warranty request (repair, replacement or refund) on warranty items, after buyer
    protection ends and within a year of receipt; handled like a dispute with its own deadlines."""
    if buyer is None or not buyer.is_authenticated or order.buyer_id != buyer.pk:
        raise NotFound(_("No such order."), code="not_found")
    fields: dict = {}
    if solution not in WARRANTY_SOLUTIONS:
        fields["solution"] = [_one_of(WARRANTY_SOLUTIONS)]
    description = _text(description, field="description", fields=fields, required=True, limit=MAX_DESCRIPTION)
    if solution == Solution.REFUND:
        if not _is_int(amount_minor) or amount_minor < 1 or amount_minor > order.total_minor:
            fields["amount_minor"] = [
                _("Give a whole number of minor units from 1 to %(n)s.") % {"n": order.total_minor}
            ]
    else:
        amount_minor = 0
    chosen = _lines(order, lines, fields)
    checked = evidence_check_all(files, fields)
    if fields:
        raise _invalid(fields)
    return _open(
        order=order,
        buyer=buyer,
        kind=Kind.WARRANTY,
        reason=Reason.WARRANTY_DEFECT,
        solution=solution,
        amount_minor=amount_minor,
        description=description,
        chosen=chosen,
        checked=checked,
        now=now,
        every_line=not lines,
    )


def _open(
    *, order, buyer, kind, reason, solution, amount_minor, description, chosen, checked, now, every_line
) -> Dispute:
    from payments.services import order_paid_with

    try:
        with transaction.atomic():
            locked = order_locked(order)
            if kind == Kind.WARRANTY:
                _enforce(check_open_warranty(locked, now))
            else:
                _enforce(check_open_dispute(locked, now, reason))
                if amount_minor > _refundable(locked):  # re-checked under the lock
                    raise _invalid({"amount_minor": [_("More than can still be refunded.")]})
            chosen = _claimable(locked, chosen, every_line=every_line)  # DSP-1, under the lock
            paypal = "paypal" in order_paid_with(locked)
            straight_to_team = (
                kind == Kind.DISPUTE and reason in NOT_RECEIVED and has_no_tracking(locked, now)
            )
            dispute = Dispute.objects.create(
                order=locked,
                buyer=buyer,
                kind=kind,
                reason=reason,
                solution=solution,
                amount_minor=amount_minor,
                currency=locked.currency,
                description=description,
                state=S.TEAM_REVIEW if straight_to_team else S.AWAITING_SELLER,
                escalated_at=now if straight_to_team else None,
                paid_with_paypal=paypal,
                paypal_dispute_until=(locked.paid_at or now) + policy.paypal_dispute_window
                if paypal
                else None,
                opened_at=now,
            )
            dispute.order = locked
            DisputeLine.objects.bulk_create(
                [DisputeLine(dispute=dispute, order_line_id=pk, quantity=qty) for pk, qty in chosen]
            )
            if dispute.state in ARMS:
                kind_ = ARMS[dispute.state]
                dispute.due_at = dispute_arm(dispute, kind_, deadline_due(dispute, kind_, now), now)
                dispute.save(update_fields=["due_at"])
            dispute_event(
                dispute,
                kind="opened",
                actor=A.BUYER,
                actor_user=buyer,
                now=now,
                note=description[:300],
                from_state="",
                data={"reason": reason, "solution": solution, "amount_minor": amount_minor, "paypal": paypal},
            )
            if straight_to_team:  # DSP-5
                dispute_event(
                    dispute,
                    kind="escalated",
                    actor=A.SYSTEM,
                    now=now,
                    note="No tracking information at all: the dispute team handles it.",
                )
            _attach(dispute, checked, user=buyer, role=A.BUYER, now=now)
            notices.opened(dispute, now=now)
            return dispute
    except IntegrityError:  # a concurrent second dispute on the same order (DSP-6)
        raise Conflict(_("This order already has an open dispute."), code="dispute_open") from None


# --- the seller's answer (DSP-2, DSP-4) -------------------------------------------------------------


def dispute_seller_agree(*, dispute: Dispute, seller, note: str = "", now: dt.datetime) -> Dispute:
    """DSP-2: the seller agrees to the buyer's request: refund only → refunded and closed;
    return → the buyer sends the goods back (DSP-3). WAR-1: repair/replacement → resolved."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _seller_of(locked, seller)
        _enforce(check_seller_answer(locked, now), conflict=True)
        return _grant(
            locked,
            solution=locked.solution,
            amount_minor=locked.amount_minor,
            actor=A.SELLER,
            actor_user=seller,
            now=now,
            kind="seller_agreed",
            note=(note or "")[:MAX_NOTE],
        )


def dispute_seller_refuse(
    *,
    dispute: Dispute,
    seller,
    counter_solution: str = "",
    counter_amount_minor: int | None = None,
    note: str,
    files: list | tuple = (),
    now: dt.datetime,
) -> Dispute:
    """DSP-2 / DSP-4: the seller disagrees with a counter-proposal; the buyer has 5 days to settle.
    WAR-1: a refused warranty request goes to the dispute team."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _seller_of(locked, seller)
        fields: dict = {}
        note = _text(note, field="note", fields=fields, required=True, limit=MAX_NOTE)
        if locked.kind == Kind.DISPUTE:
            if counter_solution not in DISPUTE_SOLUTIONS:
                fields["counter_solution"] = [_one_of(DISPUTE_SOLUTIONS)]
            _check_amount(
                counter_amount_minor, locked.order, fields, field="counter_amount_minor", allow_zero=True
            )
        checked = evidence_check_all(files, fields)
        if fields:
            raise _invalid(fields)
        _enforce(check_seller_answer(locked, now), conflict=True)
        _attach(locked, checked, user=seller, role=A.SELLER, now=now)
        if locked.kind == Kind.WARRANTY:
            moved = dispute_transition(
                dispute=locked,
                to=S.TEAM_REVIEW,
                actor=A.SELLER,
                actor_user=seller,
                now=now,
                kind="seller_refused",
                note=note,
            )
            notices.escalated(moved, now=now)
            return moved
        locked.counter_solution, locked.counter_amount_minor = counter_solution, counter_amount_minor
        locked.counter_note = note
        locked.save(update_fields=["counter_solution", "counter_amount_minor", "counter_note"])
        moved = dispute_transition(
            dispute=locked,
            to=S.NEGOTIATING,
            actor=A.SELLER,
            actor_user=seller,
            now=now,
            kind="seller_refused",
            note=note,
            data={"counter_solution": counter_solution, "counter_amount_minor": counter_amount_minor},
        )
        notices.answered(moved, now=now)
        return moved


def dispute_buyer_update(
    *,
    dispute: Dispute,
    buyer,
    solution: str,
    amount_minor: int,
    description: str = "",
    files: list | tuple = (),
    now: dt.datetime,
) -> Dispute:
    """DSP-4: the buyer changes the proposal after a refusal; the seller's 5 days start again."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        fields: dict = {}
        if solution not in DISPUTE_SOLUTIONS:
            fields["solution"] = [_one_of(DISPUTE_SOLUTIONS)]
        _check_amount(amount_minor, locked.order, fields)
        description = _text(
            description, field="description", fields=fields, required=False, limit=MAX_DESCRIPTION
        )
        checked = evidence_check_all(files, fields)
        if fields:
            raise _invalid(fields)
        _enforce(check_buyer_update(locked, now), conflict=True)
        locked.solution, locked.amount_minor = solution, amount_minor
        if description:
            locked.description = description
        locked.save(update_fields=["solution", "amount_minor", "description"])
        _attach(locked, checked, user=buyer, role=A.BUYER, now=now)
        moved = dispute_transition(
            dispute=locked,
            to=S.AWAITING_SELLER,
            actor=A.BUYER,
            actor_user=buyer,
            now=now,
            kind="buyer_updated",
            note=description[:300],
            data={"solution": solution, "amount_minor": amount_minor},
        )
        notices.opened(moved, now=now, updated=True)
        return moved


def dispute_buyer_accept_counter(*, dispute: Dispute, buyer, now: dt.datetime) -> Dispute:
    """DSP-4: the buyer accepts the seller's counter-proposal, which the system carries out."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        _enforce(check_accept_counter(locked, now), conflict=True)
        return _grant(
            locked,
            solution=locked.counter_solution,
            amount_minor=locked.counter_amount_minor or 0,
            actor=A.BUYER,
            actor_user=buyer,
            now=now,
            kind="counter_accepted",
        )


def dispute_withdraw(*, dispute: Dispute, buyer, now: dt.datetime) -> Dispute:
    """DSP-6: the buyer withdraws the dispute; the escrow release is no longer held back."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        _enforce(check_withdraw(locked, now), conflict=True)
        closed = dispute_transition(
            dispute=locked, to=S.WITHDRAWN, actor=A.BUYER, actor_user=buyer, now=now, kind="withdrawn"
        )
        after_close(closed.order, now)
        notices.closed(closed, now=now)
        return closed


def dispute_message(
    *, dispute: Dispute, user, text: str = "", files: list | tuple = (), now: dt.datetime
) -> DisputeMessage:
    """DSP-6: buyer, seller or the team write inside the open dispute, with evidence files.
    A party asked for evidence (DSP-5) who answers sends the dispute back to the team."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        role = role_of(locked, user)
        if role is None:
            raise NotFound(_("No such dispute."), code="not_found")
        fields: dict = {}
        text = _text(text, field="text", fields=fields, required=not files, limit=MAX_DESCRIPTION)
        checked = evidence_check_all(files, fields)
        if fields:
            raise _invalid(fields)
        _enforce(check_message(locked, now), conflict=True)
        message = DisputeMessage.objects.create(dispute=locked, author=user, role=role, text=text, at=now)
        attached = _attach(locked, checked, user=user, role=role, now=now, message=message)
        dispute_event(
            locked,
            kind="message",
            actor=role,
            actor_user=user,
            now=now,
            note=text[:300],
            data={"message": message.pk, "files": len(attached)},
            on_order=False,
        )
        if role == A.STAFF:
            audit_record(actor=user, action="dispute.message", data={"dispute": locked.pk}, at=now)
        if locked.state == S.AWAITING_EVIDENCE and locked.evidence_party == role:
            dispute_transition(
                dispute=locked,
                to=S.TEAM_REVIEW,
                actor=role,
                actor_user=user,
                now=now,
                kind="evidence_received",
            )
        notices.message(locked, message, now=now)
        return message


# --- the return (DSP-3) -----------------------------------------------------------------------------


def _tracking(tracking_number, fields: dict) -> str:
    # Stored upper-case without spaces, as carriers print it in groups ("9400 1000 …").
    tracking = "".join((tracking_number or "").split()).upper() if isinstance(tracking_number, str) else ""
    if not tracking or len(tracking) > 80 or not tracking.replace("-", "").isalnum():
        fields["tracking_number"] = [_("Enter the tracking number: letters and digits, up to 80.")]
    return tracking


def return_tracking_submit(
    *, dispute: Dispute, buyer, carrier: str, tracking_number: str, now: dt.datetime
) -> Dispute:
    """DSP-3: the buyer submits the return parcel's traceable tracking, once, within the window;
    the seller then has 30 days to confirm receipt."""
    fields: dict = {}
    carrier = _text(carrier, field="carrier", fields=fields, required=True, limit=80)
    tracking = _tracking(tracking_number, fields)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        if locked.return_tracking_number:
            _enforce(check_return_tracking(locked, now), conflict=True)
        if tracking and tracking == "".join((locked.order.tracking_number or "").split()).upper():
            # The carrier's scans of this number are the outbound parcel's, not the return's.
            fields["tracking_number"] = [
                _("This is the seller's shipment; enter the return parcel's number.")
            ]
        if fields:
            raise _invalid(fields)
        _enforce(check_return_tracking(locked, now), conflict=True)
        locked.return_carrier, locked.return_tracking_number = carrier, tracking
        locked.return_shipped_at = now
        locked.save(update_fields=["return_carrier", "return_tracking_number", "return_shipped_at"])
        moved = dispute_transition(
            dispute=locked,
            to=S.RETURN_SHIPPED,
            actor=A.BUYER,
            actor_user=buyer,
            now=now,
            kind="return_shipped",
            note=f"{carrier} {tracking}",
            data={"carrier": carrier, "tracking_number": tracking},
        )
        notices.return_shipped(moved, now=now)
        return moved


def return_tracking_delivered(*, dispute: Dispute, now: dt.datetime, staff=None) -> Dispute:
    """DSP-3: the carrier reports the return parcel delivered (used when the seller stays silent).
    The tracking webhook feeds it (return_scan_record); staff who saw the carrier's scan may too
    (audited)."""
    if staff is not None:
        _staff(staff)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        if staff is not None:
            audit_record(actor=staff, action="dispute.return_delivered", data={"dispute": locked.pk}, at=now)
        _mark_delivered(locked, at=now, now=now)
        return locked


def _mark_delivered(locked: Dispute, *, at: dt.datetime, now: dt.datetime, data: dict | None = None) -> None:
    if locked.state == S.RETURN_SHIPPED and locked.return_delivered_at is None:
        locked.return_delivered_at = at
        locked.save(update_fields=["return_delivered_at"])
        dispute_event(
            locked,
            kind="return_delivered",
            actor=A.SYSTEM,
            now=now,
            note="The carrier reports the return parcel delivered.",
            data=data,
        )


def return_scan_for(tracking_number: str) -> Dispute | None:
    """DSP-3: the dispute whose submitted return tracking is `tracking_number` (latest first)."""
    number = "".join((tracking_number or "").split()).upper()
    if not number:
        return None
    return (
        Dispute.objects.filter(return_tracking_number=number)
        .order_by("-return_shipped_at", "-pk")
        .first()
    )


def return_scan_record(
    *,
    dispute: Dispute,
    event_id: str,
    status: str,
    occurred_at: dt.datetime,
    location: str = "",
    description: str = "",
    now: dt.datetime,
):
    """DSP-3: one carrier scan of the buyer's return parcel (the tracking webhook), applied once
    per event id. A "delivered" scan while the seller has still to confirm records the delivery,
    so the seller's 30 days of silence end in a refund instead of the dispute team.

    Returns (scan, created)."""
    from disputes.models import ReturnScan

    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        seen = ReturnScan.objects.filter(external_id=event_id).first()
        if seen is not None:
            return seen, False
        try:
            with transaction.atomic():
                scan = ReturnScan.objects.create(
                    dispute=locked,
                    external_id=event_id,
                    status=status,
                    occurred_at=occurred_at,
                    received_at=now,
                    location=(location or "")[:120],
                    description=(description or "")[:300],
                )
        except IntegrityError:  # the same event delivered twice at once
            return ReturnScan.objects.get(external_id=event_id), False
        dispute_event(
            locked,
            kind="return_scan",
            actor=A.SYSTEM,
            now=now,
            note=f"{status} {location}".strip()[:300],
            data={"event_id": event_id, "status": status, "occurred_at": occurred_at.isoformat()},
            on_order=False,
        )
        if status == "delivered":
            _mark_delivered(locked, at=min(occurred_at, now), now=now, data={"event_id": event_id})
        return scan, True


def return_receipt_confirm(*, dispute: Dispute, seller, now: dt.datetime) -> Dispute:
    """DSP-3: the seller confirms the returned goods arrived: the agreed refund is made."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _seller_of(locked, seller)
        _enforce(check_return_receipt(locked, now), conflict=True)
        locked.return_received_at = now
        locked.save(update_fields=["return_received_at"])
        if is_repair(locked):  # WAR-1: now the seller repairs or replaces and ships back
            moved = dispute_transition(
                dispute=locked, to=S.REPAIRING, actor=A.SELLER, actor_user=seller, now=now,
                kind="warranty_item_received",
            )
            notices.repairing(moved, now=now)
            return moved
        return _close_with_refund(
            locked,
            amount_minor=locked.agreed_amount_minor or 0,
            actor=A.SELLER,
            actor_user=seller,
            now=now,
            kind="return_received",
        )


def return_receipt_object(
    *, dispute: Dispute, seller, note: str, files: list | tuple = (), now: dt.datetime
) -> Dispute:
    """DSP-3: the seller objects to what came back (or that nothing came): the team decides."""
    fields: dict = {}
    note = _text(note, field="note", fields=fields, required=True, limit=MAX_NOTE)
    checked = evidence_check_all(files, fields)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _seller_of(locked, seller)
        if fields:
            raise _invalid(fields)
        _enforce(check_return_receipt(locked, now), conflict=True)
        _attach(locked, checked, user=seller, role=A.SELLER, now=now)
        moved = dispute_transition(
            dispute=locked,
            to=S.TEAM_REVIEW,
            actor=A.SELLER,
            actor_user=seller,
            now=now,
            kind="return_objected",
            note=note,
        )
        notices.escalated(moved, now=now)
        return moved


# --- warranty repair / replacement (WAR-1) ----------------------------------------------------------


def warranty_reship(
    *, dispute: Dispute, seller, carrier: str, tracking_number: str, now: dt.datetime
) -> Dispute:
    """WAR-1: the seller ships the repaired or replacement item back with tracking, within the
    reship window; the buyer then confirms it or reopens the request to the team."""
    fields: dict = {}
    carrier = _text(carrier, field="carrier", fields=fields, required=True, limit=80)
    tracking = _tracking(tracking_number, fields)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _seller_of(locked, seller)
        if fields:
            raise _invalid(fields)
        _enforce(check_warranty_reship(locked, now), conflict=True)
        locked.reship_carrier, locked.reship_tracking_number = carrier, tracking
        locked.reshipped_at = now
        locked.save(update_fields=["reship_carrier", "reship_tracking_number", "reshipped_at"])
        moved = dispute_transition(
            dispute=locked,
            to=S.RESHIPPED,
            actor=A.SELLER,
            actor_user=seller,
            now=now,
            kind="warranty_reshipped",
            note=f"{carrier} {tracking}",
            data={"carrier": carrier, "tracking_number": tracking},
        )
        notices.reshipped(moved, now=now)
        return moved


def warranty_outcome_confirm(*, dispute: Dispute, buyer, now: dt.datetime) -> Dispute:
    """WAR-1: the buyer confirms the repaired or replacement item is fine: resolved."""
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        _enforce(check_warranty_outcome(locked, now), conflict=True)
        closed = dispute_transition(
            dispute=locked, to=S.RESOLVED, actor=A.BUYER, actor_user=buyer, now=now, kind="warranty_confirmed"
        )
        after_close(closed.order, now)
        notices.closed(closed, now=now)
        return closed


def warranty_reopen(*, dispute: Dispute, buyer, note: str, now: dt.datetime) -> Dispute:
    """WAR-1: the repaired or replacement item is not right: the buyer reopens it to the team."""
    fields: dict = {}
    note = _text(note, field="note", fields=fields, required=True, limit=MAX_NOTE)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _buyer_of(locked, buyer)
        if fields:
            raise _invalid(fields)
        _enforce(check_warranty_outcome(locked, now), conflict=True)
        moved = dispute_transition(
            dispute=locked, to=S.TEAM_REVIEW, actor=A.BUYER, actor_user=buyer, now=now,
            kind="warranty_reopened", note=note,
        )
        notices.escalated(moved, now=now)
        return moved


# --- the dispute team (DSP-5, OPS-1) ----------------------------------------------------------------


def team_request_evidence(
    *, dispute: Dispute, staff, party: str, note: str, due_at: dt.datetime, now: dt.datetime
) -> Dispute:
    """DSP-5: the team asks the buyer or the seller for more evidence by `due_at` (audited)."""
    _staff(staff)
    fields: dict = {}
    if party not in Party.values:
        fields["party"] = [_("One of: buyer, seller.")]
    note = _text(note, field="note", fields=fields, required=True, limit=MAX_NOTE)
    if not isinstance(due_at, dt.datetime) or due_at.tzinfo is None:
        fields["due_at"] = [_("Give a date and time with its time zone.")]
    elif due_at <= now:
        fields["due_at"] = [_("Give a deadline in the future.")]
    if fields:
        raise _invalid(fields)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _enforce(check_team_request_evidence(locked, now, due_at), conflict=True)
        locked.evidence_party, locked.evidence_note = party, note
        locked.save(update_fields=["evidence_party", "evidence_note"])
        moved = dispute_transition(
            dispute=locked,
            to=S.AWAITING_EVIDENCE,
            actor=A.STAFF,
            actor_user=staff,
            now=now,
            kind="evidence_requested",
            note=note,
            due_at=due_at,
            data={"party": party, "due_at": due_at.isoformat()},
        )
        audit_record(
            actor=staff,
            action="dispute.request_evidence",
            data={"dispute": locked.pk, "party": party, "due_at": due_at.isoformat()},
            at=now,
        )
        notices.evidence_requested(moved, now=now)
        return moved


def team_decide(
    *,
    dispute: Dispute,
    staff,
    outcome: str,
    amount_minor: int | None = None,
    with_return: bool = False,
    note: str,
    now: dt.datetime,
) -> Dispute:
    """DSP-5: the team decides — full, partial or no refund, with or without return — and the
    system carries it out (refund now, or after the returned goods arrive). Audited (OPS-1)."""
    _staff(staff)
    fields: dict = {}
    if outcome not in Outcome.values:
        fields["outcome"] = [_("One of: full, partial, none.")]
    if not isinstance(with_return, bool):
        fields["with_return"] = ["true or false."]
    note = _text(note, field="note", fields=fields, required=True, limit=MAX_NOTE)
    with transaction.atomic():
        _order, locked = dispute_locked(dispute)
        _enforce(check_team_decide(locked, now), conflict=True)
        refundable = _refundable(locked.order)
        if outcome == Outcome.FULL:
            amount = refundable
        elif outcome == Outcome.PARTIAL:
            _check_amount(amount_minor, locked.order, fields)
            if not fields.get("amount_minor") and amount_minor >= refundable:
                fields["amount_minor"] = [
                    "A partial refund is less than the refundable amount; choose a full refund instead."
                ]
            amount = amount_minor
        else:
            amount = 0
        if outcome == Outcome.NONE and with_return:
            fields["with_return"] = [_("A decision without refund has no return.")]
        if fields:
            raise _invalid(fields)
        locked.outcome, locked.decision_note = outcome, note
        locked.save(update_fields=["outcome", "decision_note"])
        audit_record(
            actor=staff,
            action="dispute.decide",
            data={
                "dispute": locked.pk,
                "outcome": outcome,
                "amount_minor": amount,
                "with_return": with_return,
            },
            at=now,
        )
        if outcome == Outcome.NONE:
            closed = dispute_transition(
                dispute=locked,
                to=S.CLOSED_NO_REFUND,
                actor=A.STAFF,
                actor_user=staff,
                now=now,
                kind="decided",
                note=note,
                data={"outcome": outcome},
            )
            after_close(closed.order, now)
            notices.decided(closed, now=now)
            return closed
        if with_return:
            moved = _to_return(
                locked,
                amount_minor=amount,
                actor=A.STAFF,
                actor_user=staff,
                now=now,
                kind="decided",
                note=note,
            )
            notices.decided(moved, now=now)
            return moved
        locked.agreed_amount_minor = amount
        locked.save(update_fields=["agreed_amount_minor"])
        closed = _close_with_refund(
            locked, amount_minor=amount, actor=A.STAFF, actor_user=staff, now=now, kind="decided", note=note
        )
        notices.decided(closed, now=now)
        return closed


# --- what the deadlines do (deadlines fire these through disputes.deadline_handlers) -----------------


def _escalate(locked: Dispute, *, now: dt.datetime, note: str) -> str:
    """A deadline passed with nobody acting: the dispute team takes over (DSP-4, DSP-5, WAR-1)."""
    moved = dispute_transition(dispute=locked, to=S.TEAM_REVIEW, actor=A.SYSTEM, now=now, kind="escalated",
                               note=note)
    notices.escalated(moved, now=now)
    return "escalated"


def _system_close(locked: Dispute, *, to: DisputeState, kind: str, note: str, now: dt.datetime) -> Dispute:
    """A deadline closes the dispute without money moving; the order may then complete (BP-2)."""
    closed = dispute_transition(dispute=locked, to=to, actor=A.SYSTEM, now=now, kind=kind, note=note)
    after_close(closed.order, now)
    notices.closed(closed, now=now)
    return closed

def seller_answer_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """DSP-2: no answer in 5 days → the buyer's request is granted. WAR-1: → the dispute team."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.AWAITING_SELLER:
            return "skipped: dispute moved on"
        if locked.kind == Kind.WARRANTY:
            return _escalate(locked, now=now, note="The seller did not answer in time.")
        if locked.solution not in DISPUTE_SOLUTIONS:
            return "skipped: nothing to grant"
        _grant(
            locked,
            solution=locked.solution,
            amount_minor=locked.amount_minor,
            actor=A.SYSTEM,
            now=now,
            kind="granted_unanswered",
            note="The seller did not answer in time: the request is granted.",
        )
        return "granted"


def settle_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """DSP-4: not settled within 5 days of the refusal → the dispute team."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.NEGOTIATING:
            return "skipped: dispute moved on"
        return _escalate(locked, now=now, note="Not settled in time: the dispute team takes over.")


def return_ship_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """DSP-3: no return tracking within the window → closed without refund."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.AWAITING_RETURN:
            return "skipped: dispute moved on"
        _system_close(
            locked, to=S.CLOSED_NO_REFUND, kind="return_not_sent", now=now,
            note="The goods were not sent back in time.",
        )
        return "closed: return not sent"


def return_confirm_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """DSP-3: the seller neither confirmed nor objected in 30 days → refund if the return parcel
    was delivered, else the dispute team."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.RETURN_SHIPPED:
            return "skipped: dispute moved on"
        if locked.return_delivered_at is not None and not is_repair(locked):
            _close_with_refund(
                locked,
                amount_minor=locked.agreed_amount_minor or 0,
                actor=A.SYSTEM,
                now=now,
                kind="refunded_unconfirmed",
                note="The seller did not confirm; the parcel was delivered.",
            )
            return "refunded"
        if is_repair(locked):
            return _escalate(locked, now=now, note="The seller did not confirm the item arrived.")
        return _escalate(
            locked, now=now, note="The seller did not confirm and the parcel shows no delivery."
        )


def evidence_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """DSP-5: the evidence deadline passed: the team decides with what it has."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.AWAITING_EVIDENCE:
            return "skipped: dispute moved on"
        dispute_transition(
            dispute=locked,
            to=S.TEAM_REVIEW,
            actor=A.SYSTEM,
            now=now,
            kind="evidence_deadline",
            note="The evidence deadline passed.",
        )
        return "back to the team"


def warranty_reship_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """WAR-1: the seller did not ship the repaired or replacement item in time → the team."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.REPAIRING:
            return "skipped: dispute moved on"
        return _escalate(
            locked, now=now, note="The seller did not send the repaired or replacement item in time."
        )


def warranty_outcome_expire(*, dispute: Dispute, now: dt.datetime) -> str:
    """WAR-1: the buyer neither confirmed nor reopened in time → resolved."""
    with atomic():
        _order, locked = dispute_locked(dispute)
        if locked.state != S.RESHIPPED:
            return "skipped: dispute moved on"
        _system_close(
            locked, to=S.RESOLVED, kind="warranty_outcome_silent", now=now,
            note="The buyer did not reopen the request in time.",
        )
        return "resolved"
