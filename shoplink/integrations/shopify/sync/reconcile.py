"""Reconciliation (D18): an incremental read by ``updated_at`` that repairs lost webhooks.

Every 30 minutes while a store is Connected, each enabled entity is read page by page
through ``queries.incremental_query`` with ``updated_at >= last run - 10 minutes`` (the
overlap covers clock skew and records written while the previous pass ran), and fed
to the same ingest functions as the bulk import and the webhooks. Rows that are
already current come back "unchanged" or "stale", so only real repairs are counted.
The client paces requests by the cost extension (PLATFORM §3). It never moves an
entity's Last synced (that is the bulk sync's, 2.5) and emits no events, except as the
catch-up after a Reconnect (D31): then the gap's records also emit their events, flagged
``catch_up`` (``catchup.py``, ADR 0045).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import ngettext

from shoplink.core import clock
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.connection import status as store_status
from shoplink.integrations.shopify.connection.access import client_for
from shoplink.integrations.shopify.events import abandonment
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.sync import catchup
from shoplink.integrations.shopify.sync.entities import (
    ENTITY_PARTS,
    PARTS,
    Part,
    enabled_entities,
)

__all__ = ["catch_up_store", "reconcile_store", "stores_due"]

INTERVAL = dt.timedelta(minutes=30)
OVERLAP = dt.timedelta(minutes=10)


def stores_due() -> list[int]:
    """Ids of the Connected stores whose last reconciliation is 30 minutes old (D18)."""
    due = clock.now() - INTERVAL + dt.timedelta(minutes=1)  # a minute of slack for the cron
    stores = ShopifyStore.objects.filter(
        status="connected", initial_sync_completed_at__isnull=False
    ).exclude(last_reconciled_at__gt=due)
    return list(stores.values_list("pk", flat=True))


def catch_up_store(store: ShopifyStore) -> int:
    """D31: after a Reconnect, read the gap and emit its events flagged ``catch_up``.

    A store whose initial import never finished has nothing to catch up: its first
    bulk import brings everything, as history (D22).
    """
    if store.initial_sync_completed_at is None:
        return 0
    return reconcile_store(store, catch_up=True)


def reconcile_store(
    store: ShopifyStore, since: dt.datetime | None = None, *, catch_up: bool = False
) -> int:
    """Read every enabled entity changed since ``since`` and ingest it; return repairs.

    ``since`` defaults to the last reconciliation (or bulk sync) minus the overlap: a
    store that was not connected had no pass since, so that covers the whole gap.
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
        for entity in enabled_entities(store):
            for part in ENTITY_PARTS[entity]:
                repairs += _reconcile_part(store, client, PARTS[part], since, catch_up)
    except ShopifyError as e:
        store_status.record_failure(store, "reconcile", e)
        return repairs
    ShopifyStore.objects.filter(pk=store.pk).update(
        last_reconciled_at=started, last_reconcile_repairs=repairs
    )
    store.last_reconciled_at, store.last_reconcile_repairs = started, repairs
    what = "Catch-up after Reconnect" if catch_up else "Reconciliation"
    store_status.log_activity(
        store,
        "reconcile",
        ngettext(
            "%(what)s finished: %(count)s record repaired",
            "%(what)s finished: %(count)s records repaired",
            repairs,
        )
        % {"what": what, "count": repairs},
        catch_up=catch_up,
    )
    return repairs


def _reconcile_part(store, client, part: Part, since: dt.datetime, catch_up: bool) -> int:
    document = queries.incremental_query(part.name)
    after, repairs = None, 0
    while True:
        data = client.graphql(document, queries.incremental_variables(part.name, since, after))
        page = data[part.root_field]
        records = [part.from_page(edge["node"]) for edge in page["edges"]]
        # One transaction per page: the gap's checkouts are announced (flagged) before
        # the minute abandonment sweep can see them and announce them as live.
        with transaction.atomic():
            changes = part.repair(store, records)
            if catch_up:
                events.emit(
                    store, catchup.events_for(store, part.name, records, changes), catch_up=True
                )
                if part.name == "abandoned_checkouts":
                    abandonment.sweep_store(store, catch_up=True)
        repairs += _count_repairs(changes)
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
