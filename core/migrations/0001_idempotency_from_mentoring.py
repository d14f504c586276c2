"""IdempotencyRecord is core's (issue 14): state only.

The model takes over the table it had in mentoring (mentoring_idempotencyrecord)
through `db_table`; nothing in the database changes, and the unique key and
the foreign key to the users keep their names, columns and constraints. Only
the content type is renamed, so that the model's permissions stay attached to it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("idempotencyrecord",)


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    # A fresh database has no content types yet (post_migrate makes them, under
    # the new label); one migrated before has them under the old label.
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(
        schema_editor.connection.alias
    )
    for model in MOVED:
        if not content_types.filter(app_label=target, model=model).exists():
            content_types.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_core(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="mentoring", target="core")


def content_types_to_mentoring(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="core", target="mentoring")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("mentoring", "0011_idempotency_to_core"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
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
                        ("key", models.CharField(max_length=200)),
                        ("scope", models.CharField(max_length=200)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("claim", models.CharField(default="", max_length=32)),
                        ("status_code", models.PositiveSmallIntegerField(null=True)),
                        ("body", models.JSONField(null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "mentoring_idempotencyrecord",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "scope", "key"), name="idempotency_unique_key"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_core, content_types_to_mentoring),
    ]
