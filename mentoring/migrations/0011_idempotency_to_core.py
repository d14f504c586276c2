"""IdempotencyRecord moves to the core app (issue 14): state only.

The table (mentoring_idempotencyrecord) stays as it is, with its rows, its
unique key and its foreign key to the users; core's 0001_idempotency_from_mentoring
takes the model over with the same table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mentoring", "0010_match_runs_from_workers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
