"""MatchRun and ProposedPair move to the mentoring app (issue 14): state only.

The tables (workers_matchrun, workers_matchrun_schools, workers_proposedpair)
stay as they are, with their rows and constraints; mentoring's
0010_match_runs_from_workers takes the models over with the same tables.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workers", "0009_job_heartbeat_and_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ProposedPair"),
                migrations.DeleteModel(name="MatchRun"),
            ],
            database_operations=[],
        ),
    ]
