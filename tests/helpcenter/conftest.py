import datetime as dt

import pytest

from helpcenter.loader import help_load

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def help_center(db):
    """The shipped help center, loaded (post_migrate loads it too; a flush may have emptied it)."""
    help_load(now=T0)
