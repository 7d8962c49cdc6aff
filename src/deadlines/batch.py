"""What the firings of one deadline batch share (deadlines.worker opens one per claim).

A batch is one transaction holding the claimed deadline rows. Firing them one
by one with a query per row is what makes a worker slow, so the batch lets the
code a firing calls share work — always inside that same transaction, so the
batch still commits or rolls back as one, and each firing still runs in its
own savepoint:

- **Locked subjects.** A subject app's `prepare` hook (deadlines.registry) locks
  all of the batch's subjects in one `SELECT … FOR UPDATE SKIP LOCKED` and hands
  them over with `subject_locked()`; handlers and transition functions then use
  `subject()` instead of reading and locking the row again, and `data()` for
  rows the hook loaded with them in one query each (an order's lines, refunds).
- **Pending deadlines known under that lock.** The prepare hook may also load the
  subjects' pending deadlines (`know_pending()`); while the subject is locked
  nobody else arms or disarms them, so deadlines.services disarms by id (or not
  at all) instead of searching.
- **Work done once at the end** (`at_batch_end()`): timeline events, notices and
  outbox tasks (`enqueue()`) are inserted in one statement each, deadlines
  disarmed in one UPDATE, stock given back in one statement per table, the
  catalog version bumped once. A firing's share is staged and kept only when its
  savepoint is released: a failing firing leaves nothing behind.

Outside a batch (a person's action, a test calling a service) every helper here
does the plain thing at once, so callers need not care where they run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction

Flush = Callable[[list], None]
log = logging.getLogger(__name__)


class SubjectUnavailable(RuntimeError):
    """A subject a failed firing used is not read again in the same batch."""


@dataclass
class PendingRow:
    pk: int
    kind: str
    due_at: dt.datetime


@dataclass
class Batch:
    now: dt.datetime
    # False when the worker replays a batch whose end failed: then every piece of work is
    # done at once, inside its firing's savepoint, so a bad firing fails alone.
    deferring: bool = True
    firing: object | None = None  # the Deadline being fired, between begin_firing and end_firing
    _subjects: dict[tuple[str, int], object] = field(default_factory=dict)
    _data: dict[tuple[str, int], dict] = field(default_factory=dict)
    _pending: dict[tuple[str, int], dict[int, PendingRow]] = field(default_factory=dict)
    # Deadlines disarmed during the batch whose rows are still pending in the table until the
    # end of the batch writes them: subject → {pk: kind}.
    _unwritten: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    _staged: list[tuple[str, Flush, object]] = field(default_factory=list)
    _deferred: dict[str, tuple[Flush, list]] = field(default_factory=dict)
    _last: set[str] = field(default_factory=set)  # keys flushed after all the others
    _touched: set[tuple[str, int]] = field(default_factory=set)  # subjects the firing used
    # Subjects a failed firing used: the rows the batch's earlier firings changed are not
    # written yet, so nothing else in this batch may read or change them (see subject()).
    _poisoned: set[tuple[str, int]] = field(default_factory=set)

    # --- subjects locked by a prepare hook ---

    def subject_locked(self, subject_type: str, subject_id: int, obj: object) -> dict:
        """Hand over a subject locked for this batch; returns its data dict (see data()).

        Code that locks a subject itself during a firing hands it over too, so that the
        batch's later firings see its changes, which are written only at the end.
        """
        if self.firing is not None:
            self._touched.add((subject_type, subject_id))
        self._subjects[(subject_type, subject_id)] = obj
        return self._data.setdefault((subject_type, subject_id), {})

    def subject(self, subject_type: str, subject_id: int):
        if (subject_type, subject_id) in self._poisoned:
            raise SubjectUnavailable(f"{subject_type} {subject_id} is left for the next batch")
        found = self._subjects.get((subject_type, subject_id))
        if found is not None and self.firing is not None:
            self._touched.add((subject_type, subject_id))
        return found

    def data(self, subject_type: str, subject_id: int) -> dict | None:
        """What the prepare hook loaded about a locked subject (rows it owns, e.g. an order's
        lines and refunds), for the code the firings call; None when nothing was loaded.
        Whoever changes such rows during the batch keeps the entry exact (or removes it)."""
        return self._data.get((subject_type, subject_id))

    def know_pending(self, subject_type: str, subject_ids: Iterable[int], rows: Iterable[tuple]) -> None:
        """Record the pending deadlines (pk, kind, subject_id, due_at) of locked subjects."""
        for subject_id in subject_ids:
            self._pending[(subject_type, subject_id)] = {}
        for pk, kind, subject_id, due_at in rows:
            self._pending[(subject_type, subject_id)][pk] = PendingRow(pk, kind, due_at)

    def pending(self, subject_type: str, subject_id: int) -> dict[int, PendingRow] | None:
        """The subject's pending deadlines by pk, or None when this batch does not know them."""
        return self._pending.get((subject_type, subject_id))

    def unavailable(self, subject_type: str, subject_id: int) -> bool:
        """True once a failed firing used the subject: its other deadlines wait for a later batch."""
        return (subject_type, subject_id) in self._poisoned

    def forget(self, subject_type: str, subject_id: int) -> None:
        self._subjects.pop((subject_type, subject_id), None)
        self._data.pop((subject_type, subject_id), None)
        self._pending.pop((subject_type, subject_id), None)
        self._unwritten.pop((subject_type, subject_id), None)

    # --- disarming known deadlines ---

    def disarm(self, subject_type: str, subject_id: int, rows: list[PendingRow], now: dt.datetime) -> None:
        """Disarm known pending rows: in memory now, in the table at the end of the batch.

        The row of the deadline being fired is left to the worker, which writes its outcome.
        """
        known = self._pending[(subject_type, subject_id)]
        unwritten = self._unwritten.setdefault((subject_type, subject_id), {})
        for row in rows:
            del known[row.pk]
            unwritten[row.pk] = row.kind
        pks = [row.pk for row in rows if self.firing is None or row.pk != self.firing.pk]
        if pks:
            self.defer("deadlines.disarm", _write_disarms, (pks, now))

    def write_disarmed_now(self, subject_type: str, subject_id: int, kind: str, now: dt.datetime) -> None:
        """Write the subject's disarmed-but-unwritten rows of `kind` now (before arming a new one:
        one pending deadline per kind), including the firing deadline's own row."""
        unwritten = self._unwritten.get((subject_type, subject_id), {})
        pks = [pk for pk, row_kind in unwritten.items() if row_kind == kind]
        for pk in pks:
            del unwritten[pk]
        if pks:
            _write_disarms([(pks, now)])

    def unwritten(self, subject_type: str, subject_id: int) -> set[int]:
        return set(self._unwritten.get((subject_type, subject_id), ()))

    # --- one firing ---

    def begin_firing(self, deadline) -> None:
        self.firing, self._staged, self._touched = deadline, [], set()

    def end_firing(self, *, ok: bool) -> None:
        deadline = self.firing
        if ok:
            for key, flush, item in self._staged:
                self._deferred.setdefault(key, (flush, []))[1].append(item)
        else:  # rolled back: the in-memory subjects it used may hold changes that never happened
            for subject_type, subject_id in {*self._touched, (deadline.subject_type, deadline.subject_id)}:
                self.forget(subject_type, subject_id)
                self._poisoned.add((subject_type, subject_id))
        self.firing, self._staged, self._touched = None, [], set()

    # --- work for the end of the batch ---

    def defer(self, key: str, flush: Flush, item: object, *, last: bool = False) -> None:
        if last:
            self._last.add(key)
        if not self.deferring:
            flush([item])
        elif self.firing is not None:
            self._staged.append((key, flush, item))
        else:
            self._deferred.setdefault(key, (flush, []))[1].append(item)

    def flush(self) -> None:
        """Write what the firings handed over: each key's items in one call, in the order the keys
        first appeared, the `last` ones after all the others (a flush may hand over more)."""
        while self._deferred:
            key = next((k for k in self._deferred if k not in self._last), None)
            if key is None:
                key = next(iter(self._deferred))
            flush, items = self._deferred.pop(key)
            flush(items)


def _write_disarms(items: list[tuple[list[int], dt.datetime]]) -> None:
    from deadlines.models import Deadline, Status
    from deadlines.rows import ids_in

    by_time: dict[dt.datetime, list[int]] = {}
    for pks, now in items:
        by_time.setdefault(now, []).extend(pks)
    for now, pks in by_time.items():
        Deadline.objects.filter(pk__in=ids_in(pks), status=Status.PENDING).update(
            status=Status.DISARMED, fired_at=now, outcome="disarmed"
        )


_current: ContextVar[Batch | None] = ContextVar("deadline_batch", default=None)


def current() -> Batch | None:
    return _current.get()


@contextlib.contextmanager
def batch_scope(now: dt.datetime, *, deferring: bool = True):
    batch = Batch(now=now, deferring=deferring)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)


def in_firing() -> bool:
    batch = _current.get()
    return batch is not None and batch.firing is not None


def atomic():
    """transaction.atomic(), except inside a firing, which already runs in its own savepoint.

    A nested atomic block costs a SAVEPOINT and a RELEASE; inside a firing any
    error rolls back the firing's savepoint, and the worker records the failure.
    """
    if in_firing():
        return contextlib.nullcontext()
    return transaction.atomic()


def at_batch_end(key: str, flush: Flush, item: object, *, last: bool = False) -> None:
    """Run flush([item, …]) once at the end of the current batch, or flush([item]) now outside one.

    Items staged by a firing that fails are dropped with it. `last`: flushed after every other
    key, right before the commit — for writes that lock rows other transactions want too
    (stock, the catalog version), so that they hold those locks as briefly as possible.
    """
    batch = _current.get()
    if batch is None:
        flush([item])
    else:
        batch.defer(key, flush, item, last=last)


# --- outbox tasks -----------------------------------------------------------------------------


def enqueue(task, *args) -> None:
    """task.enqueue(*args), batched: one INSERT for all of a batch's tasks (django-tasks-db).

    Outside a batch this is exactly task.enqueue(*args).
    """
    at_batch_end("tasks", _enqueue_all, (task, args))


def _enqueue_all(items: list[tuple]) -> None:
    from django_tasks_db.backend import DatabaseBackend

    if len(items) == 1:
        task, args = items[0]
        task.enqueue(*args)
        return
    import uuid

    from django.db import connection
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    from deadlines.rows import insert_names, prepared_values, values_insert

    # What DatabaseBackend.enqueue writes, for many tasks in one COPY/INSERT: the row of
    # each task kind is prepared once, then only the id and the arguments change. (Its
    # task_enqueued signal only logs at debug level; building a TaskResult per task for
    # it would cost more than the insert, so the batch logs once instead.)
    names = insert_names(DBTaskResult, with_pk=True)
    id_at, args_at = names.index("id"), names.index("args_kwargs")
    id_field, args_field = (DBTaskResult._meta.get_field(n) for n in ("id", "args_kwargs"))
    rows, templates = [], {}
    for task, args in items:
        template = templates.get(id(task))
        if template is None:
            backend = task.get_backend()
            if isinstance(backend, DatabaseBackend):
                backend.validate_task(task)
                template = (backend, prepared_values(
                    DBTaskResult(
                        id=uuid.UUID(int=0),
                        args_kwargs={},
                        priority=task.priority,
                        task_path=task.module_path,
                        queue_name=task.queue_name,
                        run_after=task.run_after or get_date_max(),
                        backend_name=backend.alias,
                    ),
                    names,
                ))
            else:
                template = (backend, None)
            templates[id(task)] = template
        backend, base = template
        if base is None:
            task.enqueue(*args)
            continue
        row = list(base)
        row[id_at] = id_field.get_db_prep_save(backend._get_id(), connection)
        row[args_at] = args_field.get_db_prep_save(normalize_json({"args": args, "kwargs": {}}), connection)
        rows.append(row)
    values_insert(DBTaskResult, names, rows)
    if rows:
        log.debug("Enqueued %d tasks in one insert", len(rows))
