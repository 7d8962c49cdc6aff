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


def real_now() -> dt.datetime:
    """The wall clock, never shifted: for the audit rows that record moving the demo clock."""
    return timezone.now()


# One step of the demo clock moves it at most this far (a slip of the keyboard, "7000d",
# would otherwise put the site years ahead with no way back but a reset).
MAX_STEP = dt.timedelta(days=366)


def demo_clock_advance(delta: dt.timedelta, *, actor=None, via: str = "") -> dt.timedelta:
    """Move the demo clock forward; returns the new total offset. Audited (who, when, how far)."""
    if not demo_clock_enabled():
        raise DemoClockDisabled("The demo clock is off (settings.DEMO_CLOCK).")
    if delta <= dt.timedelta(0):
        raise ValueError("The demo clock only moves forward.")
    if delta > MAX_STEP:
        raise ValueError(f"Move the clock at most {MAX_STEP.days} days at a time.")
    from django.db import transaction
    from django.db.models import F

    from core.audit import audit_record
    from core.models import Counter

    with transaction.atomic():
        before = now()
        Counter.objects.get_or_create(name=OFFSET_COUNTER, defaults={"value": 0})
        Counter.objects.filter(name=OFFSET_COUNTER).update(value=F("value") + int(delta.total_seconds()))
        offset = demo_offset()
        audit_record(
            actor=actor,
            action="demo_clock.advance",
            data={
                "by_seconds": int(delta.total_seconds()),
                "offset_seconds": int(offset.total_seconds()),
                "site_time_before": before.isoformat(),
                "site_time_after": now().isoformat(),
                "via": via,
            },
            at=real_now(),
        )
    return offset


def demo_clock_reset(*, actor=None, via: str = "") -> None:
    """Put the demo clock back on real time. Audited."""
    if not demo_clock_enabled():
        raise DemoClockDisabled("The demo clock is off (settings.DEMO_CLOCK).")
    from django.db import transaction

    from core.audit import audit_record
    from core.models import Counter

    with transaction.atomic():
        before = demo_offset()
        Counter.objects.filter(name=OFFSET_COUNTER).delete()
        audit_record(
            actor=actor,
            action="demo_clock.reset",
            data={"offset_seconds_before": int(before.total_seconds()), "offset_seconds": 0, "via": via},
            at=real_now(),
        )


_DURATION = re.compile(r"^\s*(\d{1,7})\s*([dhms])\s*$")


def parse_duration(text: str) -> dt.timedelta:
    """'7d', '36h', '90m', '30s' → timedelta."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError("Use a whole number followed by d, h, m or s, e.g. 7d or 36h.")
    value, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: value})
