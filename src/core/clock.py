"""The one place entry points read the clock. Domain code takes `now` as an argument."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()
