"""Sync state: SyncRun (one initial sync / re-sync / retry) and EntitySync per entity."""

from __future__ import annotations

from django.db import models

from shoplink.integrations.shopify.models.store import ShopifyStore

__all__ = ["Entity", "EntityState", "EntitySync", "SyncLease", "SyncRun"]


class Entity(models.TextChoices):
    """The four entities in commit order (reference 2.5/2.6)."""

    CUSTOMERS = "customers", "Customers"
    ORDERS = "orders", "Orders"
    PRODUCTS = "products", "Products"
    COLLECTIONS = "collections", "Collections"


class EntityState(models.TextChoices):
    OFF = "off", "Off"
    PENDING = "pending", "Pending"
    SYNCING = "syncing", "Syncing"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=20)  # initial|resync|retry
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]


class EntitySync(models.Model):
    """The current state of one entity of one store (one row per store and entity)."""

    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="entity_syncs")
    entity = models.CharField(max_length=20, choices=Entity.choices)
    state = models.CharField(
        max_length=10, choices=EntityState.choices, default=EntityState.PENDING
    )
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    failure = models.JSONField(null=True, blank=True)
    # Bulk operations of the current attempt, per part ("orders" and
    # "abandoned_checkouts" for Orders): {"gid", "status", "groups_done", "total",
    # "ingested"}. ``groups_done`` is the checkpoint: JSONL groups already committed,
    # written in the same transaction as their rows, so a killed worker resumes there.
    operations = models.JSONField(default=dict, blank=True)
    # Progress samples of the current attempt, [[epoch seconds, done], ...] (at most
    # ``sync.rates.MAX_SAMPLES``), written with the batch's checkpoint (no extra write):
    # Store details draws the records per second from them.
    rate_samples = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "entity"], name="uniq_entity_sync")]


class SyncLease(models.Model):
    """Who may run the importer of one store right now (lease.py; D16 "one importer").

    A row per store; a worker owns it while ``holder`` is its id and ``expires_at`` is
    in the future. Taken with one conditional UPDATE, so it works on SQLite and
    PostgreSQL alike without advisory locks.
    """

    store = models.OneToOneField(ShopifyStore, on_delete=models.CASCADE, related_name="sync_lease")
    holder = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField()
