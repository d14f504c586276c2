"""On PostgreSQL, the database itself refuses to change or delete a ledger row.

Python code never does either; this guards against everything else (a raw
SQL session, a bug, an import script). TRUNCATE, which empties a whole
database for its owner (and for the test suite between tests), stays allowed. SQLite, the embedded default, has no
such trigger here; its tests rely on the services.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION donations_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'ledger entries are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER donations_ledger_append_only
    BEFORE UPDATE OR DELETE ON donations_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION donations_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS donations_ledger_append_only ON donations_ledgerentry;
DROP FUNCTION IF EXISTS donations_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
