"""The one webhook receiver for every Shopify topic, compliance topics included (D19).

Owns the request path only: read the raw body (at most 5 MiB) → constant-time base64
HMAC check (401, nothing stored) → bind the unsigned headers to the signed body
(``provenance.py``: shop, compliance shape, retry window; else 400 and a rejected
record) → one INSERT of a ``WebhookDelivery`` keyed on ``X-Shopify-Webhook-Id`` (a
duplicate answers 200 and does nothing) → wake the shop's drain unless one is queued
(``wakeups.py``) → 200. When the database has just failed a delivery, the next ones are
answered 503 at once for a moment (:class:`Outage`), so Shopify retries.
Shopify gives us 5 s in total (PLATFORM.md §2.2) and retries slow answers, so nothing
else happens here: parsing payloads into records is ``topics/``'s job, in a worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid

import orjson
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shoplink.core import clock
from shoplink.core.dbrouter import inbox_alias
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api import signing
from shoplink.integrations.shopify.api.topics import KNOWN_TOPICS
from shoplink.integrations.shopify.connection import oauth
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.webhooks import provenance, wakeups
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

log = logging.getLogger(__name__)

# Shopify payloads are small JSON documents; anything near this is not one of ours. A
# larger body is refused by its Content-Length before a byte is read (and never stored):
# it is unauthenticated until its HMAC is checked, which needs the whole body.
MAX_BODY_BYTES = 5 * 1024 * 1024

# Headers kept with the delivery (PLATFORM.md §2.1); the HMAC itself is not worth keeping.
_KEPT_HEADERS = (
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-API-Version",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Triggered-At",
    "X-Shopify-Event-Id",
    "X-Shopify-Name",
)


def webhook_secrets() -> list[str]:
    """The client secrets a delivery may be signed with: the one rule OAuth uses too.

    During a rotation Shopify keeps signing with the old secret for up to an hour
    (PLATFORM.md §2.1); ``oauth.app_secrets`` accepts it only until its valid deadline.
    """
    return oauth.app_secrets()


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# Everything the receiver reads from the request: the kept headers plus the signature.
READ_HEADERS = (*_KEPT_HEADERS, "X-Shopify-Hmac-Sha256")


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    """Verify, record and acknowledge one delivery; processing happens after commit.

    Production serves this path from ``config.wsgi``'s dispatcher without Django's
    middleware (docs/decisions/0005); this view is the same code for every other server.
    """
    headers = {name: request.headers[name] for name in READ_HEADERS if name in request.headers}
    status, text = accept_delivery(read_body(request.META.get("CONTENT_LENGTH"), request), headers)
    return HttpResponse(text, status=status)


def read_body(content_length: str | None, stream) -> bytes | None:
    """Read the raw body, at most ``MAX_BODY_BYTES``; None when it is (or says it is) larger.

    ``request.body`` would raise past DATA_UPLOAD_MAX_MEMORY_SIZE before we could answer
    with a clear 413, so the stream is read directly, and never more than the limit plus
    one byte: memory per request is bounded whatever the client claims or sends.
    """
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    body = stream.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def accept_delivery(body: bytes | None, request_headers: dict[str, str]) -> tuple[int, str]:
    """Verify and record one delivery; return the HTTP status and a short text to answer.

    ``request_headers`` holds the ``READ_HEADERS`` present, under their canonical names.
    """
    if body is None:
        return 413, "Payload too large"
    if not signing.verify_webhook_hmac(
        body, request_headers.get("X-Shopify-Hmac-Sha256"), webhook_secrets()
    ):
        # Compliance topics must answer 401 here (App Review checks it, PLATFORM §2.5).
        return 401, "Invalid signature"

    headers = {name: request_headers[name] for name in _KEPT_HEADERS if name in request_headers}
    topic = headers.get("X-Shopify-Topic", "")
    shop = headers.get("X-Shopify-Shop-Domain", "")
    triggered_at = _parse_time(headers.get("X-Shopify-Triggered-At"))
    now = clock.now()
    state, note, status = DeliveryState.RECEIVED, "", 200
    payload = _json_object(body)
    if payload is None:
        state, note, status = DeliveryState.REJECTED, "Body is not a JSON object", 400
    elif topic not in KNOWN_TOPICS:
        state, note = DeliveryState.IGNORED, "Topic not handled"
    elif not shop:
        state, note, status = DeliveryState.REJECTED, "Missing X-Shopify-Shop-Domain", 400
    else:
        # The headers are unsigned: bind them to the signed body (provenance.py).
        note = provenance.refusal(topic, shop, payload, triggered_at, now)
        if note:
            state, status = DeliveryState.REJECTED, 400

    values = {
        # A delivery without an id cannot be deduplicated; keep it under a fresh one.
        "webhook_id": headers.get("X-Shopify-Webhook-Id") or f"missing-{uuid.uuid4()}",
        "topic": topic[:100],
        "shop_domain": shop[:255].lower(),
        "triggered_at": triggered_at,
        "received_at": now,
        "state": state,
        "headers": headers,
        "body": body if state == DeliveryState.RECEIVED else None,
        "note": note,
        "processed_at": None if state == DeliveryState.RECEIVED else now,
        "attempts": 0,
    }
    received = state == DeliveryState.RECEIVED
    if not OUTAGE.admit():
        # The database failed a delivery a moment ago: Shopify retries a 503, and this
        # thread is free for the next request at once.
        return 503, "Service unavailable"
    try:
        status = _record(values, received, status, note)
    except DatabaseError:
        # Only the database: a refusing queue fails at once (and its socket timeout
        # bounds a hung one), and the delivery is kept for the sweeper; Shopify's retry
        # of it right away is what wakes its shop (wakeups.py).
        OUTAGE.failed()
        raise
    OUTAGE.recovered()
    return status, ""


class Outage:
    """Answers 503 at once for a moment after the database failed a delivery (ADR 0080).

    A receiver thread that meets an unreachable database waits for the pool (3 s in a
    web process) and then answers 500; with every thread of a process waiting so, the
    deliveries queued behind them met Shopify's 5 s timeout instead, and a probe was
    answered after 11.6 s (docs/performance.md, "Storm", session 7). After a failure the
    process answers 503 without touching the storage for ``PAUSE`` seconds, then lets
    one delivery at a time try until one succeeds.
    """

    PAUSE = 1.0  # seconds of 503s after a failure
    TRIAL = 5.0  # one trial at a time: at most the pool's wait plus the work

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failing = False
        self._until = 0.0

    def admit(self) -> bool:
        with self._lock:
            if not self._failing:
                return True
            now = time.monotonic()
            if now < self._until:
                return False
            self._until = now + self.TRIAL
            return True

    def failed(self) -> None:
        with self._lock:
            self._failing = True
            self._until = time.monotonic() + self.PAUSE

    def recovered(self) -> None:
        if self._failing:  # read without the lock: the common case costs nothing
            with self._lock:
                self._failing = False


OUTAGE = Outage()


def _record(values: dict, received: bool, status: int, note: str) -> int:
    """Store the delivery and wake its shop's drain; return the HTTP status to answer."""
    topic = values["topic"]
    # Autocommit statements, no transaction: the row must be committed before the wake-up
    # bit is read (wakeups.py), and a single INSERT is atomic on its own.
    # The inbox's own write turn: on SQLite a file of its own, so this never waits for a
    # worker's transaction on the main database (core/dbrouter.py, ADR 0057).
    with sqlite_writer(inbox_alias()):
        delivery_id = _insert_once(values)
    # A duplicate wakes the shop too: Shopify retries a delivery we answered 5xx after
    # storing it (the queue refused the wake-up, or the database went away between the
    # INSERT and the claim), and that retry is then the only knock left. Claiming costs
    # one SELECT when a drain is already queued.
    wake = received and wakeups.claim(values["shop_domain"])
    if delivery_id is None and not wake:
        # The unique webhook id says Shopify already gave us this delivery (a retry after
        # a slow answer, or a duplicate): acknowledge it and do nothing (PLATFORM §2.3).
        return 200
    if wake:
        # Outside the lock; after the commit (immediately here, as no transaction is open).
        try:
            intents.drain_webhooks(values["shop_domain"])
        except Exception:
            # The queue refused (Redis down): clear the bit so the next delivery tries
            # again instead of waiting for the sweeper; this one is answered 500 and kept.
            wakeups.release(values["shop_domain"])
            raise
    elif not received:
        log.info("webhook %s %s: %s", values["webhook_id"], topic, note)
    return status


_FIELDS = tuple(
    WebhookDelivery._meta.get_field(name)
    for name in (
        "webhook_id",
        "topic",
        "shop_domain",
        "triggered_at",
        "received_at",
        "state",
        "headers",
        "body",
        "note",
        "processed_at",
        "attempts",
    )
)
# Plain strings and ints go to the driver as they are; only these need the field's
# conversion (JSON, datetimes, bytes), which is most of what the ORM spends per row.
_CONVERTED = frozenset({"triggered_at", "received_at", "headers", "body", "processed_at"})
_INSERT_SQL: dict[str, str] = {}


def _insert_sql(connection) -> str:
    """The INSERT for this connection's database, built once."""
    sql = _INSERT_SQL.get(connection.vendor)
    if sql is None:
        meta = WebhookDelivery._meta
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(f.column) for f in _FIELDS)}) "
            f"VALUES ({', '.join(['%s'] * len(_FIELDS))}) "
            f"ON CONFLICT ({quote(meta.get_field('webhook_id').column)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}"
        )
        _INSERT_SQL[connection.vendor] = sql
    return sql


def _insert_once(values: dict) -> int | None:
    """Insert the delivery unless its webhook id is known; return its id, None if known.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (SQLite ≥ 3.35, PostgreSQL) instead
    of ``Model.save()``: the ORM's statement building cost more than SQLite's insert, and
    a duplicate costs no exception and no rolled-back savepoint.
    """
    connection = connections[inbox_alias()]
    params = [
        field.get_db_prep_save(values[field.name], connection)
        if field.name in _CONVERTED
        else values[field.name]
        for field in _FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection), params)
        row = cursor.fetchone()
    return row[0] if row else None


def _json_object(body: bytes) -> dict | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
