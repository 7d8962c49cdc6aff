"""Lean row writes for the deadline worker's hot path.

Django's save() and bulk_create() spend around 100 µs of Python per statement
compiling SQL; a worker firing a thousand deadlines a second cannot afford
that on a two-core machine. These helpers build their SQL from the model's own
fields (so they follow schema changes), cache it per model and column set, and
convert every value with the field's own get_db_prep_save, as the ORM does.
They send no pre_save/post_save signals: use them only for models without
receivers (orders, notices, refunds, deadlines, task rows).

On PostgreSQL the values travel bound server-side (psycopg's C dumpers, not
quoted into the SQL text in Python), plain inserts use COPY, and simple
columns skip the ORM's per-value conversion chain (psycopg adapts str, int,
bool and aware datetimes itself). Elsewhere (SQLite 3.35+) the same SQL runs
through Django's cursor with the ORM's conversions.
"""

from __future__ import annotations

import functools
import operator

from django.db import DatabaseError, connection, connections, models

CHUNK = 500  # rows per multi-row INSERT
COPY_FROM = 20  # on PostgreSQL, more rows than this go in by COPY
IN_LIST_MAX = 16  # in_sql: longer id lists travel as one array on PostgreSQL

# Field classes whose Python value psycopg can take as it is (exact classes, not subclasses).
_PLAIN = {
    models.CharField, models.TextField, models.EmailField, models.SlugField, models.BooleanField,
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.AutoField,
    models.BigAutoField, models.DateTimeField,
}


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _vendor_is_postgres(engine: str) -> bool:
    return "postgresql" in engine or "postgis" in engine


def _postgres() -> bool:
    # From the settings (a dict lookup), not through the connection proxy: this runs for
    # every statement of the hot paths.
    return _vendor_is_postgres(connections.settings["default"]["ENGINE"])


def _cursor():
    """A Django cursor; on PostgreSQL one that binds parameters server-side."""
    conn = connections["default"]  # resolved once (the proxy costs a lookup per attribute)
    if not _postgres():
        return conn.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    conn.ensure_connection()
    # _prepare_cursor: the debug wrapper when queries are logged (CaptureQueriesContext,
    # assertNumQueries), so these statements are counted like the ORM's.
    return conn._prepare_cursor(ServerBindingCursor(conn.connection))


def _is_plain(field) -> bool:
    if isinstance(field, models.ForeignKey):
        return _is_plain(field.target_field)
    return type(field) in _PLAIN and not getattr(field, "auto_now", False) and not getattr(
        field, "auto_now_add", False
    )


_TEXT = (models.CharField, models.TextField)


def _text_value(get, obj):
    """A text column's value; a lazily translated string (a choice label) as its text, which
    psycopg cannot adapt by itself (the ORM's conversion does the same)."""
    value = get(obj)
    return value if value is None or type(value) is str else str(value)


@functools.cache
def _getters(model, names: tuple[str, ...], add: bool) -> list:
    """Per field, obj → the value to send (the ORM's conversion, or the plain attribute)."""
    postgres = _postgres()
    getters = []
    for name in names:
        field = model._meta.get_field(name)
        if postgres and _is_plain(field) and isinstance(field, _TEXT):
            getters.append(functools.partial(_text_value, operator.attrgetter(field.attname)))
        elif postgres and _is_plain(field):
            getters.append(operator.attrgetter(field.attname))
        else:
            getters.append(
                functools.partial(
                    lambda f, obj: f.get_db_prep_save(f.pre_save(obj, add), connection), field
                )
            )
    return getters


def ids_in(ids):
    """The right-hand side for `pk__in=` with many ids.

    Django renders `IN (%s, %s, …)` and converts every id in Python (about 3 ms for 500);
    on PostgreSQL this sends one array instead: `IN (SELECT unnest(%s::bigint[]))`.
    """
    ids = list(ids)
    if not _postgres():
        return ids
    from django.db.models.expressions import RawSQL

    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def _values(obj, getters) -> list:
    return [get(obj) for get in getters]


@functools.cache
def _update_sql(model, fields: tuple[str, ...]) -> str:
    meta = model._meta
    sets = ", ".join(f"{_quote(meta.get_field(name).column)} = %s" for name in fields)
    return f"UPDATE {_quote(meta.db_table)} SET {sets} WHERE {_quote(meta.pk.column)} = %s"


def row_update(obj, fields: list[str]) -> None:
    """UPDATE only `fields` of obj's row (what save(update_fields=…) does, with one cached SQL)."""
    model, names = type(obj), tuple(fields)
    params = _values(obj, _getters(model, names, False))
    with _cursor() as cursor:
        cursor.execute(_update_sql(model, names), [*params, obj.pk])
        if cursor.rowcount != 1:
            raise DatabaseError(f"{model.__name__} {obj.pk} was not updated (no such row)")


def row_values(obj, fields: list[str]) -> dict[str, object]:
    """The values row_update would write for these fields, as they are now (for rows_update)."""
    names = tuple(fields)
    return dict(zip(names, _values(obj, _getters(type(obj), names, False)), strict=True))


def rows_update(model, updates: list[tuple[int, dict[str, object]]]) -> None:
    """Apply many row_values() updates: later ones win per row and column, one UPDATE per column set.

    On PostgreSQL each column set is one `UPDATE … FROM (VALUES …)`.
    """
    merged: dict[int, dict[str, object]] = {}
    for pk, values in updates:
        merged.setdefault(pk, {}).update(values)
    groups: dict[tuple[str, ...], list[tuple[int, dict]]] = {}
    for pk, values in merged.items():
        groups.setdefault(tuple(sorted(values)), []).append((pk, values))
    meta = model._meta
    for names, rows in groups.items():
        if not _postgres():
            for pk, values in rows:
                with _cursor() as cursor:
                    cursor.execute(_update_sql(model, names), [*(values[n] for n in names), pk])
            continue
        fields = [meta.pk, *(meta.get_field(name) for name in names)]
        casts = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields)
        aliases = ", ".join(_quote(f"v_{f.column}") for f in fields)
        sets = ", ".join(f"{_quote(f.column)} = v.{_quote(f'v_{f.column}')}" for f in fields[1:])
        table = _quote(meta.db_table)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([f'({casts})'] * len(chunk))}) "
                f"AS v({aliases}) WHERE {table}.{_quote(meta.pk.column)} = v.{_quote(f'v_{meta.pk.column}')}"
            )
            params = [value for pk, values in chunk for value in (pk, *(values[n] for n in names))]
            with _cursor() as cursor:
                cursor.execute(sql, params)


def _insert_names(model, with_pk: bool, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(
        f.name for f in model._meta.concrete_fields
        if (with_pk or not f.primary_key) and f.name not in skip
    )


def insert_names(model, *, with_pk: bool) -> tuple[str, ...]:
    """The fields an INSERT of `model` writes (for prepared_values and values_insert)."""
    return _insert_names(model, with_pk)


def prepared_values(obj, names: tuple[str, ...]) -> list:
    """obj's values for an INSERT of `names`, converted as the ORM would."""
    return _values(obj, _getters(type(obj), names, True))


def values_insert(model, names: tuple[str, ...], rows: list[list]) -> None:
    """INSERT rows of already converted values (see prepared_values); COPY on PostgreSQL for
    more than COPY_FROM rows (a COPY costs two round trips and ~250 µs of server time for
    a row or two, a multi-row INSERT one round trip)."""
    if not rows:
        return
    meta = model._meta
    columns = ", ".join(_quote(meta.get_field(name).column) for name in names)
    if _postgres() and len(rows) > COPY_FROM:
        with _cursor() as cursor, cursor.cursor.copy(
            f"COPY {_quote(meta.db_table)} ({columns}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    holders = f"({', '.join(['%s'] * len(names))})"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        with _cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES {', '.join([holders] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def rows_insert(objs: list, *, need_pks: bool = True) -> None:
    """INSERT the objects (all of one model) in bulk; sets the pks they get when `need_pks`.

    On PostgreSQL, objects whose pk is already set, or when no pk is needed, go in by COPY.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    with_pk = objs[0].pk is not None
    names = _insert_names(model, with_pk)
    getters = _getters(model, names, True)
    if with_pk or (_postgres() and not need_pks):
        values_insert(model, names, [_values(obj, getters) for obj in objs])
    else:
        columns = ", ".join(_quote(meta.get_field(name).column) for name in names)
        row = f"({', '.join(['%s'] * len(names))})"
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            params = [value for obj in chunk for value in _values(obj, getters)]
            sql = f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))}"
            with _cursor() as cursor:
                cursor.execute(f"{sql} RETURNING {_quote(meta.pk.column)}", params)
                for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                    obj.pk = pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def rows_insert_unless_exist(objs: list, *, unique: list[str], subqueries: list[dict] | None = None) -> list:
    """INSERT the objects, skipping those whose `unique` fields match an existing row.

    One `INSERT … ON CONFLICT (…) DO NOTHING RETURNING …` per CHUNK rows: no pre-check
    query and no savepoint, and a concurrent insert of the same key simply wins (so does
    the first of two equal keys in `objs`). `subqueries` (one dict per object) gives a
    field's value as SQL run by the database inside the same statement: a (sql, params)
    pair or a one-value queryset (e.g. the payment a refund returns to). Returns the
    objects inserted, with their pk (and subquery fields) set.
    """
    if not objs:
        return []
    subqueries = subqueries or [{}] * len(objs)
    model = type(objs[0])
    meta = model._meta
    keys = [meta.get_field(name) for name in unique]

    def key_of(obj) -> tuple:
        return tuple(f.get_db_prep_value(getattr(obj, f.attname), connection) for f in keys)

    seen: set[tuple] = set()
    pairs = []
    for obj, per_obj in zip(objs, subqueries, strict=True):
        key = key_of(obj)
        if key not in seen:
            seen.add(key)
            pairs.append((obj, per_obj, key))
    sub_names = tuple(sorted({name for _, per_obj, _ in pairs for name in per_obj}))
    names = _insert_names(model, objs[0].pk is not None, sub_names)
    getters = _getters(model, names, True)
    extra = [meta.get_field(name) for name in sub_names]
    columns = ", ".join(_quote(f.column) for f in [*(meta.get_field(n) for n in names), *extra])
    returning = ", ".join(_quote(f.column) for f in [meta.pk, *keys, *extra])
    conflict = ", ".join(_quote(f.column) for f in keys)
    created = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        rows_sql, params = [], []
        for obj, per_obj, _ in chunk:
            holders = ["%s"] * len(names)
            params += _values(obj, getters)
            for sub in extra:
                query = per_obj.get(sub.name)
                if query is None:
                    holders.append("NULL")
                    continue
                sql, sub_params = query if isinstance(query, tuple) else query.query.sql_with_params()
                holders.append(f"({sql})")
                params += list(sub_params)
            rows_sql.append(f"({', '.join(holders)})")
        sql = (
            f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES {', '.join(rows_sql)} "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
        )
        with _cursor() as cursor:
            cursor.execute(sql, params)
            by_key = {tuple(row[1 : 1 + len(keys)]): row for row in cursor.fetchall()}
        for obj, _, key in chunk:
            row = by_key.get(key)
            if row is None:
                continue
            obj.pk = row[0]
            for sub, value in zip(extra, row[1 + len(keys) :], strict=True):
                setattr(obj, sub.attname, value)
            obj._state.adding, obj._state.db = False, connection.alias
            created.append(obj)
    return created


# --- Hand-written statements for hot paths ----------------------------------------------------
# The checkout and payment paths run ~30 statements per order; through the ORM each costs
# 300–500 µs of Python to build, against ~70 µs for a fixed SQL text run by these helpers.
# The SQL must be valid on PostgreSQL and SQLite (write `%s` placeholders; `in_sql` renders
# an id list for either). On PostgreSQL the text is bound server-side, so a statement run
# five times on a connection is prepared by psycopg and never planned again.


def _adapt(params):
    """Parameters as the database takes them: on SQLite, datetimes in Django's stored format."""
    if _postgres():
        return params
    ops = connection.ops
    import datetime as _dt

    return [ops.adapt_datetimefield_value(p) if isinstance(p, _dt.datetime) else p for p in params]


def sql_rows(sql: str, params=()) -> list[tuple]:
    """Run a SELECT (or a statement with RETURNING) and return its rows as tuples."""
    with _cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        return cursor.fetchall()


def sql_row(sql: str, params=()) -> tuple | None:
    """The first row of sql_rows, or None."""
    with _cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        return cursor.fetchone()


def sql_run(sql: str, params=()) -> int:
    """Run an INSERT/UPDATE/DELETE; returns the number of rows it touched."""
    with _cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        return cursor.rowcount


def in_sql(ids) -> tuple[str, list]:
    """`col IN (…)` for a list of ids, as (sql, params) to append after the column name.

    PostgreSQL: `= ANY(%s)` with one array parameter (one prepared statement whatever the
    length); SQLite: `IN (%s, …)`. An empty list matches nothing.
    """
    ids = list(ids)
    if _postgres() and len(ids) > IN_LIST_MAX:
        return "= ANY(%s::bigint[])", [ids]
    if not ids:
        return "IN (NULL)", []
    return f"IN ({', '.join(['%s'] * len(ids))})", ids


def db_datetime(value):
    """A datetime column read by sql_rows, as an aware datetime."""
    if value is None:
        return value
    from django.utils.timezone import make_aware

    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    # SQLite gives text or a naive datetime (in the connection's zone, UTC); PostgreSQL an aware one.
    return value if value.tzinfo else make_aware(value, connection.timezone)


def for_update(of: str = "") -> str:
    """` FOR UPDATE [OF table]` on PostgreSQL; nothing on SQLite (its IMMEDIATE transactions
    hold the database's write lock from the start)."""
    if not _postgres():
        return ""
    return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"
