"""The deadline worker: claims due deadlines and fires them.

One batch is one transaction: the due rows are locked with
SELECT … FOR UPDATE SKIP LOCKED (other workers take other rows), each firing
runs in its own savepoint (a failing firing rolls back alone, is recorded and
retried later), and the whole batch commits at once. A worker killed mid-batch
rolls its transaction back; the rows unlock and another worker fires them, so
each deadline takes effect exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from django.db import connection, transaction

from deadlines.models import Deadline, Status
from deadlines.registry import handler_for

log = logging.getLogger(__name__)

RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 10


def deadlines_fire_due(*, now: dt.datetime, batch_size: int = 200) -> int:
    """Fire up to batch_size due deadlines; returns how many were handled."""
    with transaction.atomic():
        query = Deadline.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True)
        batch = list(query[:batch_size])
        for deadline in batch:
            _fire_one(deadline, now)
    return len(batch)


def _fire_one(deadline: Deadline, now: dt.datetime) -> None:
    try:
        with transaction.atomic():  # a savepoint: this firing commits or rolls back alone
            outcome = handler_for(deadline.kind)(deadline, now)
            deadline.status = Status.SKIPPED if outcome.startswith("skipped") else Status.FIRED
            deadline.outcome = outcome[:200]
            deadline.fired_at = now
            deadline.attempts += 1
            deadline.save(update_fields=["status", "outcome", "fired_at", "attempts"])
    except Exception:
        log.exception("Deadline %s failed", deadline.pk)
        deadline.attempts += 1
        deadline.last_error = traceback.format_exc()[-4000:]
        if deadline.attempts >= MAX_ATTEMPTS:
            deadline.status = Status.SKIPPED
            deadline.outcome = "skipped: gave up after repeated errors"
        else:
            deadline.due_at = now + RETRY_AFTER * deadline.attempts
        deadline.save(update_fields=["attempts", "last_error", "status", "outcome", "due_at"])
