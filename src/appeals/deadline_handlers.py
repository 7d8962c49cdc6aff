"""The appeal deadlines (PAY-3): documents due, review due, registered in AppealsConfig.ready."""

from __future__ import annotations

import datetime as dt

from deadlines.models import Deadline
from deadlines.registry import register


def on_review_due(deadline: Deadline, now: dt.datetime) -> str:
    from appeals.services import appeal_review_overdue

    return appeal_review_overdue(appeal_id=deadline.subject_id, now=now)


def on_documents_due(deadline: Deadline, now: dt.datetime) -> str:
    """PAY-3: the buyer's documents did not arrive in time: the appeal expires."""
    from appeals.services import appeal_documents_expire

    return appeal_documents_expire(appeal_id=deadline.subject_id, now=now)


def register_all() -> None:
    from appeals.services import DOCUMENTS_DEADLINE, REVIEW_DEADLINE

    register(REVIEW_DEADLINE, on_review_due)
    register(DOCUMENTS_DEADLINE, on_documents_due)
