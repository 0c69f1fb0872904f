"""The end of a sync run: stats and RFM, Last bulk sync, Activity, the health check.

:func:`finish_runs` is called by ``sync.advance`` once no entity of a run is Pending or
Syncing any more. It closes the run (succeeded / failed), rebuilds the computed
properties set-wise (D24, D25), sets ``last_bulk_sync_at`` when anything committed and
``initial_sync_completed_at`` once every enabled entity is Synced, writes the Activity
line, runs the post-sync health check (D12) and lets the store's status follow (D10).
"""

from __future__ import annotations

import logging

from django.utils.translation import ngettext

from shoplink.commerce import services as commerce
from shoplink.core import clock
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.connection import health
from shoplink.integrations.shopify.connection import status as store_status
from shoplink.integrations.shopify.models import EntityState, EntitySync, ShopifyStore, SyncRun
from shoplink.integrations.shopify.sync.entities import ACTIVE, entity_enabled, entity_rows

log = logging.getLogger(__name__)

RUN_LABEL = {"initial": "Initial sync", "resync": "Re-sync", "retry": "Retry"}


def finish_runs(store: ShopifyStore) -> None:
    """Close every run of the store whose entities are no longer active."""
    open_runs = SyncRun.objects.filter(store=store, finished_at__isnull=True)
    for run in open_runs:
        if EntitySync.objects.filter(store=store, run=run, state__in=ACTIVE).exists():
            continue
        _finish(store, run)


def _finish(store, run: SyncRun) -> None:
    rows = list(EntitySync.objects.filter(store=store, run=run))
    failed = [es for es in rows if es.state == EntityState.FAILED]
    synced = [es for es in rows if es.state == EntityState.SYNCED]
    now = clock.now()
    if synced:
        # D24/D25: computed properties are rebuilt set-wise after each bulk sync.
        commerce.rebuild_stats_for_source(store.project, store.source)
        commerce.recompute_rfm(store.project, store.source)
    updates = {"last_bulk_sync_at": now} if synced else {}
    enabled = [es for es in entity_rows(store) if entity_enabled(store, es.entity)]
    if not store.initial_sync_completed_at and all(
        es.state == EntityState.SYNCED for es in enabled
    ):
        updates["initial_sync_completed_at"] = now
    if updates:
        ShopifyStore.objects.filter(pk=store.pk).update(**updates)
        for name, value in updates.items():
            setattr(store, name, value)
    run.finished_at, run.outcome = now, "failed" if failed else "succeeded"
    run.save(update_fields=["finished_at", "outcome"])
    store_status.log_activity(store, "sync", run_summary(run.kind, synced, failed))
    _health_check(store)
    store_status.recompute_status(store)


# How many of an entity's records a run imported, in words (ngettext: "1 customer").
_COUNTED = {
    "customers": lambda n: ngettext("%(n)s customer", "%(n)s customers", n),
    "orders": lambda n: ngettext("%(n)s order or checkout", "%(n)s orders and checkouts", n),
    "products": lambda n: ngettext("%(n)s product", "%(n)s products", n),
    "collections": lambda n: ngettext("%(n)s collection", "%(n)s collections", n),
}


def run_summary(kind: str, synced: list[EntitySync], failed: list[EntitySync]) -> str:
    """The Activity line of a finished run.

    E.g. "Re-sync finished: 120 customers, 300 orders and checkouts imported. Products
    failed; see Sync settings."
    """
    line = f"{RUN_LABEL.get(kind, 'Sync')} finished"
    counts = [_COUNTED[es.entity](es.done) % {"n": f"{es.done:,}"} for es in synced]
    if counts:
        line += ": " + ", ".join(counts) + " imported."
    else:
        line += "."
    if failed:
        names = ", ".join(es.get_entity_display() for es in failed)
        line += f" {names} failed; see Sync settings."
    return line


def _health_check(store) -> None:
    """Run the post-sync health check (D12); its failure is the check's own result."""
    try:
        health.run_health_check(store, trigger="after_sync")
    except ShopifyError:
        log.warning("post-sync health check failed for store %s", store.pk)
