"""The deadline worker: claims due deadlines and fires them.

One batch is one transaction: the due rows are locked with
SELECT … FOR UPDATE SKIP LOCKED (other workers take other rows), each firing
runs on its own — a failing firing rolls back alone, is recorded and retried
later — and the whole batch commits at once. A worker killed mid-batch rolls
its transaction back; the rows unlock and another worker fires them, so each
deadline takes effect exactly once.

One statement per row is what limits a worker, so the work is shared per batch
(deadlines.batch): the subjects are locked in one query by their app's prepare
hook (subjects another transaction holds are left for a later batch), and the
rows a firing writes (order updates, timeline events, refunds, notices, outbox
tasks, disarmed deadlines, stock) are handed to the end of the batch and
written in bulk just before the commit, with the deadlines' outcomes in one
UPDATE per outcome. How a firing stays on its own:

- what it handed over is kept only if it succeeds (a failing firing's share is
  dropped);
- anything it writes or reads itself runs in its own savepoint, opened before
  its first statement (a firing that only hands work over needs none) and
  rolled back if it fails;
- if the bulk writes at the end fail, the batch rolls back and is fired again
  with every write made at once inside an ordinary savepoint per firing, so a
  firing whose rows cannot be written fails alone.
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
from deadlines.rows import ids_in

log = logging.getLogger(__name__)

RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 10


def deadlines_fire_due(*, now: dt.datetime, batch_size: int = 200) -> int:
    """Fire up to batch_size due deadlines; returns how many were handled.

    Deadlines whose subject another transaction has locked are not handled: they stay
    pending for the next call. If the end of the batch fails (the bulk writes its firings
    handed over), the batch rolls back and is fired again with every write made inside its
    own firing's savepoint, so that a firing whose work cannot be written fails alone.
    """
    try:
        return _fire_batch(now=now, batch_size=batch_size, deferring=True)
    except Exception:
        log.exception("A deadline batch failed at its end; firing it again one write at a time")
        return _fire_batch(now=now, batch_size=batch_size, deferring=False)


def _fire_batch(*, now: dt.datetime, batch_size: int, deferring: bool) -> int:
    with transaction.atomic():
        query = Deadline.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True)
        batch = list(query[:batch_size])
        if not batch:
            return 0
        with batch_scope(now, deferring=deferring) as scope:
            later = _prepare(batch, now)
            outcomes: dict[tuple[str, str], list[int]] = defaultdict(list)
            handled = 0
            for deadline in batch:
                if deadline.pk in later or scope.unavailable(deadline.subject_type, deadline.subject_id):
                    continue  # untouched, for a later batch
                handled += 1
                result = _fire_one(deadline, now, scope)
                if result is not None:
                    outcomes[result].append(deadline.pk)
            for (status, outcome), pks in outcomes.items():
                Deadline.objects.filter(pk__in=ids_in(pks)).update(
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


class _SavepointBeforeFirstStatement:
    """An execute wrapper that opens the firing's savepoint just before its first statement.

    In a deferring batch most firings write nothing themselves (they hand their rows to the
    end of the batch), and a savepoint that guards no statement is a round trip for nothing.
    A firing that does touch the database gets its savepoint before it does.
    """

    def __init__(self) -> None:
        self.savepoint: str | None = None
        self._opening = False

    def __call__(self, execute, sql, params, many, context):
        if self.savepoint is None and not self._opening:
            self._opening = True
            try:
                self.savepoint = transaction.savepoint()
            finally:
                self._opening = False
        return execute(sql, params, many, context)


def _fire_one(deadline: Deadline, now: dt.datetime, batch: Batch) -> tuple[str, str] | None:
    """Fire one deadline in its own savepoint; returns (status, outcome) or None when it failed.

    The savepoint is not released on success (a RELEASE per firing is a round trip for
    nothing: the batch's commit keeps everything). When the batch defers the firings'
    writes, the savepoint is opened before the firing's first statement, if it has one.
    """
    batch.begin_firing(deadline)
    lazy = _SavepointBeforeFirstStatement() if batch.deferring else None
    savepoint = None if lazy else transaction.savepoint()
    try:
        if lazy is None:
            outcome = handler_for(deadline.kind)(deadline, now)
        else:
            with connection.execute_wrapper(lazy):
                outcome = handler_for(deadline.kind)(deadline, now)
    except Exception:
        savepoint = lazy.savepoint if lazy else savepoint
        if savepoint is not None:
            transaction.savepoint_rollback(savepoint)
        transaction.set_rollback(False)
        batch.end_firing(ok=False)  # drops the rows it handed over
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
