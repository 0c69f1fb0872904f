from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shopify", "0005_entity_sync_rate_samples"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookwake",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
