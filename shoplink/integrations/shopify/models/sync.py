"""Sync state: SyncRun (one initial sync / re-sync / retry) and EntitySync per entity."""

from __future__ import annotations

from django.db import models

from shoplink.integrations.shopify.models.store import ShopifyStore

__all__ = ["Entity", "EntityState", "EntitySync", "SyncRun"]


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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "entity"], name="uniq_entity_sync")]
