"""The database refuses awards that promise more than the project's fund account holds.

For every project, what its standing awards still commit (awards with status
"awarded", less their standing payments: services.project_committed_fen)
must not exceed its fund account's balance (FundAccount.balance_fen, kept
equal to the sum of the ledger). The services check the same under the
account's row lock and say why (award_create, allocate,
appropriation_reverse); these triggers, on PostgreSQL and on SQLite alike,
guard against everything else (raw SQL, an import script, a bug). They
refuse a write that can only raise the commitment or lower the balance when
the project is over-committed after it:

- an award inserted, its amount raised, it un-cancelled or un-paid, or moved
  to another project;
- a standing payment reversed, shrunk, moved to another award or deleted;
- the account's balance lowered (or the account created, or moved) below
  the commitment;
- a ledger row taking money out, other than a payment, whose balance after
  it is below the commitment (a reversed contribution or appropriation).

A payment lowers the balance and the commitment by the same amount, so it
is not refused when the account holds exactly its commitment: its ledger row
and its Disbursement are written before the balance moves
(services.disbursement_pay), and a payment's ledger row is checked through
the balance it moves. Cancelling an award or paying it only lowers the
commitment and is never checked.

On PostgreSQL the checks run once per statement and project (an allocation
inserts hundreds of awards in one statement) and lock the account row first,
so writers of one project queue and the second sees the first. Errors are
check violations naming the constraint `donations_award_within_account`
(donations.guards maps them to 409).

Like adding a CHECK constraint, the migration stops if existing data already
breaks the rule, naming the projects and what each lacks: fund them (or
cancel the awards) first.
"""

from django.db import migrations

GUARD = "donations_award_within_account"

# What project {p}'s standing awards still commit, in fen: SQL over the same
# rows on both databases.
COMMITTED = """(
    COALESCE((SELECT SUM(a.amount_fen) FROM donations_award a
              WHERE a.project_id = {p} AND a.status = 'awarded'), 0)
    - COALESCE((SELECT SUM(d.amount_fen) FROM donations_disbursement d
                JOIN donations_award a ON a.id = d.award_id
                WHERE a.project_id = {p} AND a.status = 'awarded'
                  AND d.reversal_id IS NULL), 0)
)"""

# What project {p}'s account holds; a project without an account holds nothing.
HELD = "COALESCE((SELECT balance_fen FROM donations_fundaccount WHERE project_id = {p}), 0)"


def committed(p: str) -> str:
    return COMMITTED.format(p=p)


def held(p: str) -> str:
    return HELD.format(p=p)


# Every name and every SQL fragment put into this SQL is a constant of this
# module: no value from outside reaches it.
PG_CREATE = f"""
CREATE OR REPLACE FUNCTION {GUARD}_refuse(project bigint, balance bigint) RETURNS void AS $$
DECLARE
    promised bigint;
BEGIN
    promised := {committed("project")};
    IF promised > balance THEN
        RAISE EXCEPTION USING
            MESSAGE = 'unpaid awards of project ' || project || ' would commit ' || promised
                || ' fen, more than its fund account holds (' || balance || ' fen)',
            ERRCODE = 'check_violation',
            CONSTRAINT = '{GUARD}';
    END IF;
END;
$$ LANGUAGE plpgsql;

-- Each project once, in id order (two writers lock accounts in the same order):
-- lock its account, then compare what it holds with what its awards commit.
CREATE OR REPLACE FUNCTION {GUARD}_check(projects bigint[]) RETURNS void AS $$
DECLARE
    project bigint;
    balance bigint;
BEGIN
    FOR project IN
        SELECT DISTINCT p FROM unnest(projects) AS p WHERE p IS NOT NULL ORDER BY p
    LOOP
        SELECT balance_fen INTO balance FROM donations_fundaccount
            WHERE project_id = project FOR UPDATE;
        PERFORM {GUARD}_refuse(project, COALESCE(balance, 0));
    END LOOP;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_award_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(
        SELECT project_id FROM new_rows WHERE status = 'awarded'));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_award_updated() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(
        SELECT n.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status = 'awarded'
          AND (o.status <> 'awarded' OR n.amount_fen > o.amount_fen
               OR n.project_id <> o.project_id)));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_payment_updated() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(
        SELECT a.project_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN donations_award a ON a.id IN (o.award_id, n.award_id)
        WHERE o.reversal_id IS NULL
          AND (n.reversal_id IS NOT NULL OR n.amount_fen < o.amount_fen
               OR n.award_id <> o.award_id)));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_payment_deleted() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(
        SELECT a.project_id FROM old_rows o JOIN donations_award a ON a.id = o.award_id
        WHERE o.reversal_id IS NULL));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_account_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(SELECT project_id FROM new_rows));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION {GUARD}_account_updated() RETURNS trigger AS $$
BEGIN
    PERFORM {GUARD}_check(ARRAY(
        SELECT p FROM new_rows n JOIN old_rows o ON o.id = n.id,
            LATERAL (VALUES (n.project_id), (o.project_id)) AS projects(p)
        WHERE n.balance_fen < o.balance_fen OR n.project_id <> o.project_id));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Money out of an account, other than a payment, checked against the balance
-- the row says the account has after it (the lowest, if a statement writes several).
CREATE OR REPLACE FUNCTION {GUARD}_ledger_inserted() RETURNS trigger AS $$
DECLARE
    entry record;
BEGIN
    FOR entry IN
        SELECT f.project_id, MIN(n.balance_after_fen) AS balance
        FROM new_rows n JOIN donations_fundaccount f ON f.id = n.account_id
        WHERE n.amount_fen < 0 AND n.kind <> 'disbursement'
        GROUP BY f.project_id ORDER BY f.project_id
    LOOP
        PERFORM 1 FROM donations_fundaccount WHERE project_id = entry.project_id FOR UPDATE;
        PERFORM {GUARD}_refuse(entry.project_id, entry.balance);
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {GUARD}_award_inserted AFTER INSERT ON donations_award
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_award_inserted();
CREATE TRIGGER {GUARD}_award_updated AFTER UPDATE ON donations_award
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_award_updated();
CREATE TRIGGER {GUARD}_payment_updated AFTER UPDATE ON donations_disbursement
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_payment_updated();
CREATE TRIGGER {GUARD}_payment_deleted AFTER DELETE ON donations_disbursement
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_payment_deleted();
CREATE TRIGGER {GUARD}_account_inserted AFTER INSERT ON donations_fundaccount
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_account_inserted();
CREATE TRIGGER {GUARD}_account_updated AFTER UPDATE ON donations_fundaccount
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_account_updated();
CREATE TRIGGER {GUARD}_ledger_inserted AFTER INSERT ON donations_ledgerentry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}_ledger_inserted();
"""  # nosec B608

PG_TRIGGERS = [
    ("award_inserted", "donations_award"),
    ("award_updated", "donations_award"),
    ("payment_updated", "donations_disbursement"),
    ("payment_deleted", "donations_disbursement"),
    ("account_inserted", "donations_fundaccount"),
    ("account_updated", "donations_fundaccount"),
    ("ledger_inserted", "donations_ledgerentry"),
]

PG_DROP = "\n".join(
    [f"DROP TRIGGER IF EXISTS {GUARD}_{name} ON {table};" for name, table in PG_TRIGGERS]
    + [f"DROP FUNCTION IF EXISTS {GUARD}_{name}();" for name, _table in PG_TRIGGERS]
    + [
        f"DROP FUNCTION IF EXISTS {GUARD}_check(bigint[]);",
        f"DROP FUNCTION IF EXISTS {GUARD}_refuse(bigint, bigint);",
    ]
)

# SQLite writes one transaction at a time, so a trigger's reads cannot race;
# its triggers run per row, after the row is written.
_OLD_PROJECT = "(SELECT project_id FROM donations_award WHERE id = OLD.award_id)"
_NEW_PROJECT = "(SELECT project_id FROM donations_award WHERE id = NEW.award_id)"
_ACCOUNT_PROJECT = "(SELECT project_id FROM donations_fundaccount WHERE id = NEW.account_id)"

SQLITE_TRIGGERS = {
    "award_inserted": (
        "AFTER INSERT ON donations_award",
        f"NEW.status = 'awarded' AND {committed('NEW.project_id')} > {held('NEW.project_id')}",
    ),
    "award_updated": (
        "AFTER UPDATE OF status, amount_fen, project_id ON donations_award",
        "NEW.status = 'awarded' AND (OLD.status <> 'awarded' OR NEW.amount_fen > OLD.amount_fen"
        " OR NEW.project_id <> OLD.project_id)"
        f" AND {committed('NEW.project_id')} > {held('NEW.project_id')}",
    ),
    "payment_updated": (
        "AFTER UPDATE ON donations_disbursement",
        "OLD.reversal_id IS NULL AND (NEW.reversal_id IS NOT NULL"
        " OR NEW.amount_fen < OLD.amount_fen OR NEW.award_id <> OLD.award_id)"
        f" AND ({committed(_OLD_PROJECT)} > {held(_OLD_PROJECT)}"
        f" OR {committed(_NEW_PROJECT)} > {held(_NEW_PROJECT)})",
    ),
    "payment_deleted": (
        "AFTER DELETE ON donations_disbursement",
        f"OLD.reversal_id IS NULL AND {committed(_OLD_PROJECT)} > {held(_OLD_PROJECT)}",
    ),
    "account_inserted": (
        "AFTER INSERT ON donations_fundaccount",
        f"{committed('NEW.project_id')} > NEW.balance_fen",
    ),
    "account_updated": (
        "AFTER UPDATE ON donations_fundaccount",
        "(NEW.balance_fen < OLD.balance_fen OR NEW.project_id <> OLD.project_id)"
        f" AND ({committed('NEW.project_id')} > NEW.balance_fen"
        f" OR {committed('OLD.project_id')} > {held('OLD.project_id')})",
    ),
    "ledger_inserted": (
        "AFTER INSERT ON donations_ledgerentry",
        "NEW.amount_fen < 0 AND NEW.kind <> 'disbursement'"
        f" AND {committed(_ACCOUNT_PROJECT)} > NEW.balance_after_fen",
    ),
}

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER {GUARD}_{name} {event}
    FOR EACH ROW WHEN {condition}
    BEGIN
        SELECT RAISE(ABORT, '{GUARD}: unpaid awards would commit more than the fund account holds');
    END;
    """
    for name, (event, condition) in SQLITE_TRIGGERS.items()
]

SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {GUARD}_{name};" for name in SQLITE_TRIGGERS]

# Projects whose standing awards already commit more than their account holds.
OVER_COMMITTED = f"""
SELECT p.id, p.code, {committed("p.id")} AS promised, {held("p.id")} AS balance
FROM donations_aidproject p
WHERE {committed("p.id")} > {held("p.id")}
ORDER BY p.id
"""  # nosec B608 (constants of this module only, as PG_CREATE)


def refuse_existing_over_commitment(schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OVER_COMMITTED)
        rows = cursor.fetchall()
    if rows:
        lacking = "; ".join(
            f"project {pk} ({code}) commits {promised} fen, holds {balance} fen"
            for pk, code, promised, balance in rows
        )
        raise RuntimeError(
            "Unpaid awards already commit more than their fund accounts hold: "
            f"{lacking}. Fund these accounts or cancel the awards, then migrate again."
        )


def triggers_forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    refuse_existing_over_commitment(schema_editor)
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    else:
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)


def triggers_backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("donations", "0012_payments_within_award")]

    operations = [migrations.RunPython(triggers_forwards, triggers_backwards)]
