"""The journal is append-only: the database refuses UPDATE and DELETE on its rows.

PostgreSQL: one plpgsql trigger function raising an exception (SQLSTATE 23001,
restrict_violation, so Django raises IntegrityError), fired BEFORE UPDATE OR DELETE
for each row of ledger_transaction and ledger_entry. (TRUNCATE, which only the test
runner's flush uses, fires no row trigger.)

SQLite: BEFORE UPDATE and BEFORE DELETE triggers that SELECT RAISE(ABORT, …).
"""

from django.db import migrations

from ledger.migrations._journal import TABLES, sqlite_triggers

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, None)  # None: no %-placeholders
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
            )
    elif vendor == "sqlite":
        for _, create in sqlite_triggers():
            schema_editor.execute(create)
    else:  # pragma: no cover - we run on PostgreSQL and SQLite only
        raise RuntimeError(f"No append-only triggers for the {vendor} database")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change();")
    elif vendor == "sqlite":
        for name, _ in sqlite_triggers():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
