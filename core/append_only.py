"""Append-only tables: the database itself refuses to UPDATE or DELETE their rows.

A migration creates the triggers (`sqlite_triggers`, `postgresql_triggers`);
Python code never changes such a row, and the triggers guard against
everything else: a raw SQL session, a bug, an import script.

Emptying the whole database stays possible, as it must for `manage.py flush`
and for the test suite between tests. PostgreSQL empties tables with
TRUNCATE, which row triggers do not see. SQLite has no TRUNCATE: Django's
flush deletes every row. So the SQLite DELETE trigger asks the SQL function
`bangfu_erasing_everything()` whether a flush is under way. The function
exists only on the application's own connections (registered by
`register_sqlite_function` when a connection opens) and answers true only
inside `erasing_everything()`, which the `flush` command wraps
(core/management/commands/flush.py). In any other SQLite session, such as
the sqlite3 shell, the function does not exist, the trigger fails, and the
delete is refused all the same.

SQLite drops a table's triggers when a migration rebuilds the table (as it
does for most ALTER TABLE operations): a migration that alters an
append-only table must create its triggers again. The tests that try an
UPDATE and a DELETE on the migrated test database catch a forgotten one.
"""

from contextlib import contextmanager
from contextvars import ContextVar

ERASING_FUNCTION = "bangfu_erasing_everything"
_erasing = ContextVar("erasing_everything", default=False)


@contextmanager
def erasing_everything():
    """Within this block, the app's SQLite connections let append-only rows be deleted."""
    token = _erasing.set(True)
    try:
        yield
    finally:
        _erasing.reset(token)


def register_sqlite_function(sender, connection, **kwargs):
    """`connection_created` receiver: define the function the SQLite triggers consult."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            ERASING_FUNCTION, 0, lambda: int(_erasing.get()), deterministic=False
        )


def sqlite_triggers(table: str, what: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements of the SQLite triggers of `table`; `what` names its rows."""
    create = [
        f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{what} are append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table} "
        f"WHEN NOT {ERASING_FUNCTION}() "
        f"BEGIN SELECT RAISE(ABORT, '{what} are append-only: DELETE refused'); END",
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {table}_append_only_update",
        f"DROP TRIGGER IF EXISTS {table}_append_only_delete",
    ]
    return create, drop


def postgresql_triggers(table: str, what: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements of the PostgreSQL trigger of `table` and its function."""
    function = f"{table}_append_only"
    create = [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION USING
                MESSAGE = '{what} are append-only: ' || TG_OP || ' refused',
                ERRCODE = 'integrity_constraint_violation';
        END;
        $$ LANGUAGE plpgsql
        """,
        f"CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {function} ON {table}",
        f"DROP FUNCTION IF EXISTS {function}()",
    ]
    return create, drop


def triggers_operation(table: str, what: str):
    """A migration operation creating (and, backwards, dropping) the triggers of `table`."""
    from django.db import migrations

    def statements(vendor: str, index: int) -> list[str]:
        if vendor == "postgresql":
            return postgresql_triggers(table, what)[index]
        if vendor == "sqlite":
            return sqlite_triggers(table, what)[index]
        raise NotImplementedError(f"append-only triggers for {vendor}")

    def forwards(apps, schema_editor):
        for statement in statements(schema_editor.connection.vendor, 0):
            schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        for statement in statements(schema_editor.connection.vendor, 1):
            schema_editor.execute(statement)

    return migrations.RunPython(forwards, backwards)
