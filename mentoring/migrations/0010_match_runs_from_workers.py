"""MatchRun and ProposedPair are mentoring's (issue 14): state only.

The models take over the tables they had in workers (workers_matchrun,
workers_matchrun_schools, workers_proposedpair) through `db_table`; nothing
in the database changes, and the foreign keys (to workers_job, to the
pairings, terms, schools and users) keep their columns and constraints.
Only the two content types are renamed, so that the admin's log of a run and
the models' permissions stay attached to them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("matchrun", "proposedpair")


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    # A fresh database has no content types yet (post_migrate makes them, under
    # the new label); one migrated before has them under the old label.
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(
        schema_editor.connection.alias
    )
    for model in MOVED:
        if not content_types.filter(app_label=target, model=model).exists():
            content_types.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_mentoring(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="workers", target="mentoring")


def content_types_to_workers(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="mentoring", target="workers")


class Migration(migrations.Migration):
    dependencies = [
        ("mentoring", "0009_notification_resolved_at"),
        ("workers", "0010_match_runs_move_to_mentoring"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MatchRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("kinds", models.JSONField(default=list, verbose_name="kinds")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("running", "Running"),
                                    ("proposed", "Proposed"),
                                    ("approved", "Approved"),
                                    ("replaced", "Replaced by a later run"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        ("weights", models.JSONField(default=dict, verbose_name="weights")),
                        ("rules", models.JSONField(default=dict, verbose_name="rules")),
                        (
                            "packed_inputs",
                            models.BinaryField(blank=True, null=True, verbose_name="inputs"),
                        ),
                        (
                            "summary",
                            models.JSONField(blank=True, null=True, verbose_name="summary"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "approved_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="approved at"),
                        ),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "job",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="match_run",
                                to="workers.job",
                            ),
                        ),
                        (
                            "schools",
                            models.ManyToManyField(related_name="+", to="mentoring.school"),
                        ),
                        (
                            "term",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="mentoring.term",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "match run",
                        "verbose_name_plural": "match runs",
                        "db_table": "workers_matchrun",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="ProposedPair",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("cost", models.PositiveIntegerField(default=0, verbose_name="cost")),
                        ("reasons", models.JSONField(default=dict, verbose_name="reasons")),
                        ("by_hand", models.BooleanField(default=False, verbose_name="by hand")),
                        (
                            "pairing",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="proposal",
                                to="mentoring.pairing",
                            ),
                        ),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="proposed_pairs",
                                to="mentoring.matchrun",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "proposed pair",
                        "verbose_name_plural": "proposed pairs",
                        "db_table": "workers_proposedpair",
                        "ordering": ["run", "pk"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_mentoring, content_types_to_workers),
    ]
