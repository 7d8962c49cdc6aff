"""Arming and disarming deadlines. Called by the transition functions of each subject."""

from __future__ import annotations

import datetime as dt

from deadlines.models import Deadline, Status


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
    return Deadline.objects.create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        armed_state=armed_state,
        due_at=due_at,
        armed_at=now,
    )


def deadline_disarm(*, subject_type: str, subject_id: int, now: dt.datetime, kind: str | None = None) -> int:
    """Disarm the subject's pending deadlines (of one kind, or all)."""
    pending = Deadline.objects.filter(subject_type=subject_type, subject_id=subject_id, status=Status.PENDING)
    if kind is not None:
        pending = pending.filter(kind=kind)
    return pending.update(status=Status.DISARMED, fired_at=now, outcome="disarmed")


def deadline_pending(*, subject_type: str, subject_id: int) -> dict[str, Deadline]:
    rows = Deadline.objects.filter(subject_type=subject_type, subject_id=subject_id, status=Status.PENDING)
    return {d.kind: d for d in rows}
