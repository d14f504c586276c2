"""The database refuses a payment dated before the day its award was made.

`donations.services.disbursements.payment_date_problem` refuses it first and
says why (a 400 naming `paid_on`); these triggers, on PostgreSQL and on
SQLite alike, guard against everything else (raw SQL, an import script, a
bug), as migration 0012 does for the award's amount. No CHECK constraint can
read the award's row, hence a trigger.

The day an award was made is its `created_at` in the project's time zone
(settings.TIME_ZONE, read when this migration runs): PostgreSQL converts with
the zone's rules; SQLite, which stores UTC text and knows no zones, adds the
zone's smallest offset of the year, so in a zone with summer time it may
allow a payment an hour's worth earlier than the service does, never refuse
one the service allows. Only inserts and changes of `paid_on` or `award_id`
are checked: reversing a payment (setting `reversal`) never is, and payments
written before this migration stay as they are.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations

GUARD = "donations_disbursement_not_before_award"


def _zone() -> str:
    # Every value put into this SQL is a time zone name Django accepted or a
    # whole number of minutes computed here.
    return str(zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _smallest_offset_minutes() -> int:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    year = datetime.date.today().year
    offsets = [datetime.datetime(year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)]
    return int(min(offsets).total_seconds() // 60)


def pg_create() -> str:
    zone = _zone().replace("'", "")
    return f"""
CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger AS $$
DECLARE
    made_on date;
BEGIN
    SELECT (created_at AT TIME ZONE '{zone}')::date INTO made_on
        FROM donations_award WHERE id = NEW.award_id;
    IF NEW.paid_on < made_on THEN
        RAISE EXCEPTION USING
            MESSAGE = 'payment of award ' || NEW.award_id || ' dated ' || NEW.paid_on
                || ', before the award was made on ' || made_on,
            ERRCODE = 'check_violation',
            CONSTRAINT = '{GUARD}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {GUARD}
    BEFORE INSERT OR UPDATE OF paid_on, award_id ON donations_disbursement
    FOR EACH ROW EXECUTE FUNCTION {GUARD}();
"""  # nosec B608 (this module's constant and the settings' time zone, quotes removed)


PG_DROP = f"""
DROP TRIGGER IF EXISTS {GUARD} ON donations_disbursement;
DROP FUNCTION IF EXISTS {GUARD}();
"""


def sqlite_create() -> list[str]:
    minutes = _smallest_offset_minutes()
    made_on = (
        f"(SELECT date(created_at, '{minutes:+d} minutes') FROM donations_award "  # nosec B608
        "WHERE id = NEW.award_id)"
    )
    return [
        f"""
        CREATE TRIGGER {GUARD}_{name}
        BEFORE {event} ON donations_disbursement
        FOR EACH ROW WHEN NEW.paid_on < {made_on}
        BEGIN
            SELECT RAISE(ABORT, '{GUARD}: a payment cannot be dated before its award was made');
        END;
        """
        for name, event in (("insert", "INSERT"), ("update", "UPDATE OF paid_on, award_id"))
    ]


SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {GUARD}_insert;",
    f"DROP TRIGGER IF EXISTS {GUARD}_update;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg_create())
    elif vendor == "sqlite":
        for sql in sqlite_create():
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("donations", "0021_pledge_cancelled_with_its_reason")]

    operations = [migrations.RunPython(forwards, backwards)]
