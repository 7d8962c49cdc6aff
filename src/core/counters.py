"""Named counters kept in the database, shared by every process."""

from django.db.models import F

from core.models import Counter


def counter_bump(name: str) -> None:
    updated = Counter.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        Counter.objects.get_or_create(name=name, defaults={"value": 1})


def counter_value(name: str) -> int:
    return Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0
