"""Bulk sync orchestration: initial sync, Re-sync, Retry, resume and stall recovery.

State lives in the database (``SyncRun``, one ``EntitySync`` per entity with its bulk
operations and checkpoint), so any worker can pick a sync up where another stopped.
:func:`advance` is the one step function: under the store's lease (lease.py) it starts
missing bulk operations (all enabled entities at once: Shopify runs up to five per shop
since 2026-01, D16), then walks the entities in the documented order Customers →
Orders → Products → Collections, ingesting each finished result before looking at the
next. A bulk operation still running makes it stop and reschedule itself; the
``bulk_operations/finish`` webhook (:func:`on_bulk_finished`) wakes it early.

Historical records never emit events: the ingest functions write rows only, and the
webhook handlers are what turn changes into events (D22).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from shoplink.core import clock
from shoplink.core.errors import ValidationFailed
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyStoreUnavailable,
)
from shoplink.integrations.shopify.connection import status as store_status
from shoplink.integrations.shopify.connection import subscriptions
from shoplink.integrations.shopify.connection.access import client_for
from shoplink.integrations.shopify.models import (
    Entity,
    EntityState,
    EntitySync,
    ShopifyStore,
    SyncRun,
)
from shoplink.integrations.shopify.sync import bulk as sync_bulk
from shoplink.integrations.shopify.sync import finish as sync_finish
from shoplink.integrations.shopify.sync import lease as leases
from shoplink.integrations.shopify.sync import rates
from shoplink.integrations.shopify.sync.causes import bulk_cause, cause_failure
from shoplink.integrations.shopify.sync.entities import (
    ACTIVE,
    ENTITY_PARTS,
    entity_enabled,
    entity_rows,
)

log = logging.getLogger(__name__)

__all__ = [
    "advance",
    "cancel_superseded",
    "fail_entity",
    "note_progress",
    "on_bulk_finished",
    "retry_entity",
    "start_sync",
    "wake",
]


def _require_syncable(store: ShopifyStore) -> None:
    if not store_status.can_sync(store):
        raise ValidationFailed("This store cannot sync now: " + _why_not(store))


def _why_not(store: ShopifyStore) -> str:
    return store_status.status_reason(store) or store.get_status_display()


def _reset(es: EntitySync, run: SyncRun, now) -> dict:
    """Queue ``es`` for ``run``; return the operations of the attempt it replaces."""
    previous = es.operations if es.state in ACTIVE else {}
    es.state = EntityState.PENDING
    es.run = run
    es.done = 0
    es.total = None
    es.failure = None
    es.operations = {}
    es.progress_at = now
    es.rate_samples = rates.start_samples(now.timestamp())
    es.save()
    return previous


def cancel_superseded(store: ShopifyStore, superseded: list[dict]) -> None:
    """Cancel the Shopify bulk operations of attempts a new run replaced (best effort)."""
    if not any(superseded):
        return
    client = client_for(store)
    for operations in superseded:
        try:
            sync_bulk.cancel_unfinished(client, operations)
        except ShopifyError as e:
            log.warning("could not cancel superseded bulk operations: %s", e.code or e)


def start_sync(store: ShopifyStore, kind: str = "initial") -> SyncRun:
    """Start an initial sync or a Re-sync of every enabled entity; return the run.

    Enabled entities become Pending, disabled ones Off. Safe to repeat: rows are
    matched by Shopify id, so a second run updates and never duplicates (2.6).
    """
    if kind not in ("initial", "resync"):
        raise ValueError(f"unknown sync kind {kind!r}")
    _require_syncable(store)
    _sync_subscriptions(store)
    now = clock.now()
    superseded = []
    with transaction.atomic():
        run = SyncRun.objects.create(store=store, kind=kind, started_at=now)
        for es in entity_rows(store):
            if entity_enabled(store, es.entity):
                superseded.append(_reset(es, run, now))
            else:
                es.state, es.run, es.operations = EntityState.OFF, None, {}
                es.save(update_fields=["state", "run", "operations"])
        store_status.log_activity(store, "sync", sync_finish.RUN_LABEL[kind] + " started")
        wake(store)
    cancel_superseded(store, superseded)
    return run


def _sync_subscriptions(store: ShopifyStore) -> None:
    """Subscribe the enabled categories' webhooks before data moves (D8, D19).

    A failure here must not block the import: reconciliation (D18) and the health
    check's re-subscribe (D12) cover missing webhooks, so it is recorded and skipped.
    """
    try:
        subscriptions.sync_subscriptions(store)
    except ShopifyError as e:
        store_status.record_failure(store, "webhook_subscriptions", e)


def retry_entity(store: ShopifyStore, entity: str) -> SyncRun:
    """Re-run only ``entity`` (the others keep their state); safe to repeat."""
    _require_syncable(store)
    if not entity_enabled(store, entity):
        raise ValidationFailed(f"{Entity(entity).label} is turned off in Sync settings.")
    now = clock.now()
    with transaction.atomic():
        es = next(e for e in entity_rows(store) if e.entity == entity)
        run = SyncRun.objects.create(store=store, kind="retry", started_at=now)
        superseded = _reset(es, run, now)
        store_status.log_activity(store, "sync", f"Retry of {es.get_entity_display()} started")
        wake(store)
    cancel_superseded(store, [superseded])
    return run


def on_bulk_finished(store: ShopifyStore, bulk_operation_gid: str) -> None:
    """``bulk_operations/finish`` arrived: wake the importer (polling is the fallback)."""
    if EntitySync.objects.filter(store=store, state__in=ACTIVE).exists():
        wake(store)


def wake(store: ShopifyStore) -> None:
    """Enqueue the step function for ``store`` once the current transaction commits."""
    intents.advance_sync(store.pk)


# --- the step function ------------------------------------------------------------------


def advance(store_id: int) -> str:
    """Move the store's sync forward as far as possible; return "done", "waiting" or "busy".

    "busy" means another worker holds the lease and is doing the work.
    """
    with leases.held(store_id) as lease:
        if lease is None:
            return "busy"
        store = ShopifyStore.objects.select_related("project", "customer_list").get(pk=store_id)
        if not store_status.can_sync(store):
            return "done"  # Disconnected / Reconnect required / unavailable: no syncing
        client = client_for(store)
        try:
            outcome = _walk(store, client, lease)
            # Wake-ups that arrived while we held the lease were dropped ("busy"):
            # a Re-sync or Retry started meanwhile is picked up here.
            for _ in range(3):
                if outcome != "done" or not _has_active(store):
                    break
                outcome = _walk(store, client, lease)
        except (ShopifyAuthError, ShopifyStoreUnavailable) as e:
            _fail_active(store, e)
            outcome = "done"
        except sync_bulk.LeaseLost:
            return "busy"
        if outcome == "done":
            sync_finish.finish_runs(store)
        return outcome


def _has_active(store) -> bool:
    return EntitySync.objects.filter(store=store, state__in=ACTIVE).exists()


def _walk(store, client, lease) -> str:
    rows = [es for es in entity_rows(store) if es.state in ACTIVE]
    for es in rows:
        try:
            _launch(store, es, client)
        except sync_bulk.EntityStopped:
            es.state = EntityState.OFF  # not ours any more; skipped below
    for es in rows:
        if es.state not in ACTIVE:
            continue  # failed while launching
        result = _drive(store, es, client, lease)
        if result == "waiting":
            _reschedule(store)
            return "waiting"
    return "done"


def _launch(store, es: EntitySync, client) -> None:
    """Start the entity's bulk operations that are not started yet."""
    for part in ENTITY_PARTS[es.entity]:
        if part in es.operations:
            continue
        try:
            gid = _start_part(store, client, part)
        except sync_bulk.OperationBusy:
            return  # Shopify's five are busy with our own: _drive starts it later
        except sync_bulk.BulkFailed as e:
            fail_entity(store, es, *bulk_cause(es, e))
            return
        except (ShopifyAuthError, ShopifyStoreUnavailable):
            raise
        except ShopifyError as e:
            fail_entity(store, es, *cause_failure(es, e))
            return
        es.operations[part] = {"gid": gid, "groups_done": 0}
        sync_bulk.save_progress(es, "operations")


def _start_part(store, client, part: str) -> str:
    """Start ``part``; on OPERATION_IN_PROGRESS free an orphaned operation and try again."""
    try:
        return sync_bulk.start_part(client, part)
    except sync_bulk.OperationBusy:
        ours = {
            op.get("gid")
            for ops in EntitySync.objects.filter(store=store, state__in=ACTIVE).values_list(
                "operations", flat=True
            )
            for op in (ops or {}).values()
        }
        if not sync_bulk.free_orphans(client, ours):
            raise
        store_status.log_activity(store, "sync", "Cancelled a bulk operation left running")
        return sync_bulk.start_part(client, part)


def _poll_budget() -> float:
    return float(settings.SHOPIFY_BULK_POLL_SECONDS)


def _drive(store, es: EntitySync, client, lease) -> str:
    """Import one entity to the end; return "synced", "failed" or "waiting"."""
    try:
        if es.state == EntityState.PENDING:
            es.state, es.progress_at = EntityState.SYNCING, clock.now()
            sync_bulk.save_progress(es, "state", "progress_at")
        for part in ENTITY_PARTS[es.entity]:
            if part not in es.operations:
                _launch(store, es, client)
                if es.state == EntityState.FAILED:
                    return "failed"
                if part not in es.operations:
                    return "waiting"
            op = es.operations[part]
            if op.get("ingested"):
                continue
            node = sync_bulk.poll(
                client,
                op["gid"],
                on_progress=lambda n, op=op: _saw_count(es, op, n),
                budget=_poll_budget(),
                seen=op.get("seen"),
            )
            if node is None:
                return "waiting"
            if node["status"] != "COMPLETED":
                raise sync_bulk.BulkFailed(part, node["status"], node.get("errorCode"), op["gid"])
            _note_total(es, part, node)
            sync_bulk.ingest_result(store, es, part, node.get("url"), client, lease)
            op["ingested"] = True
            sync_bulk.save_progress(es, "operations")
    except sync_bulk.BulkFailed as e:
        fail_entity(store, es, *bulk_cause(es, e))
        return "failed"
    except (ShopifyAuthError, ShopifyStoreUnavailable, sync_bulk.LeaseLost):
        raise
    except sync_bulk.EntityStopped:
        return "stopped"
    except ShopifyError as e:
        fail_entity(store, es, *cause_failure(es, e))
        return "failed"
    try:
        _mark_synced(store, es)
    except sync_bulk.EntityStopped:
        return "stopped"
    return "synced"


def _saw_count(es: EntitySync, op: dict, node: dict) -> None:
    """Shopify's objectCount moved: remember it (so a re-poll is not progress) and note it."""
    op["seen"] = node.get("objectCount")
    sync_bulk.save_progress(es, "operations")
    note_progress(es)


def note_progress(es: EntitySync) -> None:
    """Record that ``es`` moved (a batch, or Shopify's objectCount): the D17 clock."""
    es.progress_at = clock.now()
    EntitySync.objects.filter(pk=es.pk).update(progress_at=es.progress_at)


def _note_total(es: EntitySync, part: str, node: dict) -> None:
    es.operations[part]["total"] = int(node.get("rootObjectCount") or 0)
    es.total = sum(int(o.get("total") or 0) for o in es.operations.values())
    sync_bulk.save_progress(es, "operations", "total")


def _mark_synced(store, es: EntitySync) -> None:
    now = clock.now()
    es.state, es.last_synced_at, es.progress_at, es.failure = EntityState.SYNCED, now, now, None
    if es.total is None or es.done > es.total:
        es.total = es.done
    sync_bulk.save_progress(es, "state", "last_synced_at", "progress_at", "failure", "total")
    if not EntitySync.objects.filter(store=store, state=EntityState.FAILED).exists():
        store_status.note_sync_succeeded(store)  # D10: one successful sync clears Error


def fail_entity(store, es: EntitySync, failure: dict, error) -> None:
    """Mark ``es`` Failed with a merchant cause; the store's status follows (D10, D13)."""
    es.state, es.failure, es.progress_at = EntityState.FAILED, failure, clock.now()
    try:
        sync_bulk.save_progress(es, "state", "failure", "progress_at")
    except sync_bulk.EntityStopped:
        return  # reset or turned off meanwhile: this attempt's failure no longer matters
    store_status.record_failure(
        store, f"sync_{es.entity}", error or failure["message"], failure.get("technical")
    )
    store_status.recompute_status(store)


def _fail_active(store, error: ShopifyError) -> None:
    """Access is gone (401) or the store is frozen: nothing active can finish now."""
    for es in EntitySync.objects.filter(store=store, state__in=ACTIVE):
        fail_entity(store, es, *cause_failure(es, error))


def _reschedule(store) -> None:
    intents.advance_sync_later(store.pk, delay=int(settings.SHOPIFY_BULK_REPOLL_SECONDS))
