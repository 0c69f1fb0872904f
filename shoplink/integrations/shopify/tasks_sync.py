"""Thin sync jobs: load by id, call sync.py (HOUSE_STYLE "Tasks are thin").

Arguments are store ids only. ``advance_sync`` may run on any number of workers at
once: the store lease (lease.py) lets exactly one of them import.
"""

from __future__ import annotations

from huey import crontab

from shoplink.queue.jobs import periodic_task, task


@task()
def advance_sync(store_id: int) -> str:
    """Move one store's bulk sync forward (start, poll, ingest, finish)."""
    from shoplink.integrations.shopify import sync

    return sync.advance(store_id)


@task()
def reconcile_store(store_id: int) -> int:
    """Catch-up reconciliation of one store (after Reconnect, D31)."""
    from shoplink.integrations.shopify import reconcile
    from shoplink.integrations.shopify.models import ShopifyStore

    store = ShopifyStore.objects.filter(pk=store_id).first()
    return reconcile.reconcile_store(store) if store else 0


@periodic_task(crontab(minute="*/30"))
def reconcile_all() -> int:
    """D18: every 30 minutes, reconcile every Connected store."""
    from shoplink.integrations.shopify import reconcile

    return reconcile.reconcile_due()
