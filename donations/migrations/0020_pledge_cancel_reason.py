"""A pledge's reason for cancelling in its own field, for the donor's page (issue 17 E).

`pledge_cancel` used to append the reason to the note as its last line; a
pledge cancelled before this migration gets that line as its reason.
"""

from django.db import migrations, models


def reasons_from_notes(apps, schema_editor):
    Pledge = apps.get_model("donations", "Pledge")
    for pledge in Pledge.objects.filter(status="cancelled", cancel_reason="").exclude(note=""):
        pledge.cancel_reason = pledge.note.rsplit("\n", 1)[-1].strip()
        pledge.save(update_fields=["cancel_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0019_payment_batch_exported_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpledge",
            name="cancel_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for cancelling"
            ),
        ),
        migrations.AddField(
            model_name="pledge",
            name="cancel_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for cancelling"
            ),
        ),
        migrations.RunPython(reasons_from_notes, migrations.RunPython.noop),
    ]
