"""What each dispute deadline does when it fires (registered in DisputesConfig.ready).

Each handler locks the order then the dispute (orders.transitions.order_locked inside the
batch, see deadlines/batch.py) and re-checks that the dispute is still in the state that
armed the deadline; if it moved on, the firing is skipped.

`prepare_disputes` runs once per batch before the firings: it locks the batch's orders and
then their disputes with SELECT … FOR UPDATE SKIP LOCKED (the same order as every dispute
service: order first). A dispute whose order or row another transaction holds (a seller
answering right now, who may be disarming this very deadline) is left, untouched, for a
later batch: waiting for it while holding the deadline row could deadlock.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from deadlines.batch import current as current_batch
from deadlines.models import Deadline
from deadlines.registry import register
from deadlines.rows import ids_in
from deadlines.services import deadline_due_at
from disputes import notices, services
from disputes.models import Dispute
from disputes.states import DEADLINE_PARTY, DeadlineKind, reminder_kind
from disputes.transitions import SUBJECT, dispute_locked
from orders.models import Order
from orders.transitions import SUBJECT as ORDER


def prepare_disputes(deadlines: list[Deadline], now: dt.datetime) -> set[int]:
    """Lock the batch's orders, then disputes; returns the ids of deadlines to leave for later."""
    batch = current_batch()
    wanted = sorted({d.subject_id for d in deadlines})
    order_of = dict(Dispute.objects.filter(pk__in=ids_in(wanted)).values_list("pk", "order_id"))
    skip = connection.features.has_select_for_update_skip_locked
    orders = Order.objects.filter(pk__in=ids_in(sorted(set(order_of.values())))).order_by("pk")
    if skip:
        orders = orders.select_for_update(skip_locked=True, of=("self",))
    locked_orders = set()
    for order in orders:
        if batch.subject(ORDER, order.pk) is None:
            batch.subject_locked(ORDER, order.pk, order)
        locked_orders.add(order.pk)
    ready = [pk for pk, order_id in order_of.items() if order_id in locked_orders]
    disputes = Dispute.objects.filter(pk__in=ids_in(ready)).order_by("pk")
    if skip:
        disputes = disputes.select_for_update(skip_locked=True)
    locked = set(disputes.values_list("pk", flat=True))
    # A dispute that no longer exists fires, and its handler records "skipped".
    return {d.pk for d in deadlines if d.subject_id in order_of and d.subject_id not in locked}


def _dispute(deadline: Deadline) -> Dispute | None:
    try:
        return Dispute.objects.get(pk=deadline.subject_id)
    except Dispute.DoesNotExist:
        return None


def _run(action):
    def handler(deadline: Deadline, now: dt.datetime) -> str:
        dispute = _dispute(deadline)
        if dispute is None or dispute.state != deadline.armed_state:
            return "skipped: dispute moved on"
        return action(dispute=dispute, now=now)

    handler.__doc__ = action.__doc__
    return handler


def _reminder_handler(kind: str):
    def on_reminder(deadline: Deadline, now: dt.datetime) -> str:
        """NTF-1: remind the party whose deadline this is, 24 h before it passes."""
        dispute = _dispute(deadline)
        if dispute is None or dispute.state != deadline.armed_state:
            return "skipped: dispute moved on"
        _order, locked = dispute_locked(dispute)
        due = deadline_due_at(subject_type=SUBJECT, subject_id=locked.pk, kind=kind)
        if due is None or locked.state != deadline.armed_state:
            return "skipped: deadline no longer pending"
        party = DEADLINE_PARTY.get(kind) or locked.evidence_party
        notices.reminder(locked, kind, party, due, now=now)
        return "reminded"

    return on_reminder


HANDLERS = {
    DeadlineKind.SELLER_ANSWER: services.seller_answer_expire,
    DeadlineKind.SETTLE: services.settle_expire,
    DeadlineKind.RETURN_SHIP: services.return_ship_expire,
    DeadlineKind.RETURN_CONFIRM: services.return_confirm_expire,
    DeadlineKind.EVIDENCE: services.evidence_expire,
    DeadlineKind.RESHIP: services.warranty_reship_expire,  # WAR-1
    DeadlineKind.OUTCOME: services.warranty_outcome_expire,  # WAR-1
}


def register_all() -> None:
    for kind, action in HANDLERS.items():
        register(kind, _run(action), prepare=prepare_disputes)
        register(reminder_kind(kind), _reminder_handler(kind), prepare=prepare_disputes)
