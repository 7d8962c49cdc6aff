"""The business-day calendar: weekends and the holidays staff keep in core.Holiday.

Day boundaries are taken in settings.BUSINESS_TIME_ZONE. Domain code passes
`now` (or a start instant) in; nothing here reads the clock.

`add_business_days(start, n)` keeps the wall-clock time of `start` and moves
it to the n-th business day after start's day. A start that falls on a
weekend or holiday first moves to 00:00 of the next business day, so a
deadline always grants n whole business days. Across a DST change the wall
time is kept and the UTC offset follows the zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.conf import settings

SATURDAY, SUNDAY = 5, 6


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.BUSINESS_TIME_ZONE)


# Holidays already read by the caller's own statement, for the code it runs (see holidays_known).
_known: ContextVar[frozenset[dt.date] | None] = ContextVar("known_holidays", default=None)


def load_holidays() -> frozenset[dt.date]:
    known = _known.get()
    if known is not None:
        return known
    from core.models import Holiday

    return frozenset(Holiday.objects.values_list("date", flat=True))


def holidays_sql() -> str:
    """A scalar subquery giving every holiday as one text ("YYYY-MM-DD,YYYY-MM-DD,…", or NULL
    when there is none), for a hot path to read the calendar inside a statement it runs anyway;
    turn it into dates with holidays_from_text."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return "(SELECT string_agg(to_char(h.date, 'YYYY-MM-DD'), ',' ORDER BY h.date) FROM core_holiday h)"
    return "(SELECT group_concat(h.date, ',') FROM core_holiday h)"


@functools.lru_cache(maxsize=8)
def holidays_from_text(text: str | None) -> frozenset[dt.date]:
    """The dates of a holidays_sql() value; parsed once per distinct value (the text is the whole
    calendar, so a holiday added or changed in any process gives a new text, never a stale set)."""
    if not text:
        return frozenset()
    return frozenset(dt.date.fromisoformat(day) for day in text.split(","))


@contextlib.contextmanager
def holidays_known(holidays: frozenset[dt.date]) -> Iterator[None]:
    """Inside this block load_holidays() returns `holidays` (read by the caller in this
    transaction, e.g. with holidays_sql()) instead of querying core.Holiday again."""
    token = _known.set(holidays)
    try:
        yield
    finally:
        _known.reset(token)


def is_business_day(day: dt.date, holidays: Iterable[dt.date] | None = None) -> bool:
    holidays = load_holidays() if holidays is None else holidays
    return day.weekday() not in (SATURDAY, SUNDAY) and day not in holidays


def add_business_days(
    start: dt.datetime, n: int, *, holidays: Iterable[dt.date] | None = None
) -> dt.datetime:
    """The instant n business days after `start` (an aware datetime), in UTC."""
    if start.tzinfo is None:
        raise ValueError("add_business_days needs an aware datetime")
    if n < 0:
        raise ValueError("n must be zero or positive")
    holidays = frozenset(load_holidays() if holidays is None else holidays)
    zone = business_zone()
    local = start.astimezone(zone)
    day, wall = local.date(), local.time().replace(tzinfo=None)
    if not is_business_day(day, holidays):
        while not is_business_day(day, holidays):
            day += dt.timedelta(days=1)
        wall = dt.time(0, 0)
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            remaining -= 1
    return dt.datetime.combine(day, wall, tzinfo=zone).astimezone(dt.UTC)


def business_days_between(start: dt.date, end: dt.date, *, holidays: Iterable[dt.date] | None = None) -> int:
    """Business days in the half-open range (start, end]."""
    holidays = frozenset(load_holidays() if holidays is None else holidays)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            count += 1
    return count
