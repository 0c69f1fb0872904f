"""Stall recovery (D17): the minute sweeper's view of syncs that stopped moving.

A sync stops moving when its worker died (SIGKILL, deploy, OOM) or a scheduled re-poll
was lost; then the store is simply woken again and resumes from its checkpoint. A
Syncing entity with no progress for 15 minutes is resumed if its bulk result is
available, otherwise it is Failed with the cause "Sync stalled" (the troubleshooting
guide's 15-minute advice, made automatic), and its unfinished bulk operations are
cancelled so they do not hold Shopify's five slots.
"""

from __future__ import annotations

import datetime as dt
import logging

from shoplink.core import clock
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.connection import status as store_status
from shoplink.integrations.shopify.connection.access import client_for
from shoplink.integrations.shopify.models import EntityState, EntitySync, ShopifyStore
from shoplink.integrations.shopify.sync import bulk as sync_bulk
from shoplink.integrations.shopify.sync.entities import ACTIVE, ENTITY_PARTS
from shoplink.integrations.shopify.sync.runs import fail_entity, note_progress, wake

log = logging.getLogger(__name__)

__all__ = ["recover_stalled"]

STALL_AFTER = dt.timedelta(minutes=15)  # D17
KICK_AFTER = dt.timedelta(minutes=1)  # a lost wake-up is re-sent by the sweeper


def recover_stalled() -> int:
    """Sweeper: wake stuck syncs; fail Syncing entities without progress for 15 minutes.

    An entity whose bulk result is available is resumed instead (D17). Returns how
    many stores were woken.
    """
    now = clock.now()
    woken = 0
    stale = EntitySync.objects.filter(state__in=ACTIVE, progress_at__lt=now - KICK_AFTER)
    for store_id in set(stale.values_list("store_id", flat=True)):
        store = ShopifyStore.objects.select_related("project").get(pk=store_id)
        if not store_status.can_sync(store):
            continue
        for es in EntitySync.objects.filter(
            store=store, state=EntityState.SYNCING, progress_at__lt=now - STALL_AFTER
        ):
            _recover(store, es)
        wake(store)
        woken += 1
    return woken


def _recover(store, es: EntitySync) -> None:
    client = client_for(store)
    try:
        ready = bool(es.operations) and all(
            op.get("ingested") or sync_bulk.status_of(client, op["gid"])["status"] == "COMPLETED"
            for op in es.operations.values()
        )
    except ShopifyError:
        ready = False
    if ready and set(es.operations) == set(ENTITY_PARTS[es.entity]):
        note_progress(es)  # resumed by the wake-up below
        return
    try:
        # Free Shopify's slots: a stuck operation left running would make every later
        # start wait behind it (OPERATION_IN_PROGRESS).
        sync_bulk.cancel_unfinished(client, es.operations)
    except ShopifyError as e:
        # Best effort: a later start frees orphans itself (runs._start_part).
        log.info("could not cancel stalled bulk operations of store %s: %s", store.pk, e.code)
    failure = {
        "at": clock.now().isoformat(),
        "message": "Sync stalled",
        "action": "No progress for 15 minutes. Press Retry to import this entity again.",
        "technical": {"operations": [op.get("gid") for op in es.operations.values()]},
    }
    fail_entity(store, es, failure, None)
