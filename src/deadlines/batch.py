"""What the firings of one deadline batch share (deadlines.worker opens one per claim).

A batch is one transaction holding the claimed deadline rows. Firing them one
by one with a query per row is what makes a worker slow, so the batch lets the
code a firing calls share work — always inside that same transaction, so the
batch still commits or rolls back as one, and each firing still runs in its
own savepoint:

- **Locked subjects.** A subject app's `prepare` hook (deadlines.registry) locks
  all of the batch's subjects in one `SELECT … FOR UPDATE SKIP LOCKED` and hands
  them over with `subject_locked()`; handlers and transition functions then use
  `subject()` instead of reading and locking the row again.
- **Pending deadlines known under that lock.** The prepare hook may also load the
  subjects' pending deadlines (`know_pending()`); while the subject is locked
  nobody else arms or disarms them, so deadlines.services disarms by id (or not
  at all) instead of searching.
- **Work done once at the end** (`at_batch_end()`): outbox tasks are inserted in
  one statement (`enqueue()`), stock given back in one statement per table, the
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

from django.db import connection, transaction

Flush = Callable[[list], None]
log = logging.getLogger(__name__)


@dataclass
class PendingRow:
    pk: int
    kind: str
    due_at: dt.datetime


@dataclass
class Batch:
    now: dt.datetime
    firing: object | None = None  # the Deadline being fired, between begin_firing and end_firing
    _subjects: dict[tuple[str, int], object] = field(default_factory=dict)
    _pending: dict[tuple[str, int], dict[int, PendingRow]] = field(default_factory=dict)
    # Deadlines disarmed during the batch whose rows are still pending in the table until the
    # end of the batch writes them: subject → {pk: kind}.
    _unwritten: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    _staged: list[tuple[str, Flush, object]] = field(default_factory=list)
    _deferred: dict[str, tuple[Flush, list]] = field(default_factory=dict)

    # --- subjects locked by a prepare hook ---

    def subject_locked(self, subject_type: str, subject_id: int, obj: object) -> None:
        self._subjects[(subject_type, subject_id)] = obj

    def subject(self, subject_type: str, subject_id: int):
        return self._subjects.get((subject_type, subject_id))

    def know_pending(self, subject_type: str, subject_ids: Iterable[int], rows: Iterable[tuple]) -> None:
        """Record the pending deadlines (pk, kind, subject_id, due_at) of locked subjects."""
        for subject_id in subject_ids:
            self._pending[(subject_type, subject_id)] = {}
        for pk, kind, subject_id, due_at in rows:
            self._pending[(subject_type, subject_id)][pk] = PendingRow(pk, kind, due_at)

    def pending(self, subject_type: str, subject_id: int) -> dict[int, PendingRow] | None:
        """The subject's pending deadlines by pk, or None when this batch does not know them."""
        return self._pending.get((subject_type, subject_id))

    def forget(self, subject_type: str, subject_id: int) -> None:
        self._subjects.pop((subject_type, subject_id), None)
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
        self.firing, self._staged = deadline, []

    def end_firing(self, *, ok: bool) -> None:
        deadline = self.firing
        if ok:
            for key, flush, item in self._staged:
                self._deferred.setdefault(key, (flush, []))[1].append(item)
        else:  # rolled back: what we remembered about its subject may be wrong now
            self.forget(deadline.subject_type, deadline.subject_id)
        self.firing, self._staged = None, []

    # --- work for the end of the batch ---

    def defer(self, key: str, flush: Flush, item: object) -> None:
        if self.firing is not None:
            self._staged.append((key, flush, item))
        else:
            self._deferred.setdefault(key, (flush, []))[1].append(item)

    def flush(self) -> None:
        while self._deferred:  # a flush may defer more work (e.g. a task)
            key = next(iter(self._deferred))
            flush, items = self._deferred.pop(key)
            flush(items)


def _write_disarms(items: list[tuple[list[int], dt.datetime]]) -> None:
    from deadlines.models import Deadline, Status

    by_time: dict[dt.datetime, list[int]] = {}
    for pks, now in items:
        by_time.setdefault(now, []).extend(pks)
    for now, pks in by_time.items():
        Deadline.objects.filter(pk__in=pks, status=Status.PENDING).update(
            status=Status.DISARMED, fired_at=now, outcome="disarmed"
        )


_current: ContextVar[Batch | None] = ContextVar("deadline_batch", default=None)


def current() -> Batch | None:
    return _current.get()


@contextlib.contextmanager
def batch_scope(now: dt.datetime):
    batch = Batch(now=now)
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


def at_batch_end(key: str, flush: Flush, item: object) -> None:
    """Run flush([item, …]) once at the end of the current batch, or flush([item]) now outside one.

    Items staged by a firing that fails are dropped with its savepoint.
    """
    batch = _current.get()
    if batch is None:
        flush([item])
    else:
        batch.defer(key, flush, item)


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
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    rows, checked = [], {}
    for task, args in items:
        backend = checked.get(id(task))
        if backend is None:
            backend = task.get_backend()
            if isinstance(backend, DatabaseBackend):
                backend.validate_task(task)
            checked[id(task)] = backend
        if not isinstance(backend, DatabaseBackend):
            task.enqueue(*args)
            continue
        # What DatabaseBackend.enqueue writes, for many tasks in one INSERT. (Its
        # task_enqueued signal only logs at debug level; building each TaskResult for it
        # would cost more than the INSERT, so the batch logs once instead.)
        rows.append(
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": {}}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        )
    if rows:
        DBTaskResult.objects.bulk_create(rows)
        log.debug("Enqueued %d tasks in one insert", len(rows))


# --- inserts that may meet their unique key ---------------------------------------------------


def insert_unless_exists(obj, *, unique: list[str], subqueries: dict | None = None) -> int | None:
    """INSERT `obj` unless a row with the same `unique` fields exists; returns the new pk or None.

    See insert_all_unless_exist.
    """
    created = insert_all_unless_exist([obj], unique=unique, subqueries=[subqueries or {}])
    return obj.pk if created else None


def insert_all_unless_exist(objs: list, *, unique: list[str], subqueries: list[dict] | None = None) -> list:
    """INSERT the objects, skipping those whose `unique` fields match an existing row.

    One `INSERT … ON CONFLICT (…) DO NOTHING RETURNING …` (PostgreSQL, SQLite 3.35+): no
    pre-check query and no savepoint, and a concurrent insert of the same key simply wins.
    `subqueries` (one dict per object) gives a field's value as a one-value queryset,
    evaluated by the database inside the same statement (e.g. the payment a refund
    returns to). Returns the objects inserted, with their pk (and subquery fields) set.
    """
    if not objs:
        return []
    model = type(objs[0])
    meta = model._meta
    quote = connection.ops.quote_name
    subqueries = subqueries or [{}] * len(objs)
    keys = [meta.get_field(name) for name in unique]

    def key_of(obj) -> tuple:
        return tuple(f.get_db_prep_value(getattr(obj, f.attname), connection) for f in keys)

    seen: set[tuple] = set()  # the same key twice in one statement: the first one goes in
    pairs = []
    for obj, per_obj in zip(objs, subqueries, strict=True):
        if key_of(obj) not in seen:
            seen.add(key_of(obj))
            pairs.append((obj, per_obj))
    objs, subqueries = [o for o, _ in pairs], [q for _, q in pairs]
    sub_fields = sorted({name for per_obj in subqueries for name in per_obj})
    fields = [
        f for f in meta.concrete_fields
        if not (f.primary_key and getattr(objs[0], f.attname) is None) and f.name not in sub_fields
    ]
    extra = [meta.get_field(name) for name in sub_fields]
    rows_sql, params = [], []
    for obj, per_obj in zip(objs, subqueries, strict=True):
        holders = ["%s"] * len(fields)
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        for sub in extra:
            query = per_obj.get(sub.name)
            if query is None:
                holders.append("NULL")
            else:
                sql, sub_params = query.query.sql_with_params()
                holders.append(f"({sql})")
                params += list(sub_params)
        rows_sql.append(f"({', '.join(holders)})")
    columns = ", ".join(quote(f.column) for f in [*fields, *extra])
    returning = ", ".join(quote(f.column) for f in [meta.pk, *keys, *extra])
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join(rows_sql)} "
        f"ON CONFLICT ({', '.join(quote(f.column) for f in keys)}) DO NOTHING RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    by_key = {tuple(row[1 : 1 + len(keys)]): row for row in returned}
    created = []
    for obj in objs:
        row = by_key.get(key_of(obj))
        if row is None:
            continue
        obj.pk = row[0]
        for sub, value in zip(extra, row[1 + len(keys) :], strict=True):
            setattr(obj, sub.attname, value)
        obj._state.adding, obj._state.db = False, connection.alias
        created.append(obj)
    return created
