"""Live updates of the Integrations page: which stores changed, pushed as server-sent events.

The page holds one ``EventSource`` per tab on :func:`stream` (ADR 0056). Once a tick the
stream reads a fingerprint of every store of the project — the store row, its entity
rows, whether a run is open, its newest Activity line and how many webhooks wait — and
sends ``event: store-<id>`` for each store whose fingerprint moved. The card, the Sync
status and Store details listen for their store's event and re-fetch their own fragment,
so the server stays the only source of HTML.

Why a fingerprint read and not a version counter bumped on write: stores change in many
places through ``QuerySet.update`` (which sends no signal), in the web process, the
worker and the webhook path alike. Reading the rows the page shows catches every change
from any process, on SQLite and PostgreSQL, without Redis and without a rule every
writer must remember. Two indexed queries per tick and stream (bench/live.py).

Streams hold a server thread (gunicorn gthread), so each process admits at most
``LIVE_MAX_STREAMS``; a refused one gets 503 and the page falls back to polling. A stream
ends after ``LIVE_STREAM_SECONDS`` (±35 %, at most ±15 s, so tabs do not reconnect in
step); a heartbeat comment every ``LIVE_HEARTBEAT_SECONDS`` finds a closed tab. The
browser reconnects with ``Last-Event-ID``, from which the next stream knows what the
tab has already seen.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery

from shoplink.integrations.shopify.models import (
    ActivityEntry,
    DeliveryState,
    EntitySync,
    ShopifyStore,
    SyncRun,
    WebhookDelivery,
)

# Everything on the store row that a card, the Sync settings drawer or Store details shows.
STORE_FIELDS = (
    "pk",
    "name",
    "status",
    "disconnected_at",
    "reconnect_reason",
    "error_reason",
    "unavailable_reason",
    "granted_scopes",
    "email",
    "custom_domain",
    "plan",
    "currency",
    "country",
    "sync_customers",
    "sync_email_consent",
    "sync_sms_consent",
    "sync_orders",
    "sync_products",
    "push_profile",
    "push_email_consent",
    "push_sms_consent",
    "push_engagement",
    "customer_list_id",
    "initial_sync_completed_at",
    "last_bulk_sync_at",
    "last_webhook_at",
    "last_reconciled_at",
    "last_reconcile_repairs",
    "last_health_check_at",
    "readiness",
    "last_failure",
)
ENTITY_FIELDS = ("store_id", "entity", "state", "done", "total", "last_synced_at", "failure")
# The browser waits this long before reconnecting after a stream ends.
RETRY_MS = 1000
# A store that moved is announced again this long after (see Stream.events).
TRAILING_SECONDS = 1.5
# Stream lives vary by up to this share (at most 15 s), so tabs do not reconnect in step.
JITTER = 0.35


def fingerprints(project_id: int) -> dict[int, str]:
    """A short digest per store of ``project_id`` of everything its live fragments show."""
    newest_entry = ActivityEntry.objects.filter(store=OuterRef("pk")).order_by("-id").values("id")
    stores = ShopifyStore.objects.filter(project_id=project_id).annotate(
        newest_entry=Subquery(newest_entry[:1]),
        run_open=Exists(SyncRun.objects.filter(store=OuterRef("pk"), finished_at__isnull=True)),
    )
    rows = list(stores.values_list(*STORE_FIELDS, "domain", "newest_entry", "run_open"))
    domain = len(STORE_FIELDS)  # the position of "domain" in each row
    # Deliveries waiting per shop: a query of its own, as the webhook inbox may live in
    # a database of its own (SQLite, ADR 0057), where no join with the stores can reach.
    waiting = dict(
        WebhookDelivery.objects.filter(
            shop_domain__in={row[domain] for row in rows}, state=DeliveryState.RECEIVED
        )
        .order_by()
        .values("shop_domain")
        .annotate(n=Count("id"))
        .values_list("shop_domain", "n")
    )
    parts: dict[int, list] = {row[0]: [(*row, waiting.get(row[domain], 0))] for row in rows}
    entities = (
        EntitySync.objects.filter(store__project_id=project_id)
        .order_by("store_id", "entity")
        .values_list(*ENTITY_FIELDS)
    )
    for row in entities:
        if row[0] in parts:
            parts[row[0]].append(row)
    return {
        pk: hashlib.blake2b(
            json.dumps(rows, default=str, sort_keys=True).encode(), digest_size=5
        ).hexdigest()
        for pk, rows in parts.items()
    }


def token(prints: dict[int, str]) -> str:
    """The fingerprints as one short string (the page's ``since`` and each event's id)."""
    return ".".join(f"{pk}-{digest}" for pk, digest in sorted(prints.items()))


def parse_token(raw: str) -> dict[int, str] | None:
    """Fingerprints back from :func:`token`; None when absent or malformed."""
    if not raw:
        return None
    prints: dict[int, str] = {}
    for part in raw.split(".")[:1000]:
        pk, _, digest = part.partition("-")
        if not pk.isdigit() or len(digest) != 10:
            return None
        prints[int(pk)] = digest
    return prints


def changed(before: dict[int, str], after: dict[int, str]) -> list[int]:
    """Stores added, changed or removed between two fingerprint reads."""
    return sorted(pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk))


class StreamSlots:
    """At most ``LIVE_MAX_STREAMS`` open streams in this process (each holds a thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0
        self.stop = threading.Event()  # set by stop_all: every stream ends at once

    def take(self) -> bool:
        with self._lock:
            if self.open >= settings.LIVE_MAX_STREAMS:
                return False
            self.open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)


SLOTS = StreamSlots()


def stop_all(timeout: float = 5.0) -> bool:
    """End every open stream of this process now and wait until the server has closed
    them (a shutdown, or a browser test's end); return whether all closed in time.
    Browsers reconnect to whichever process serves them next."""
    SLOTS.stop.set()
    deadline = time.monotonic() + timeout
    while SLOTS.open and time.monotonic() < deadline:
        time.sleep(0.02)
    SLOTS.stop.clear()
    return SLOTS.open == 0


class Stream:
    """The body of one event stream; holds a slot until the server closes it."""

    def __init__(self, project_id: int, since: dict[int, str] | None) -> None:
        self.project_id = project_id
        self.since = since
        self.closed = False
        lifetime = settings.LIVE_STREAM_SECONDS
        spread = min(15.0, JITTER * lifetime)
        self.ends_at = time.monotonic() + max(2.0, lifetime + random.uniform(-spread, spread))

    def __iter__(self) -> Iterator[bytes]:
        return self.events()

    def events(self) -> Iterator[bytes]:
        seen = fingerprints(self.project_id)
        head = f"retry: {RETRY_MS}\n"
        if self.since is not None:
            for pk in changed(self.since, seen):
                head += f"event: store-{pk}\ndata: {pk}\n\n"
        # An id-only message: the browser keeps it as Last-Event-ID for its reconnect.
        yield f"{head}id: {token(seen)}\n\n".encode()
        quiet_since = time.monotonic()
        # Each store that moved is announced once more a little later: writes coalesced
        # by a throttle (Last webhook moves at most once a second, inbox.note_arrival)
        # leave nothing behind in the fragments fetched on the first announcement.
        trailing: dict[int, float] = {}
        while not self.closed and time.monotonic() < self.ends_at:
            if SLOTS.stop.wait(settings.LIVE_TICK_SECONDS):
                return
            now = fingerprints(self.project_id)
            moved = changed(seen, now)
            clock_now = time.monotonic()
            due = [pk for pk, at in trailing.items() if at <= clock_now and pk not in moved]
            for pk in moved:
                trailing[pk] = clock_now + TRAILING_SECONDS
            for pk in due:
                del trailing[pk]
            moved = sorted(set(moved) | {pk for pk in due if pk in now})
            if moved:
                seen = now
                body = "".join(f"event: store-{pk}\ndata: {pk}\n\n" for pk in moved)
                yield f"{body}id: {token(seen)}\n\n".encode()
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settings.LIVE_HEARTBEAT_SECONDS:
                # A comment: keeps proxies from timing out and finds a closed tab.
                yield b": still here\n\n"
                quiet_since = time.monotonic()
        # A database error ends the stream; the browser reconnects through a new request,
        # whose start replaces a broken connection (CONN_HEALTH_CHECKS).

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            SLOTS.give_back()
