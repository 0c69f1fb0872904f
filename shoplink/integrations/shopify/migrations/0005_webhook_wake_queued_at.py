from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shopify", "0004_readable_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookwake",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
