"""What each kind of deadline does when it fires.

Apps register a handler per kind in their AppConfig.ready(). A handler is
called inside a savepoint with the deadline row locked; it locks and
re-checks its subject and returns a short outcome ("closed", "skipped: …").
Returning a string starting with "skipped" marks the deadline skipped.

A kind may also name a `prepare` hook, called once per batch with all of the
batch's deadlines that share it, before any of them fires. It locks their
subjects in one query (SELECT … FOR UPDATE SKIP LOCKED) and hands them to the
batch (deadlines.batch), so that handlers need not read them one by one. It
returns the ids of deadlines whose subject another transaction holds: those
stay pending, untouched, for a later batch (waiting for that lock while
holding the deadline rows could deadlock with the holder, who may be
disarming exactly those rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from deadlines.models import Deadline

Handler = Callable[[Deadline, dt.datetime], str]
Prepare = Callable[[list[Deadline], dt.datetime], set[int]]
_handlers: dict[str, Handler] = {}
_prepares: dict[str, Prepare] = {}


def register(kind: str, handler: Handler, *, prepare: Prepare | None = None) -> None:
    _handlers[kind] = handler
    if prepare is None:
        _prepares.pop(kind, None)
    else:
        _prepares[kind] = prepare


def handler_for(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No handler registered for deadline kind {kind!r}") from None


def prepare_for(kind: str) -> Prepare | None:
    return _prepares.get(kind)
