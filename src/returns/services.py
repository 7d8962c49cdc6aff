"""Free Return use cases (RET-1…RET-4).

- `return_request_create`: the buyer picks Free Return items and units; the return gets a
  code for the local return point of the provider serving the shipping country (RET-3).
  The order's first return is free; later ones are at the buyer's cost, which the buyer
  must accept explicitly and which is recorded on the request (RET-2). The code expires
  after policy.return_code_valid_for (a deadline row).
- `return_cancel`: the buyer gives up before the parcel is dropped off.
- `return_provider_update`: a status from the provider's signed webhook (dropped off, in
  transit, received; "inspected" carries the warehouse report). Each event id applies once.
- `return_inspect`: the warehouse (webhook) or staff (back office, audited) report the units
  in good condition per line → refund pro rata through payments.services.refund_order_amount
  (to where PAY-4 says), 0 for an empty parcel. No exchanges: the only outcome is a refund.
- `return_expire` / `return_remind`: the code-expiry deadline and its reminder (NTF-1).

While a return is open the order's escrow is not released (ledger release blocker, see
returns.selectors.order_has_open_return); when the last open return of an order that has
completed meanwhile ends, the held money is released then (BP-2).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.policy import policy
from orders.models import Order, OrderEvent
from orders.rules import Decision
from orders.states import Actor as OrderActor
from orders.transitions import order_locked
from returns import notices, rules
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from returns.providers import provider_for_country, provider_get
from returns.selectors import refund_for_units
from returns.states import (
    PROGRESS,
    PROVIDER_STATUSES,
    ReturnActor,
    ReturnDeadline,
    ReturnState,
)
from returns.transitions import SUBJECT, return_arm, return_event, return_locked, return_transition

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
MAX_UNITS = 10_000


def _enforce(decision: Decision) -> None:
    if not decision:
        raise NotAllowed(decision.reason, code=decision.code)


def _invalid(fields: dict, message: str = "", code: str = "validation_error"):
    return DomainError(message or _("Some fields are invalid."), code=code, fields=fields, status=422)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def new_return_code() -> str:
    return "RT-" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))


def _order_event(order: Order, *, kind: str, actor: str, now: dt.datetime, actor_user=None,
                 reason: str = "", data: dict | None = None) -> None:
    """The return as seen on the order's own timeline."""
    OrderEvent.objects.create(
        order=order, at=now, actor=actor, actor_user=actor_user, kind=kind,
        from_state=order.state, to_state=order.state, reason=reason[:300], data=data or {},
    )


# --- the buyer starts a return (RET-1, RET-2, RET-3) ----------------------------------------------


def _clean_lines(order: Order, lines) -> dict[int, int]:
    """{order line id: units} from the input, with a message per bad line; nothing partial."""
    if isinstance(lines, list):
        pairs, errors = {}, {}
        for i, item in enumerate(lines):
            line_id = item.get("line_id") if isinstance(item, dict) else None
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if not _whole(line_id):
                errors[f"lines.{i}.line_id"] = [_("Give the id of an item of this order.")]
            elif line_id in pairs:
                errors[f"lines.{i}.line_id"] = [_("This item is listed twice.")]
            else:
                pairs[line_id] = quantity
        if errors:
            raise _invalid(errors)
        lines = pairs
    if not isinstance(lines, dict) or not lines:
        raise _invalid({"lines": [_("Choose at least one item and how many units to send back.")]})
    left = rules.returnable_units(order)
    disputed = None  # whether disputes took units too: asked only when a line asks too many
    errors: dict[str, list[str]] = {}
    clean: dict[int, int] = {}
    for line_id, quantity in lines.items():
        key = f"lines.{line_id}"
        if not _whole(line_id) or line_id not in {line.pk for line in order.lines.all()}:
            errors[key] = [_("This item is not part of the order.")]
        elif line_id not in left:
            errors[key] = [_("This item does not offer Free Return.")]
        elif not _whole(quantity) or quantity < 1:
            errors[key] = [_("Send back at least one unit (a whole number).")]
        elif quantity > left[line_id]:
            message = _("At most %(n)s unit(s) of this item can still be returned.")
            if disputed is None:
                disputed = rules.lines_taken_by_disputes(order)
            if line_id in disputed:  # RET-1 / DSP-1: what a dispute refunded or claims is not returned
                message = _("Some units of this item were refunded or are claimed in a dispute: at most "
                            "%(n)s unit(s) can still be returned.")
            errors[key] = [message % {"n": left[line_id]}]
        else:
            clean[line_id] = quantity
    if errors:
        raise _invalid(errors)
    return clean


def return_request_create(
    *, order: Order, buyer, lines, accept_paid_shipping: bool = False, now: dt.datetime
) -> ReturnRequest:
    """Start a return of `lines` ({order line id: units} or [{"line_id", "quantity"}])."""
    if order.buyer_id != getattr(buyer, "pk", None):
        raise NotFound(_("There is no such order in your account."))
    with transaction.atomic():
        locked = order_locked(order)
        _enforce(rules.check_request_return(locked, now))
        chosen = _clean_lines(locked, lines)  # under the order lock: units left cannot change
        is_free = rules.next_return_is_free(locked)
        if not is_free and accept_paid_shipping is not True:
            message = _("This order already used its free return: this return is at your cost (you pay "
                        "the return shipping at the drop-off point). Confirm that to go on.")
            raise _invalid({"accept_paid_shipping": [message]}, message, "paid_return_not_accepted")
        provider = provider_for_country(locked.ship_country)
        request = None
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    request = ReturnRequest.objects.create(
                        order=locked, buyer_id=locked.buyer_id, state=ReturnState.CODE_ISSUED,
                        is_free=is_free, buyer_accepted_cost_at=None if is_free else now,
                        provider=provider.slug, country=locked.ship_country,
                        return_code=new_return_code(),
                        return_point=provider.return_point(locked.ship_country),
                        currency=locked.currency, created_at=now,
                        code_expires_at=now + policy.return_code_valid_for,
                    )
                break
            except IntegrityError:  # a return code drawn twice: draw again
                continue
        if request is None:
            raise Conflict(_("Could not issue a return code; please try again."), code="code_unavailable")
        ReturnLine.objects.bulk_create(
            [ReturnLine(request=request, order_line_id=line_id, quantity=n) for line_id, n in chosen.items()]
        )
        return_arm(request, ReturnDeadline.CODE_EXPIRY, now)
        return_event(
            request, kind="code_issued", actor=ReturnActor.BUYER, actor_user=buyer, now=now,
            from_state="", to_state=ReturnState.CODE_ISSUED,
            reason="Free return" if is_free else "Return at the buyer's cost (the free return was used)",
            data={"lines": {str(k): v for k, v in chosen.items()}, "is_free": is_free},
        )
        _order_event(
            locked, kind="return_started", actor=OrderActor.BUYER, actor_user=buyer, now=now,
            reason=f"Return {request.return_code} via {provider.name}"
            + ("" if is_free else " (buyer pays the return shipping)"),
            data={"return": request.pk},
        )
        request.order = locked
        notices.code_issued(request, now=now)
    return request


def return_cancel(*, request: ReturnRequest, buyer, now: dt.datetime) -> ReturnRequest:
    """RET-3: the buyer gives up before the parcel is handed over (the free return is kept)."""
    if request.buyer_id != getattr(buyer, "pk", None):
        raise NotFound(_("There is no such return in your account."))
    with transaction.atomic():
        locked = return_locked(request)
        _enforce(rules.check_cancel_return(locked, now))
        done = return_transition(
            request=locked, to=ReturnState.CANCELLED, actor=ReturnActor.BUYER, actor_user=buyer,
            now=now, kind="cancelled", reason="The buyer cancelled the return",
        )
        _release_if_completed(done.order_id, now)
    return done


# --- the provider's updates (RET-3) -----------------------------------------------------------------


def _external_id(provider: str, event_id: str) -> str:
    return f"{provider}:{event_id}"


def return_provider_update(
    *,
    provider: str,
    event_id: str,
    return_code: str,
    status: str,
    occurred_at: dt.datetime,
    location: str = "",
    units_good: dict | None = None,
    now: dt.datetime,
) -> tuple[ReturnRequest, str]:
    """Apply one provider event once; returns the return and "applied", "duplicate" or "ignored"
    (an update for a step the return is already past is recorded but changes nothing)."""
    if status not in PROVIDER_STATUSES:
        raise _invalid({"status": [f"One of: {', '.join(PROVIDER_STATUSES)}."]})
    external_id = _external_id(provider, event_id)
    seen = ReturnEvent.objects.select_related("request").filter(external_id=external_id).first()
    if seen is not None:
        return seen.request, "duplicate"
    request = ReturnRequest.objects.filter(provider=provider, return_code=return_code.upper()).first()
    if request is None:
        message = "No return of this provider has this return code."
        raise NotFound(message, code="unknown_return_code", fields={"return_code": [message]})
    target = PROVIDER_STATUSES[status]
    if target == ReturnState.INSPECTED:
        return_inspect(
            request=request, units_good=units_good or {}, actor=ReturnActor.WAREHOUSE, now=now,
            external_id=external_id, occurred_at=occurred_at,
        )
        return ReturnRequest.objects.get(pk=request.pk), "applied"
    with transaction.atomic():
        locked = return_locked(request)
        if ReturnEvent.objects.filter(external_id=external_id).exists():  # delivered twice at once
            return locked, "duplicate"
        if locked.state in (ReturnState.EXPIRED, ReturnState.CANCELLED):
            raise Conflict(
                f"This return is {ReturnState(locked.state).label.lower()}; its code is no longer valid.",
                code="return_closed",
            )
        data = {"status": status, "occurred_at": occurred_at.isoformat()}
        if PROGRESS[target] <= PROGRESS[ReturnState(locked.state)]:
            return_event(
                locked, kind="provider_update_ignored", actor=ReturnActor.PROVIDER, now=now,
                location=location, external_id=external_id, data=data,
                reason=f"Already {ReturnState(locked.state).label.lower()}",
            )
            return locked, "ignored"
        moved = return_transition(
            request=locked, to=target, actor=ReturnActor.PROVIDER, now=now, kind="provider_update",
            location=location, external_id=external_id, occurred_at=occurred_at, data=data,
            reason=target.label,
        )
        if target == ReturnState.RECEIVED:
            notices.received(moved, now=now)
    return moved, "applied"


# --- the warehouse report and the refund (RET-4) ----------------------------------------------------


def _clean_units(request: ReturnRequest, units_good) -> dict[int, int]:
    """{return line id: units in good condition} for every line of the return, each 0…sent."""
    if isinstance(units_good, list):
        pairs, errors = {}, {}
        for i, item in enumerate(units_good):
            line_id = item.get("line_id") if isinstance(item, dict) else None
            if not _whole(line_id):
                errors[f"lines.{i}.line_id"] = [_("Give the id of a line of this return.")]
            elif line_id in pairs:
                errors[f"lines.{i}.line_id"] = [_("This line is listed twice.")]
            else:
                pairs[line_id] = item.get("units_good")
        if errors:
            raise _invalid(errors)
        units_good = pairs
    if not isinstance(units_good, dict):
        raise _invalid({"lines": [_("Report the units in good condition for each line.")]})
    lines = {line.pk: line for line in request.lines.all()}
    errors: dict[str, list[str]] = {}
    clean: dict[int, int] = {}
    for line_id in units_good:
        if line_id not in lines:
            errors[f"lines.{line_id}"] = [_("This line is not part of the return.")]
    for line_id, line in lines.items():
        value = units_good.get(line_id)
        key = f"lines.{line_id}"
        if value is None:
            errors[key] = [_("Report how many units arrived in good condition (0 if none).")]
        elif not _whole(value) or value < 0:
            errors[key] = [_("A whole number of units, 0 or more.")]
        elif value > line.quantity:
            errors[key] = [_("At most %(n)s: the units sent back.") % {"n": line.quantity}]
        else:
            clean[line_id] = value
    if errors:
        raise _invalid(errors)
    return clean


def return_inspect(
    *,
    request: ReturnRequest,
    units_good,
    actor: str,
    now: dt.datetime,
    staff=None,
    note: str = "",
    external_id: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> ReturnRequest:
    """RET-4: record the units in good condition per line and refund their share (0 → no refund).

    `units_good` is {return line id: units} (or [{"line_id", "units_good"}]); every line of
    the return must be reported. Staff reports are audited.
    """
    if actor == ReturnActor.STAFF and not (getattr(staff, "is_staff", False) and staff.is_active):
        raise NotFound(_("No such return."))
    note = (note or "").strip()
    if len(note) > 300:
        raise _invalid({"note": [_("At most 300 characters.")]})
    from payments.services import order_refundable_minor, refund_order_amount

    with transaction.atomic():
        locked = return_locked(request)
        if external_id and ReturnEvent.objects.filter(external_id=external_id).exists():
            return locked
        _enforce(rules.check_inspect(locked, now))
        good = _clean_units(locked, units_good)
        lines = list(locked.lines.select_related("order_line"))
        order = locked.order
        units = [(line.order_line.unit_price_minor, good[line.pk]) for line in lines]
        amount = min(refund_for_units(order=order, units=units), order_refundable_minor(order))
        for line in lines:
            line.units_good = good[line.pk]
        ReturnLine.objects.bulk_update(lines, ["units_good"])
        sent, kept = sum(line.quantity for line in lines), sum(good.values())
        reason = f"Free Return {locked.return_code}: {kept} of {sent} units in good condition"
        refund = None
        if amount > 0:
            refund = refund_order_amount(
                order=order, amount_minor=amount, reason=reason, event_key=f"return:{locked.pk}:refund",
                now=now,
            )
        inspected = return_transition(
            request=locked, to=ReturnState.INSPECTED, actor=actor, actor_user=staff, now=now,
            kind="inspected", reason=note or reason, external_id=external_id, occurred_at=occurred_at,
            data={"units_good": {str(k): v for k, v in good.items()}, "refund_minor": amount},
        )
        inspected.refund_minor, inspected.refund, inspected.inspected_by = amount, refund, staff
        inspected.save(update_fields=["refund_minor", "refund", "inspected_by"])
        _order_event(
            order, kind="return_inspected",
            actor=OrderActor.STAFF if actor == ReturnActor.STAFF else OrderActor.SYSTEM,
            actor_user=staff, now=now, reason=reason, data={"return": locked.pk, "refund_minor": amount},
        )
        if actor == ReturnActor.STAFF:
            audit_record(
                actor=staff, action="return.inspect", at=now,
                data={"return": locked.pk, "order": order.number,
                      "units_good": {str(k): v for k, v in good.items()},
                      "refund_minor": amount, "currency": locked.currency, "note": note},
            )
        notices.inspected(inspected, good=kept, sent=sent, now=now)
        _release_if_completed(order.pk, now)
    return inspected


# --- the code-expiry deadline (RET-3) -----------------------------------------------------------------


def return_expire(*, request_id: int, now: dt.datetime) -> str:
    """The code was not used in time: the return is dropped (its free slot comes back)."""
    try:
        locked = return_locked(request_id)
    except ReturnRequest.DoesNotExist:
        return "skipped: no such return"
    if locked.state != ReturnState.CODE_ISSUED:
        return "skipped: return moved on"
    expired = return_transition(
        request=locked, to=ReturnState.EXPIRED, actor=ReturnActor.SYSTEM, now=now, kind="expired",
        reason="The return code was not used in time",
    )
    notices.code_expired(expired, now=now)
    _release_if_completed(expired.order_id, now)
    return "expired"


def return_remind(*, request_id: int, now: dt.datetime) -> str:
    from deadlines.services import deadline_due_at

    request = ReturnRequest.objects.select_related("order").filter(pk=request_id).first()
    if request is None or request.state != ReturnState.CODE_ISSUED:
        return "skipped: return moved on"
    due = deadline_due_at(subject_type=SUBJECT, subject_id=request.pk, kind=ReturnDeadline.CODE_EXPIRY)
    if due is None:
        return "skipped: deadline no longer pending"
    notices.code_expiring(request, due, now=now)
    return "reminded"


# --- escrow (BP-2) ---------------------------------------------------------------------------------------


def _release_if_completed(order_id: int, now: dt.datetime) -> None:
    """BP-2 after a return ends: once nothing holds the order's money any more (no open return,
    no open dispute — the ledger's release blockers), an order whose protection has ended
    completes (its protection-end firing was skipped while the return was open) and what its
    escrow still holds is released to the seller: the path every case shares
    (orders.deadline_handlers.order_complete_after_case)."""
    from orders.deadline_handlers import order_complete_after_case

    order_complete_after_case(
        order=order_locked(order_id), now=now, reason="Buyer protection ended; the return is finished"
    )


def provider_known(slug: str) -> bool:
    return provider_get(slug) is not None
