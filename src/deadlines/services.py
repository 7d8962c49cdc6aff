"""Arming and disarming deadlines. Called by the transition functions of each subject.

Inside a deadline batch whose prepare hook loaded the subject's pending deadlines
under the subject's lock (deadlines.batch), these functions use that knowledge:
nothing to disarm costs no query, and rows are disarmed by id.
"""

from __future__ import annotations

import datetime as dt

from deadlines.batch import PendingRow, current
from deadlines.models import Deadline, Status
from deadlines.rows import rows_insert, sql_run

_DISARM_SQL = (
    'UPDATE "deadlines_deadline" SET "status" = %s, "fired_at" = %s, "outcome" = %s '
    'WHERE "subject_type" = %s AND "subject_id" = %s AND "status" = %s'
)
_DISARM_KIND_SQL = _DISARM_SQL + ' AND "kind" = %s'


def deadline_arm(
    *,
    kind: str,
    subject_type: str,
    subject_id: int,
    armed_state: str,
    due_at: dt.datetime,
    now: dt.datetime,
) -> Deadline:
    """Arm a deadline, replacing a pending one of the same kind for the same subject."""
    deadline_disarm(kind=kind, subject_type=subject_type, subject_id=subject_id, now=now)
    batch = current()
    known = batch.pending(subject_type, subject_id) if batch is not None else None
    if known is not None:  # one pending deadline per kind: the replaced row must be written first
        batch.write_disarmed_now(subject_type, subject_id, kind, now)
    deadline = Deadline.objects.create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        armed_state=armed_state,
        due_at=due_at,
        armed_at=now,
    )
    if known is not None:
        known[deadline.pk] = PendingRow(deadline.pk, kind, due_at)
    return deadline


def deadlines_arm_fresh(deadlines: list[Deadline]) -> list[Deadline]:
    """Arm new Deadline rows (unsaved) of subjects known to have nothing pending of their kinds.

    For a caller that has just created the subject or disarmed all its deadlines in this
    transaction: one INSERT for all, without deadline_arm's disarm of each kind first.
    Outside a deadline batch only (a batch tracks its subjects' pending rows itself).
    """
    if current() is not None:
        raise RuntimeError("deadlines_arm_fresh runs outside deadline batches; use deadline_arm")
    rows_insert(deadlines)  # one INSERT … RETURNING id (no signals: Deadline has none)
    return deadlines


def deadline_disarm(*, subject_type: str, subject_id: int, now: dt.datetime, kind: str | None = None) -> int:
    """Disarm the subject's pending deadlines (of one kind, or all).

    In a batch that knows them (see the module doc), the rows are written at its end.
    """
    batch = current()
    known = batch.pending(subject_type, subject_id) if batch is not None else None
    if known is None:
        params = [Status.DISARMED.value, now, "disarmed", subject_type, subject_id, Status.PENDING.value]
        if kind is None:
            return sql_run(_DISARM_SQL, params)
        return sql_run(_DISARM_KIND_SQL, [*params, kind])
    rows = [row for row in known.values() if kind is None or row.kind == kind]
    if rows:
        batch.disarm(subject_type, subject_id, rows, now)
    return len(rows)


def deadline_pending(*, subject_type: str, subject_id: int) -> dict[str, Deadline]:
    rows = Deadline.objects.filter(subject_type=subject_type, subject_id=subject_id, status=Status.PENDING)
    batch = current()
    gone = batch.unwritten(subject_type, subject_id) if batch is not None else set()
    return {d.kind: d for d in rows if d.pk not in gone}


def deadline_due_at(*, subject_type: str, subject_id: int, kind: str) -> dt.datetime | None:
    """When the subject's pending deadline `kind` is due (None when none is pending)."""
    batch = current()
    known = batch.pending(subject_type, subject_id) if batch is not None else None
    if known is not None:
        return next((row.due_at for row in known.values() if row.kind == kind), None)
    return (
        Deadline.objects.filter(
            subject_type=subject_type, subject_id=subject_id, kind=kind, status=Status.PENDING
        )
        .values_list("due_at", flat=True)
        .first()
    )
