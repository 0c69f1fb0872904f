"""Consent provenance in neutral words: ``source_state`` and ``source_opted_out``.

``shopify_state`` becomes ``source_state`` (the raw value as the source sent it), and
``source_opted_out`` keeps, per row, whether the source forbids marketing, which the
audience used to work out itself from Shopify's state names. Rows already stored get
it from the same rule (UNSUBSCRIBED, REDACTED and INVALID, in any case).
"""

from django.db import migrations, models

OPTED_OUT = ("UNSUBSCRIBED", "REDACTED", "INVALID")


def backfill(apps, schema_editor):
    Consent = apps.get_model("audience", "Consent")
    values = [v for state in OPTED_OUT for v in (state, state.lower(), state.capitalize())]
    Consent.objects.filter(source_state__in=values).update(source_opted_out=True)


class Migration(migrations.Migration):
    dependencies = [("audience", "0003_json_without_check")]

    operations = [
        migrations.RenameField("consent", "shopify_state", "source_state"),
        migrations.AddField(
            model_name="consent",
            name="source_opted_out",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
