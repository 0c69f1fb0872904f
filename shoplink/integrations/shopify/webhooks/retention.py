"""Retention: what the inbox and the Activity list keep, and the nightly prune (issue 12).

* Finished webhook deliveries (every state but received) are kept
  ``WEBHOOK_RETENTION_DAYS`` (14) after they were processed; their bodies are already
  blank (``inbox._finish``), the rows are what the dedupe key and the troubleshooting
  views need for a while, not for ever.
* Activity entries are kept ``ACTIVITY_RETENTION_DAYS`` (90).
* A ``customers/data_request`` export holds personal data: its content is erased after
  ``PRIVACY_EXPORT_RETENTION_DAYS`` (30); the entry itself stays as the record that a
  request was answered (until the Activity retention takes it).

Deletes run in batches of ``batch_size`` rows, each its own short statement in the
database's write turn (``writelock.py``), so the receiver's INSERT waits at most one
batch, never the whole prune.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import router, transaction
from django.db.models import Model, QuerySet

from shoplink.core import clock
from shoplink.integrations.shopify.models import ActivityEntry, DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

BATCH_SIZE = 500
EXPORT_KIND = "privacy_export"


def _days(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, name, default)))


def export_cutoff() -> dt.datetime:
    """Exports made before this time are expired (their content erased)."""
    return clock.now() - _days("PRIVACY_EXPORT_RETENTION_DAYS", 30)


def _delete_in_batches(rows: QuerySet, model: type[Model], batch_size: int) -> int:
    deleted = 0
    using = router.db_for_write(model)  # deliveries live in the inbox's database
    while True:
        with sqlite_writer(using), transaction.atomic(using=using):
            ids = list(rows.values_list("pk", flat=True)[:batch_size])
            if ids:
                model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted


def expire_exports(batch_size: int = BATCH_SIZE) -> int:
    """Erase the content of exports older than the export retention; return how many."""
    expired = 0
    old = ActivityEntry.objects.filter(
        kind=EXPORT_KIND, at__lt=export_cutoff(), detail__has_key="export"
    )
    while True:
        with sqlite_writer(), transaction.atomic():
            entries = list(old.only("pk", "detail")[:batch_size])
            for entry in entries:
                keep = {k: entry.detail.get(k) for k in ("customer_id", "data_request_id")}
                entry.detail = {**keep, "expired": True}
            ActivityEntry.objects.bulk_update(entries, ["detail"])
        expired += len(entries)
        if len(entries) < batch_size:
            return expired


def prune(batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Apply every retention rule; return how many rows each one removed or expired."""
    now = clock.now()
    deliveries = WebhookDelivery.objects.exclude(state=DeliveryState.RECEIVED).filter(
        processed_at__lt=now - _days("WEBHOOK_RETENTION_DAYS", 14)
    )
    activity = ActivityEntry.objects.filter(at__lt=now - _days("ACTIVITY_RETENTION_DAYS", 90))
    return {
        "webhook_deliveries": _delete_in_batches(deliveries, WebhookDelivery, batch_size),
        "activity": _delete_in_batches(activity, ActivityEntry, batch_size),
        "exports_expired": expire_exports(batch_size),
    }
