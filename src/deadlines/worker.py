"""The deadline worker: claims due deadlines and fires them.

One batch is one transaction: the due rows are locked with
SELECT … FOR UPDATE SKIP LOCKED (other workers take other rows), each firing
runs in its own savepoint (a failing firing rolls back alone, is recorded and
retried later), and the whole batch commits at once. A worker killed mid-batch
rolls its transaction back; the rows unlock and another worker fires them, so
each deadline takes effect exactly once.

Per batch, not per firing (deadlines.batch): the subjects are locked in one
query by their app's prepare hook (subjects another transaction holds are left
for a later batch), the outcomes are written in one UPDATE per outcome, and the
side work the firings handed over (outbox tasks, stock, catalog version) is
done once at the end, just before the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F

from deadlines.batch import Batch, batch_scope
from deadlines.models import Deadline, Status
from deadlines.registry import handler_for, prepare_for

log = logging.getLogger(__name__)

RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 10


def deadlines_fire_due(*, now: dt.datetime, batch_size: int = 200) -> int:
    """Fire up to batch_size due deadlines; returns how many were handled.

    Deadlines whose subject another transaction has locked are not handled: they stay
    pending for the next call.
    """
    with transaction.atomic():
        query = Deadline.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True)
        batch = list(query[:batch_size])
        if not batch:
            return 0
        with batch_scope(now) as scope:
            later = _prepare(batch, now)
            outcomes: dict[tuple[str, str], list[int]] = defaultdict(list)
            handled = 0
            for deadline in batch:
                if deadline.pk in later:
                    continue
                handled += 1
                result = _fire_one(deadline, now, scope)
                if result is not None:
                    outcomes[result].append(deadline.pk)
            for (status, outcome), pks in outcomes.items():
                Deadline.objects.filter(pk__in=pks).update(
                    status=status, outcome=outcome, fired_at=now, attempts=F("attempts") + 1
                )
            scope.flush()  # last: it takes shared locks (stock, catalog version) until the commit
    return handled


def _prepare(batch: list[Deadline], now: dt.datetime) -> set[int]:
    """Run each prepare hook once over its deadlines; returns the ids left for a later batch."""
    groups: dict = defaultdict(list)
    for deadline in batch:
        prepare = prepare_for(deadline.kind)
        if prepare is not None:
            groups[prepare].append(deadline)
    later: set[int] = set()
    for prepare, deadlines in groups.items():
        later |= prepare(deadlines, now) or set()
    return later


def _fire_one(deadline: Deadline, now: dt.datetime, batch: Batch) -> tuple[str, str] | None:
    """Fire one deadline in its own savepoint; returns (status, outcome) or None when it failed."""
    batch.begin_firing(deadline)
    # A savepoint: this firing rolls back alone. It is not released on success (a RELEASE
    # per firing is a round trip for nothing): the batch's commit keeps everything.
    savepoint = transaction.savepoint()
    try:
        outcome = handler_for(deadline.kind)(deadline, now)
    except Exception:
        transaction.savepoint_rollback(savepoint)
        transaction.set_rollback(False)
        batch.end_firing(ok=False)
        log.exception("Deadline %s failed", deadline.pk)
        deadline.attempts += 1
        deadline.last_error = traceback.format_exc()[-4000:]
        if deadline.attempts >= MAX_ATTEMPTS:
            deadline.status = Status.SKIPPED
            deadline.outcome = "skipped: gave up after repeated errors"
        else:
            deadline.due_at = now + RETRY_AFTER * deadline.attempts
        deadline.save(update_fields=["attempts", "last_error", "status", "outcome", "due_at"])
        return None
    batch.end_firing(ok=True)
    deadline.status = Status.SKIPPED if outcome.startswith("skipped") else Status.FIRED
    deadline.outcome, deadline.fired_at = outcome[:200], now
    deadline.attempts += 1
    return deadline.status, deadline.outcome
