"""``manage.py shopify_prune``: apply the retention rules now (the nightly job's work)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shoplink.integrations.shopify.webhooks import retention


class Command(BaseCommand):
    help = (
        "Delete webhook deliveries and Activity entries past their retention and expire "
        "old privacy exports (WEBHOOK_RETENTION_DAYS, ACTIVITY_RETENTION_DAYS, "
        "PRIVACY_EXPORT_RETENTION_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options):
        counts = retention.prune(batch_size=max(1, batch_size))
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
