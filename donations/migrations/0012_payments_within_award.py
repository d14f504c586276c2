"""Every award gets its plan, and the database refuses payments past an award's amount.

Awards made before plans existed are paid in one instalment of their whole
amount. Then a trigger, on PostgreSQL and on SQLite alike, refuses a standing
payment (one not reversed) of a cancelled award, or one that would take the
award's standing payments past its amount, whoever writes it: the services
check the same under the award's row lock and say why; the trigger guards
against everything else (raw SQL, an import script, a bug). On PostgreSQL the
trigger locks the award row itself, so two sessions inserting payments of one
award at once queue and the second sees the first.
"""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION donations_disbursement_within_award() RETURNS trigger AS $$
DECLARE
    award_amount bigint;
    award_status varchar;
    standing bigint;
BEGIN
    IF NEW.reversal_id IS NOT NULL THEN
        RETURN NEW;
    END IF;
    SELECT amount_fen, status INTO award_amount, award_status
        FROM donations_award WHERE id = NEW.award_id FOR UPDATE;
    IF award_status = 'cancelled' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'award ' || NEW.award_id || ' is cancelled: payment refused',
            ERRCODE = 'check_violation';
    END IF;
    SELECT COALESCE(SUM(amount_fen), 0) INTO standing FROM donations_disbursement
        WHERE award_id = NEW.award_id AND reversal_id IS NULL AND id <> NEW.id;
    IF standing + NEW.amount_fen > award_amount THEN
        RAISE EXCEPTION USING
            MESSAGE = 'payments of award ' || NEW.award_id || ' would exceed its amount',
            ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER donations_disbursement_within_award
    BEFORE INSERT OR UPDATE ON donations_disbursement
    FOR EACH ROW EXECUTE FUNCTION donations_disbursement_within_award();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS donations_disbursement_within_award ON donations_disbursement;
DROP FUNCTION IF EXISTS donations_disbursement_within_award();
"""

# SQLite writes one transaction at a time, so a trigger's reads cannot race.
SQLITE_CONDITION = """
NEW.reversal_id IS NULL AND (
    (SELECT status FROM donations_award WHERE id = NEW.award_id) = 'cancelled'
    OR (SELECT COALESCE(SUM(amount_fen), 0) FROM donations_disbursement
        WHERE award_id = NEW.award_id AND reversal_id IS NULL AND id IS NOT NEW.id)
       + NEW.amount_fen > (SELECT amount_fen FROM donations_award WHERE id = NEW.award_id)
)
"""

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER donations_disbursement_within_award_{op.lower()}
    BEFORE {op} ON donations_disbursement
    FOR EACH ROW WHEN {SQLITE_CONDITION}
    BEGIN
        SELECT RAISE(ABORT, 'payments of an award would exceed its amount, or it is cancelled');
    END;
    """
    for op in ("INSERT", "UPDATE")
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS donations_disbursement_within_award_insert;",
    "DROP TRIGGER IF EXISTS donations_disbursement_within_award_update;",
]


def plans_for_existing_awards(apps, schema_editor):
    Award = apps.get_model("donations", "Award")
    AwardInstalment = apps.get_model("donations", "AwardInstalment")
    rows = [
        AwardInstalment(award_id=pk, number=1, amount_fen=amount)
        for pk, amount in Award.objects.filter(plan__isnull=True).values_list("pk", "amount_fen")
    ]
    AwardInstalment.objects.bulk_create(rows, batch_size=1000)


def triggers_forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
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
    dependencies = [("donations", "0011_award_plans_and_corrections")]

    operations = [
        migrations.RunPython(plans_for_existing_awards, migrations.RunPython.noop),
        migrations.RunPython(triggers_forwards, triggers_backwards),
    ]
