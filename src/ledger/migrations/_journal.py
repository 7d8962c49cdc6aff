"""The SQLite append-only triggers, named once for migration 0002 and the test flush helper."""

TABLES = ("ledger_transaction", "ledger_entry")


def sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE statement) of every SQLite trigger guarding the journal."""
    return [
        (
            f"{table}_no_{op.lower()}",
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'ledger journal is append-only: {op} on {table} refused'); END;",
        )
        for table in TABLES
        for op in ("UPDATE", "DELETE")
    ]


def purge_for_tests(connection) -> None:
    """Tests only (SQLite): empty the journal so a transactional test's flush can run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry")
        entries = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ledger_transaction")
        if not entries and not cursor.fetchone()[0]:
            return
        for name, _ in sqlite_triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        try:
            cursor.execute("DELETE FROM ledger_entry")
            cursor.execute("UPDATE ledger_transaction SET reverses_id = NULL")
            cursor.execute("DELETE FROM ledger_transaction")
        finally:
            for _, create in sqlite_triggers():
                cursor.execute(create)
