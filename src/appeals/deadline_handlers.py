"""The appeal review deadline (PAY-3), registered in AppealsConfig.ready."""

from __future__ import annotations

import datetime as dt

from deadlines.models import Deadline
from deadlines.registry import register


def on_review_due(deadline: Deadline, now: dt.datetime) -> str:
    from appeals.services import appeal_review_overdue

    return appeal_review_overdue(appeal_id=deadline.subject_id, now=now)


def register_all() -> None:
    from appeals.services import REVIEW_DEADLINE

    register(REVIEW_DEADLINE, on_review_due)
