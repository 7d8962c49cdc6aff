"""The return-code expiry deadline and its reminder (RET-3, NTF-1), registered in
ReturnsConfig.ready. Each handler locks the return (its order first) and re-checks that it
is still in the state that armed the deadline; a return that moved on is skipped.

`prepare_returns` runs once per batch before the firings: it takes the locks of the batch's
orders and returns with SKIP LOCKED, so the handlers' own locks are then granted at once.
A return (or its order) that another transaction holds — a buyer cancelling it, a provider
webhook moving it — is left, its deadline untouched, for a later batch: that holder may be
disarming this very deadline row, and waiting for it while holding the row would deadlock.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from deadlines.models import Deadline
from deadlines.registry import register
from deadlines.rows import ids_in
from returns.states import ReturnDeadline, reminder_kind


def prepare_returns(deadlines: list[Deadline], now: dt.datetime) -> set[int]:
    """Lock the batch's orders, then returns, without waiting; returns the ids of deadlines to
    leave for a later batch (their return or order is held by another transaction)."""
    from orders.models import Order
    from returns.models import ReturnRequest

    if not connection.features.has_select_for_update_skip_locked:
        return set()  # SQLite: one writer at a time, nothing to skip
    wanted = sorted({d.subject_id for d in deadlines})
    order_of = dict(ReturnRequest.objects.filter(pk__in=ids_in(wanted)).values_list("pk", "order_id"))
    order_ids = sorted(set(order_of.values()))
    got_orders = set(
        Order.objects.filter(pk__in=ids_in(order_ids)).order_by("pk")
        .select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
    )
    candidates = sorted(pk for pk, order_id in order_of.items() if order_id in got_orders)
    got_returns = set(
        ReturnRequest.objects.filter(pk__in=ids_in(candidates)).order_by("pk")
        .select_for_update(skip_locked=True).values_list("pk", flat=True)
    )
    # A return that no longer exists fires, and its handler records "skipped".
    busy = {pk for pk in order_of if pk not in got_returns}
    return {d.pk for d in deadlines if d.subject_id in busy}


def on_code_expiry(deadline: Deadline, now: dt.datetime) -> str:
    from returns.services import return_expire

    return return_expire(request_id=deadline.subject_id, now=now)


def on_code_expiry_reminder(deadline: Deadline, now: dt.datetime) -> str:
    from returns.services import return_remind

    return return_remind(request_id=deadline.subject_id, now=now)


def register_all() -> None:
    register(ReturnDeadline.CODE_EXPIRY, on_code_expiry, prepare=prepare_returns)
    register(reminder_kind(ReturnDeadline.CODE_EXPIRY), on_code_expiry_reminder, prepare=prepare_returns)
