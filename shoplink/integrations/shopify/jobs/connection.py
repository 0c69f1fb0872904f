"""Jobs of the connection lifecycle: the D30 delete cleanup, health checks, grant keep-alive.

Arguments are store ids only; each job loads the store and calls one service.
"""

from __future__ import annotations

from huey import crontab

from shoplink.integrations.shopify.connection import health, lifecycle, tokens
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from shoplink.queue.jobs import periodic_task, task


@task(retries=3, retry_delay=30)
def delete_store(store_id: int) -> dict | None:
    """Background cleanup of a deleted store (D30); retried, and safe to repeat."""
    return lifecycle.delete_store_data(store_id)


@task()
def check_store_health(store_id: int, trigger: str = "schedule") -> bool | None:
    """One health check (D12) for one store."""
    store = ShopifyStore.objects.filter(pk=store_id).first()
    if store is None:
        return None
    return health.run_health_check(store, trigger=trigger).passed


@periodic_task(crontab(minute="17", hour="*/6"))
def check_all_stores_health() -> int:
    """D12 (beyond): every 6 hours, a health check of every store that is not paused."""
    ids = list(
        ShopifyStore.objects.exclude(
            status__in=[StoreStatus.DISCONNECTED, StoreStatus.DELETING]
        ).values_list("pk", flat=True)
    )
    for store_id in ids:
        check_store_health(store_id)
    return len(ids)


@periodic_task(crontab(minute="41", hour="3"))
def refresh_expiring_grants() -> int:
    """Daily: keep idle stores' refresh tokens from running out (D6)."""
    return tokens.refresh_expiring_grants()
