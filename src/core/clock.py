"""The one clock. Entry points (views, API, workers, commands) call `now()`;
domain code takes `now` as an argument.

The demo clock: when settings.DEMO_CLOCK is on (for `make run` and acceptance
runs; the production settings refuse it), staff may move the site's time
forward by an offset kept in the database, so every process — web and
workers — sees the same shifted time and the worker fires whatever became due.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

OFFSET_COUNTER = "demo_clock_offset_seconds"


class DemoClockDisabled(RuntimeError):
    pass


def demo_clock_enabled() -> bool:
    return bool(getattr(settings, "DEMO_CLOCK", False))


def demo_offset() -> dt.timedelta:
    if not demo_clock_enabled():
        return dt.timedelta(0)
    from core.counters import counter_value

    return dt.timedelta(seconds=counter_value(OFFSET_COUNTER))


def now() -> dt.datetime:
    real = timezone.now()
    if not demo_clock_enabled():
        return real
    return real + demo_offset()


def demo_clock_advance(delta: dt.timedelta) -> dt.timedelta:
    """Move the demo clock forward; returns the new total offset."""
    if not demo_clock_enabled():
        raise DemoClockDisabled("The demo clock is off (settings.DEMO_CLOCK).")
    if delta <= dt.timedelta(0):
        raise ValueError("The demo clock only moves forward.")
    from django.db.models import F

    from core.models import Counter

    Counter.objects.get_or_create(name=OFFSET_COUNTER, defaults={"value": 0})
    Counter.objects.filter(name=OFFSET_COUNTER).update(value=F("value") + int(delta.total_seconds()))
    return demo_offset()


def demo_clock_reset() -> None:
    if not demo_clock_enabled():
        raise DemoClockDisabled("The demo clock is off (settings.DEMO_CLOCK).")
    from core.models import Counter

    Counter.objects.filter(name=OFFSET_COUNTER).delete()


_DURATION = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")


def parse_duration(text: str) -> dt.timedelta:
    """'7d', '36h', '90m', '30s' → timedelta."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError("Use a whole number followed by d, h, m or s, e.g. 7d or 36h.")
    value, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: value})
