"""Sync jobs: load by id, call the sync services (HOUSE_STYLE "Tasks are thin").

Arguments are store ids only. ``advance_sync`` may run on any number of workers at
once: the store lease (``sync/lease.py``) lets exactly one of them import.
"""

from __future__ import annotations

from huey import crontab

from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.sync import reconcile, runs
from shoplink.queue.jobs import periodic_task, task

# An import that fails on the database going away (a restart, a failover) is resumed
# from its checkpoint once it is back, not a minute later by the stall sweeper: retried
# for about as long as a restart takes, on a fresh connection (the lease is released
# meanwhile, sync/lease.py). Any number of these may run at once (the lease).
RETRIES = 10
RETRY_DELAY = 2  # seconds


@task(retries=RETRIES, retry_delay=RETRY_DELAY)
def advance_sync(store_id: int) -> str:
    """Move one store's bulk sync forward (start, poll, ingest, finish)."""
    return runs.advance(store_id)


@task()
def reconcile_store(store_id: int) -> int:
    """Reconcile one store: the 30-minute pass (D18) or the catch-up after Reconnect (D31)."""
    store = ShopifyStore.objects.filter(pk=store_id).first()
    return reconcile.reconcile_store(store) if store else 0


@task()
def catch_up_store(store_id: int) -> int:
    """The catch-up after Reconnect (D31, ADR 0045): the gap's records and their events."""
    store = ShopifyStore.objects.filter(pk=store_id).first()
    return reconcile.catch_up_store(store) if store else 0


@periodic_task(crontab(minute="*/30"))
def reconcile_all() -> int:
    """D18: every 30 minutes, reconcile every Connected store that is due."""
    due = reconcile.stores_due()
    for store_id in due:
        reconcile_store(store_id)
    return len(due)
