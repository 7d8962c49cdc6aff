"""Named counters kept in the database, shared by every process."""

from core.models import Counter
from deadlines.rows import sql_run

# Fixed SQL (prepared once per connection on PostgreSQL): a checkout bumps the catalog version.
_BUMP_SQL = 'UPDATE "core_counter" SET "value" = "value" + 1 WHERE "name" = %s'


def counter_bump(name: str) -> None:
    if not sql_run(_BUMP_SQL, [name]):
        Counter.objects.get_or_create(name=name, defaults={"value": 1})


def counter_value(name: str) -> int:
    return Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0
