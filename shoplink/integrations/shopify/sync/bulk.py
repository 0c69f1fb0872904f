"""Bulk operations of one entity: start them, wait for them, stream and ingest the result.

Owns the batch loop with its checkpoint; which query, mapping and ingest function a
part uses comes from the entity table (``entities.py``). ``sync.py`` decides *when* each step
runs; this module does the step. Shopify facts: PLATFORM.md §4 (limits, statuses,
``partialDataUrl``, no line order).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

from django.conf import settings
from django.db import connection, transaction

from shoplink.core import clock
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.jsonl import JsonlJoiner
from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.sync import rates, reader
from shoplink.integrations.shopify.sync.entities import ACTIVE, PARTS, Part

log = logging.getLogger(__name__)

__all__ = [
    "BulkFailed",
    "EntityStopped",
    "LeaseLost",
    "OperationBusy",
    "cancel_unfinished",
    "free_orphans",
    "ingest_result",
    "poll",
    "save_progress",
    "start_part",
]

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


class BulkFailed(Exception):
    """A bulk operation ended without a usable result; ``code`` is Shopify's errorCode."""

    def __init__(self, part: str, status: str, code: str | None, gid: str = ""):
        super().__init__(f"bulk {part} {status} {code or ''}".strip())
        self.part, self.status, self.code, self.gid = part, status, code or "", gid


class LeaseLost(Exception):
    """Another worker took over this store's import; stop without writing more."""


class EntityStopped(Exception):
    """The entity was reset (Re-sync, Retry) or turned off while this worker imported it."""


def save_progress(es: EntitySync, *fields: str) -> None:
    """Write ``fields`` of ``es`` only if it is still the same active attempt.

    The guard (same run, still Pending/Syncing) is what makes "turning a category off
    stops importing at once" (D14) and a Re-sync that restarts a running import safe:
    the old attempt's next write fails here instead of overwriting the new state.
    """
    updated = EntitySync.objects.filter(pk=es.pk, run_id=es.run_id, state__in=ACTIVE).update(
        **{name: getattr(es, name) for name in fields}
    )
    if not updated:
        raise EntityStopped(es.entity)


class OperationBusy(Exception):
    """Shopify already runs the maximum number of bulk operations (OPERATION_IN_PROGRESS)."""


def _batch_size() -> int:
    return int(getattr(settings, "SHOPIFY_SYNC_BATCH_SIZE", 1000))


def start_part(client, part: str) -> str:
    """Start the bulk query of ``part``; return the operation's GID."""
    data = client.graphql(queries.BULK_OPERATION_RUN_QUERY, queries.bulk_run_variables(part))
    payload = data["bulkOperationRunQuery"]
    errors = payload.get("userErrors") or []
    if any(e.get("code") == "OPERATION_IN_PROGRESS" for e in errors):
        raise OperationBusy(part)
    if errors or not payload.get("bulkOperation"):
        raise BulkFailed(part, "REJECTED", (errors[0].get("code") if errors else "") or "INVALID")
    return payload["bulkOperation"]["id"]


def cancel_unfinished(client, operations: dict) -> int:
    """Cancel the bulk operations of a superseded attempt; return how many were asked.

    Shopify runs at most five bulk queries per shop (§4): a Re-sync that restarts a
    stuck import must free the old ones first, or its own would wait behind them.
    Best effort: an operation that already finished answers with a userError.
    """
    asked = 0
    for op in operations.values():
        if op.get("ingested") or not op.get("gid"):
            continue
        client.graphql(queries.BULK_OPERATION_CANCEL, queries.id_variables(op["gid"]))
        asked += 1
    return asked


def free_orphans(client, ours: set[str]) -> int:
    """Shopify says OPERATION_IN_PROGRESS: cancel the shop's running bulk queries that are
    none of ``ours`` (the GIDs the store's active entities are waiting for).

    An operation of an attempt we no longer track (a worker killed before it saved the
    GID, a store deleted and connected again) would otherwise hold one of Shopify's
    five slots until it expires, and every new start would wait behind it. Returns how
    many were cancelled.
    """
    nodes = client.graphql(queries.BULK_OPERATIONS_RECENT)["bulkOperations"]["nodes"]
    orphans = [
        n["id"]
        for n in nodes
        if n.get("status") in ("CREATED", "RUNNING")
        and n.get("type", "QUERY") == "QUERY"
        and n["id"] not in ours
    ]
    for gid in orphans:
        client.graphql(queries.BULK_OPERATION_CANCEL, queries.id_variables(gid))
    return len(orphans)


def status_of(client, gid: str) -> dict:
    """Return the BulkOperation node for ``gid`` (2026-01+ ``bulkOperation(id:)``)."""
    node = client.graphql(queries.BULK_OPERATION_STATUS, queries.id_variables(gid))["bulkOperation"]
    if node is None:
        return {"id": gid, "status": "EXPIRED", "errorCode": None}
    return node


# The longest pause between two status polls. An export's end is noticed at most this
# late, and the whole import waits for it; one status query costs about one point of
# the shop's 100 points/s (PLATFORM.md §3), so one a second is ~1% of the bucket.
# It was 3 s: up to 3 s of an idle worker after each export finished (ADR 0053).
POLL_MAX_DELAY = 1.0


def poll(
    client,
    gid: str,
    *,
    on_progress: Callable[[dict], None],
    budget: float,
    seen: str | int | None = None,
) -> dict | None:
    """Poll with backoff until the operation finishes or ``budget`` seconds pass.

    Returns the finished node, or None when still running (the caller reschedules).
    ``on_progress`` is called whenever ``objectCount`` moves past ``seen`` (the count
    the previous poll saw): that is progress for the stall detector (D17) even before
    any row is written. Without ``seen`` every re-poll of a stuck operation would look
    like progress and the 15-minute recovery would never fire.
    """
    delay, started = 0.05, time.monotonic()
    while True:
        node = status_of(client, gid)
        if node["status"] in FINISHED:
            return node
        if node.get("objectCount") != seen:
            seen = node.get("objectCount")
            on_progress(node)
        if time.monotonic() - started + delay > budget:
            return None
        time.sleep(delay)
        delay = min(delay * 1.6, POLL_MAX_DELAY)


def ingest_result(store, es: EntitySync, part: str, url: str | None, client, lease) -> None:
    """Stream ``url`` and ingest it in batches from the part's checkpoint.

    Each batch and its checkpoint (``groups_done``) commit in one transaction, so a
    worker killed at any point resumes after the last committed batch and re-reads
    nothing it already wrote. Rows are upserts keyed by Shopify id, so even a replay
    could never duplicate.

    A part of more than one batch is read by a forked reader process (``reader.py``,
    ADR 0053): download, joining, parsing and mapping there, the writes here, at the
    same time. A reader that dies is started again from the checkpoint.
    """
    op = es.operations[part]
    if not url:  # a completed operation with no objects has no file
        return
    size = _batch_size()
    started = time.monotonic()
    # Wall clock, for the timeline in bench/import.py: how long the part waited for its export.
    op.setdefault("ingest_started_at", round(time.time(), 3))
    with _import_pragmas(), _fewer_collections():
        if _overlapped(op, size):
            first = _ingest_overlapped(store, es, part, url, client, lease, size)
        else:
            first = _ingest_inline(store, es, part, url, client, lease, size)
    # Timings for Activity and bench/import.py: the whole part, parse + map + writes
    # after the download (``pipeline_seconds``), and the writes alone (``_commit``).
    ended = time.monotonic()
    op["seconds"] = round(op.get("seconds", 0) + ended - started, 3)
    op["pipeline_seconds"] = round(op.get("pipeline_seconds", 0) + ended - (first or ended), 3)
    save_progress(es, "operations")


def _overlapped(op: dict, size: int) -> bool:
    """A reader process pays off when the writer has more than one batch to overlap with."""
    if not settings.SHOPIFY_SYNC_READER_PROCESS or not reader.available():
        return False
    return int(op.get("total") or 0) - op.get("groups_done", 0) > size


def _ingest_inline(store, es, part: str, url: str, client, lease, size: int) -> float | None:
    """Read and write in this process, one after the other; return when the first group came."""
    handler = PARTS[part]
    joiner = JsonlJoiner(client.stream_lines(url), skip=es.operations[part].get("groups_done", 0))
    batch: list = []
    first = None  # when the first group came out: the download and index pass are done
    for node, children in joiner:
        first = first or time.monotonic()
        batch.append(handler.to_record(node, children))
        if len(batch) >= size:
            _commit(store, es, part, handler, batch, lease)
            batch = []
    _commit(store, es, part, handler, batch, lease)
    return first


def _readers() -> int:
    return int(settings.SHOPIFY_SYNC_READERS)


def _ingest_overlapped(store, es, part: str, url: str, client, lease, size: int) -> float | None:
    """Write the batches a reader process maps; start a new reader from the checkpoint if
    one dies. Return when the first group came out of a reader."""
    handler = PARTS[part]
    op = es.operations[part]
    first = None
    for attempt in range(READER_STARTS):
        stats = reader.ReaderStats()
        try:
            skip = op.get("groups_done", 0)
            # A second reader only where each gets at least a batch (ADR 0090).
            count = max(1, min(_readers(), (int(op.get("total") or 0) - skip) // size))
            batches = reader.batches(
                client, url, part, skip=skip, size=size, stats=stats, readers=count
            )
            # closing(): a write that raises (lease lost, entity stopped) stops the reader now.
            with closing(batches):
                for batch in batches:
                    _commit(store, es, part, handler, batch, lease)
        except reader.ReaderDied as died:
            if attempt + 1 == READER_STARTS:
                raise
            log.warning("%s; starting a new one from group %s", died, op.get("groups_done", 0))
            continue
        first = stats.first_group_at
        op["reader_peak_mb"] = max(op.get("reader_peak_mb", 0), round(stats.peak_rss_mb, 1))
        grown = round(stats.peak_rss_mb - stats.start_rss_mb, 1)
        op["reader_grown_mb"] = max(op.get("reader_grown_mb", 0), grown)
        return first
    return first


# A reader killed three times in one part (the OOM killer at every start, say) is not
# transient: the error goes up and the stall recovery (D17) takes the part over.
READER_STARTS = 3


def _commit(store, es: EntitySync, part: str, handler: Part, batch: list, lease) -> None:
    if not batch:
        return
    op = es.operations[part]
    with transaction.atomic():
        # In the batch's transaction: one COMMIT per batch instead of two (a round trip
        # and a WAL flush each on PostgreSQL), and a lost lease rolls the batch back.
        # Outside ``ingest_seconds``, as it was before it moved here.
        if not lease.renew():
            raise LeaseLost(part)
        started = time.monotonic()
        cpu = time.process_time()
        handler.write(store, batch)
        # CPU time too: on a shared machine it moves less than the wall clock.
        op["ingest_cpu_seconds"] = round(
            op.get("ingest_cpu_seconds", 0) + time.process_time() - cpu, 3
        )
        op["groups_done"] = op.get("groups_done", 0) + len(batch)
        written = time.monotonic()
        op["ingest_seconds"] = round(op.get("ingest_seconds", 0) + written - started, 3)
        es.done += len(batch)
        es.progress_at = clock.now()
        rates.add_sample(es.rate_samples, es.done)  # for Store details' records/s chart
        # rolls the batch back if stopped
        save_progress(es, "operations", "done", "progress_at", "rate_samples")
    # The COMMIT itself (WAL append, checkpoints) is outside ``ingest_seconds``; kept
    # apart so a change that only moves work into the COMMIT shows (bench/import.py).
    # Saved with the next batch's checkpoint, or the part's last save.
    op["commit_seconds"] = round(op.get("commit_seconds", 0) + time.monotonic() - written, 3)


# SQLite page cache and WAL auto-checkpoint for the import's connection. Measured on
# 200,000 orders (docs/performance.md): the default 2 MB cache spills dirty index pages
# mid-transaction and the default 1,000-page checkpoint runs on almost every batch's
# COMMIT. Durability is unchanged: journal_mode WAL and synchronous NORMAL stay.
# The cache fills while the orders' JSONL index is at its largest (the worker's memory
# peak at 1,000,000 orders): 16 MiB took that peak to 300 MB, the limit; 8 MiB keeps
# most of the gain.
IMPORT_CACHE_KIB = 8 * 1024
IMPORT_WAL_AUTOCHECKPOINT = 10_000  # pages of 4 KiB: a WAL of ~40 MB between checkpoints


# Cyclic GC generation-0 threshold while a part imports (CPython's default is 700).
# A batch keeps ~30,000 parsed containers alive until it is written, so at the default
# every other batch paid a full collection of the whole heap; the import makes almost
# no reference cycles (refcounting frees it), so rarer collections cost no memory.
# Measured at 5,000 / 20,000: GC time 0.69 s -> 0.16 s for the run.
IMPORT_GC_THRESHOLD0 = 10_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while a part imports."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], IMPORT_GC_THRESHOLD0), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()  # what the rarer collections left over, before the next part's index


@contextmanager
def _import_pragmas() -> Iterator[None]:
    """Give the connection a larger page cache and rarer checkpoints while a part imports.

    Both are per-connection settings (the worker's connection is reused for other jobs),
    so they are put back afterwards and the cache's memory is released.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint")
        (autocheckpoint,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
        if autocheckpoint:
            # 0 means a thread checkpoints for this process (core/sqlite_checkpoint.py):
            # leave it so, or the import's commits would checkpoint in the write path.
            cursor.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_WAL_AUTOCHECKPOINT}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
            cursor.execute("PRAGMA shrink_memory")
