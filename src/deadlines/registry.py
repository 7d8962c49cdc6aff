"""What each kind of deadline does when it fires.

Apps register a handler per kind in their AppConfig.ready(). A handler is
called inside a savepoint with the deadline row locked; it locks and
re-checks its subject and returns a short outcome ("closed", "skipped: …").
Returning a string starting with "skipped" marks the deadline skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from deadlines.models import Deadline

Handler = Callable[[Deadline, dt.datetime], str]
_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _handlers[kind] = handler


def handler_for(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No handler registered for deadline kind {kind!r}") from None
