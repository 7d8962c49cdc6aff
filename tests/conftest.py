import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The production hasher is slow on purpose; tests only need it to be correct."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files go to a temporary folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def is_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _ledger_journal_flushable(request):
    """SQLite: the ledger journal refuses DELETE (append-only triggers, ledger migration 0002),
    and a transactional test's flush deletes every row. Before that flush, empty the journal
    with its triggers lifted for a moment. (PostgreSQL's flush is a TRUNCATE, which fires no
    row trigger.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")  # set up first, so torn down after us
    yield
    from django.db import connection

    if not transactional or connection.vendor != "sqlite":
        return
    from ledger.migrations import _journal

    _journal.purge_for_tests(connection)
