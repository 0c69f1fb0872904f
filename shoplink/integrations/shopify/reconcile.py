"""Reconciliation (D18): an incremental read by ``updated_at`` that repairs lost webhooks.

Every 30 minutes while a store is Connected, each enabled entity is read page by page
through ``queries.incremental_query`` with ``updated_at >= last run - 10 minutes`` (the
overlap covers clock skew and records written while the previous pass ran), and fed
to the same ingest functions as the bulk import and the webhooks. Rows that are
already current come back "unchanged" or "stale", so only real repairs are counted.
The client paces requests by the cost extension (PLATFORM §3). It never moves an
entity's Last synced (that is the bulk sync's, 2.5) and emits no events.
"""

from __future__ import annotations

import datetime as dt

from shoplink.core import clock
from shoplink.integrations.shopify import ingest, mapping, queries
from shoplink.integrations.shopify import status as store_status
from shoplink.integrations.shopify.client import ShopifyError, client_for
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.sync import ORDER, entity_enabled
from shoplink.integrations.shopify.sync_bulk import ENTITY_PARTS
from shoplink.queue.jobs import enqueue_on_commit

__all__ = ["reconcile_due", "reconcile_store", "schedule_catch_up"]

INTERVAL = dt.timedelta(minutes=30)
OVERLAP = dt.timedelta(minutes=10)

_ROOT_FIELD = {
    "customers": "customers",
    "orders": "orders",
    "abandoned_checkouts": "abandonedCheckouts",
    "products": "products",
    "collections": "collections",
}
# Incremental pages carry children nested, so the mapping functions read them there.
_MAP = {
    "customers": mapping.customer_from_graphql,
    "orders": mapping.order_from_graphql,
    "abandoned_checkouts": mapping.checkout_from_graphql,
    "products": mapping.product_from_graphql,
    "collections": mapping.collection_from_graphql,
}
_WRITE = {
    "customers": ingest.ingest_customers,
    "orders": ingest.ingest_orders,
    "abandoned_checkouts": ingest.ingest_checkouts,
    "products": ingest.ingest_products,
    "collections": ingest.ingest_collections,
}


def reconcile_due() -> int:
    """Queue a reconciliation for every Connected store whose last one is 30 minutes old."""
    from shoplink.integrations.shopify import tasks_sync

    due = clock.now() - INTERVAL + dt.timedelta(minutes=1)  # a minute of slack for the cron
    queued = 0
    for store in ShopifyStore.objects.filter(
        status="connected", initial_sync_completed_at__isnull=False
    ):
        if store.last_reconciled_at and store.last_reconciled_at > due:
            continue
        tasks_sync.reconcile_store(store.pk)
        queued += 1
    return queued


def schedule_catch_up(store: ShopifyStore) -> None:
    """After Reconnect (D31): reconcile the time the store was not connected."""
    from shoplink.integrations.shopify import tasks_sync

    enqueue_on_commit(tasks_sync.reconcile_store, store.pk)


def reconcile_store(store: ShopifyStore, since: dt.datetime | None = None) -> int:
    """Read every enabled entity changed since ``since`` and ingest it; return repairs.

    ``since`` defaults to the last reconciliation (or bulk sync) minus the overlap.
    """
    if not store_status.can_sync(store):
        return 0
    started = clock.now()
    if since is None:
        anchor = store.last_reconciled_at or store.last_bulk_sync_at or store.created_at
        since = anchor - OVERLAP
    client = client_for(store)
    repairs = 0
    try:
        for entity in ORDER:
            if not entity_enabled(store, entity):
                continue
            for part in ENTITY_PARTS[entity]:
                repairs += _reconcile_part(store, client, part, since)
    except ShopifyError as e:
        store_status.record_failure(store, "reconcile", e)
        return repairs
    ShopifyStore.objects.filter(pk=store.pk).update(
        last_reconciled_at=started, last_reconcile_repairs=repairs
    )
    store.last_reconciled_at, store.last_reconcile_repairs = started, repairs
    store_status.log_activity(
        store, "reconcile", f"Reconciliation finished: {repairs} records repaired"
    )
    return repairs


def _reconcile_part(store, client, part: str, since: dt.datetime) -> int:
    document = queries.incremental_query(part)
    after, repairs = None, 0
    while True:
        data = client.graphql(document, queries.incremental_variables(part, since, after))
        page = data[_ROOT_FIELD[part]]
        records = [_MAP[part](edge["node"]) for edge in page["edges"]]
        repairs += _count_repairs(_WRITE[part](store, records))
        if not page["pageInfo"]["hasNextPage"]:
            return repairs
        after = page["pageInfo"]["endCursor"]


def _count_repairs(changes) -> int:
    """Records that were missing or differed from Shopify (not merely re-read)."""
    repaired = {c.external_id for c in changes if not c.stale and (c.created or c.changed)}
    consent = getattr(changes, "consent_changes", [])
    if consent:
        by_contact = {c.contact_id: c.external_id for c in changes}
        repaired |= {by_contact.get(c.contact_id) for c in consent} - {None}
    return len(repaired)
