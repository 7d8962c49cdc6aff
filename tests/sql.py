"""Counting the SQL statements a block runs (the statement-count guards of the hot paths).

`statements(keep)` collects, in order, every statement Django's cursors run inside the block —
ORM and deadlines.rows helpers alike, on SQLite and PostgreSQL — for which `keep(sql)` is true.
(A COPY does not pass through the wrapper.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from django.db import connection


@contextlib.contextmanager
def statements(keep: Callable[[str], bool] = lambda sql: True) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        if keep(sql):
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen
