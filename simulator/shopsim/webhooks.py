"""Webhook delivery: signed POSTs from a background asyncio task, Shopify's retry schedule, faults.

`Hub.emit(shop, topic, payload)` may be called from any thread. Each matching subscription
(and, for app-level topics, `--app-webhook-url`) gets one delivery with its own
`X-Shopify-Webhook-Id`; all deliveries of one change share `X-Shopify-Event-Id`.
A delivery is attempted once and retried up to 8 times (PLATFORM §2.2: 8 retries over
about 4 hours) after `RETRY_DELAYS[k] × time_scale` seconds. If all 8 retries fail — 8
consecutive failed retries — a subscription created through the Admin API is deleted
(PLATFORM §2.2, [2nd] source; we count failures per delivery cycle).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime

import httpx
import orjson

from shopsim.rest_admin import events
from shopsim.signing import sign_body

RETRY_DELAYS = [60 * 2**k for k in range(8)]  # 1 min … 128 min, ≈ 4.25 h in total
TIMEOUT = httpx.Timeout(5.0, connect=1.0)  # Shopify: 1 s to connect, 5 s total (PLATFORM §2.2)
APP_LEVEL = {
    "customers/data_request",
    "customers/redact",
    "shop/redact",
    "app/uninstalled",
    "app/scopes_update",
}
LOG_LIMIT = 2000
# Attempts on the wire at once, across every shop. httpx's pool assigns a queued request
# by scanning every connection for every queued request (httpcore 1.0), on each request
# start and end: with thousands of deliveries waiting on a slow receiver (a storm, a
# database outage behind it) that scan took the whole event loop, attempts timed out
# 10-26 s late while still queued, retries piled on, and the hub never recovered (the
# lost storm of docs/performance.md, "Storm", session 7). Attempts past this bound wait
# here, outside the pool, and Shopify's 5 s deadline starts when one is sent.
MAX_IN_FLIGHT = 48


def topic_enum(topic: str) -> str:
    return topic.upper().replace("/", "_").replace(".", "_")


def enum_topic(enum: str) -> str:
    """`CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE` → `customers_email_marketing_consent/update`."""
    special = {
        "CUSTOMER_TAGS_ADDED": "customer.tags_added",
        "CUSTOMER_TAGS_REMOVED": "customer.tags_removed",
        "CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE": "customers_email_marketing_consent/update",
        "CUSTOMERS_MARKETING_CONSENT_UPDATE": "customers_marketing_consent/update",
        "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
        "APP_SCOPES_UPDATE": "app/scopes_update",
        "CUSTOMERS_PURCHASING_SUMMARY": "customers/purchasing_summary",
        "FULFILLMENT_EVENTS_CREATE": "fulfillment_events/create",
        "CUSTOMERS_DATA_REQUEST": "customers/data_request",
    }
    if enum in special:
        return special[enum]
    head, _, tail = enum.lower().rpartition("_")
    return f"{head}/{tail}"


class Hub:
    """Owns the delivery queue, the HTTP client and the per-shop delivery log."""

    def __init__(self, settings):
        self.settings = settings
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: httpx.AsyncClient | None = None
        self.tasks: set[asyncio.Task] = set()
        self.reorder_buffers: dict[str, list] = {}
        self.in_flight: asyncio.Semaphore | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        limits = httpx.Limits(
            max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT
        )
        self.client = httpx.AsyncClient(timeout=TIMEOUT, limits=limits)

    async def stop(self) -> None:
        for t in list(self.tasks):
            t.cancel()
        if self.client:
            await self.client.aclose()

    # emitting -----------------------------------------------------------------------
    def emit(self, shop, topic: str, payload: dict, event_id: str | None = None) -> str:
        """Record the change's Event, queue deliveries of `topic` to every target; return the id."""
        events.record(shop, topic, payload)
        event_id = event_id or str(uuid.uuid4())
        body = orjson.dumps(payload)
        triggered = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        targets = []
        enum = topic_enum(topic)
        for sub in list(shop.subscriptions.values()):
            if sub["topic"] == enum:
                b = body
                if sub.get("includeFields"):
                    b = orjson.dumps(
                        {k: v for k, v in payload.items() if k in sub["includeFields"]}
                    )
                targets.append((sub, sub["uri"], b))
        if topic in APP_LEVEL and self.settings.app_webhook_url:
            targets.append((None, self.settings.app_webhook_url, body))
        for sub, url, b in targets:
            d = {
                "shop": shop,
                "topic": topic,
                "url": url,
                "body": b,
                "sub": sub,
                "event_id": event_id,
                "webhook_id": str(uuid.uuid4()),
                "triggered_at": triggered,
                "api_version": (sub or {}).get("_apiVersion") or self.settings.webhook_api_version,
            }
            self._schedule(d)
        return event_id

    def _schedule(self, d: dict) -> None:
        if self.loop is None or self.loop.is_closed():
            self._log(d, 0, None, "not-started")
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._accept(d)
        else:
            self.loop.call_soon_threadsafe(self._accept, d)

    def _spawn(self, coro) -> None:
        t = self.loop.create_task(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)

    def _accept(self, d: dict) -> None:
        wf = d["shop"].faults.webhooks or {}
        rnd = random.random
        if wf.get("drop_rate") and rnd() < float(wf["drop_rate"]):
            self._log(d, 0, None, "dropped")
            return
        copies = 2 if wf.get("duplicate_rate") and rnd() < float(wf["duplicate_rate"]) else 1
        if wf.get("reorder"):
            buf = self.reorder_buffers.setdefault(d["shop"].domain, [])
            buf.extend([d] * copies)
            if len(buf) == copies:
                self._spawn(self._flush_reordered(d["shop"].domain))
            elif len(buf) >= 2:
                self._release(d["shop"].domain)
            return
        for _ in range(copies):
            self._spawn(self._deliver(d))

    def _release(self, domain: str) -> None:
        held = list(reversed(self.reorder_buffers.pop(domain, [])))

        async def staggered():
            for d in held:  # a small gap keeps the reversed order on the wire
                self._spawn(self._deliver(d))
                await asyncio.sleep(0.05)

        self._spawn(staggered())

    async def _flush_reordered(self, domain: str) -> None:
        # Hold deliveries in pairs and release each pair newest first, so receivers see
        # e.g. orders/updated before orders/create (PLATFORM §2.3: no ordering guarantee).
        # A lone delivery is released after 1 s.
        await asyncio.sleep(1.0)
        self._release(domain)

    # delivering ---------------------------------------------------------------------
    def _headers(self, d: dict) -> dict:
        h = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": d["topic"],
            "X-Shopify-Hmac-Sha256": sign_body(d["body"], self.settings.client_secret),
            "X-Shopify-Shop-Domain": d["shop"].domain,
            "X-Shopify-API-Version": d["api_version"],
            "X-Shopify-Webhook-Id": d["webhook_id"],
            "X-Shopify-Event-Id": d["event_id"],
            "X-Shopify-Triggered-At": d["triggered_at"],
            "User-Agent": "Shopify-Captain-Hook",
        }
        if d["sub"] and d["sub"].get("name"):
            h["X-Shopify-Name"] = d["sub"]["name"]
        return h

    def _log(
        self,
        d: dict,
        attempt: int,
        status,
        outcome: str,
        elapsed: float = 0.0,
        next_retry_at: float | None = None,
    ) -> None:
        log = d["shop"].webhook_log
        log.append(
            {
                "next_retry_at": next_retry_at,
                "webhook_id": d["webhook_id"],
                "event_id": d["event_id"],
                "topic": d["topic"],
                "url": d["url"],
                "attempt": attempt,
                "status": status,
                "outcome": outcome,
                "at": time.time(),
                "elapsed_ms": round(elapsed * 1000, 1),
                "subscription_id": (d["sub"] or {}).get("id"),
            }
        )
        if len(log) > LOG_LIMIT:
            del log[: len(log) - LOG_LIMIT]

    async def _deliver(self, d: dict) -> None:
        wf = d["shop"].faults.webhooks or {}
        if wf.get("delay_ms"):
            await asyncio.sleep(float(wf["delay_ms"]) / 1000)
        sub = d["sub"]
        for attempt in range(1, len(RETRY_DELAYS) + 2):
            status = None
            async with self.in_flight:
                start = time.monotonic()
                try:
                    resp = await self.client.post(
                        d["url"], content=d["body"], headers=self._headers(d)
                    )
                    status = resp.status_code
                    ok = 200 <= status < 300
                    outcome = "ok" if ok else "http-error"
                except httpx.TimeoutException:
                    ok, outcome = False, "timeout"
                except httpx.HTTPError as exc:
                    ok, outcome = False, f"error: {type(exc).__name__}"
                elapsed = time.monotonic() - start
            retry_in = (
                None
                if ok or attempt > len(RETRY_DELAYS)
                else RETRY_DELAYS[attempt - 1] * self.settings.time_scale
            )
            self._log(
                d,
                attempt,
                status,
                outcome,
                elapsed,
                next_retry_at=None if retry_in is None else time.time() + retry_in,
            )
            if ok:
                if sub:
                    sub["failures"] = 0
                return
            if sub:
                sub["failures"] = sub.get("failures", 0) + 1
            if retry_in is None:
                break
            await asyncio.sleep(retry_in)
        if sub and sub.get("api_created", True):
            d["shop"].subscriptions.pop(sub["_key"], None)
            self._log(d, attempt, None, "subscription-removed")


def deliveries_by_subscription(shop, per_subscription: int = 10) -> list[dict]:
    """The admin's "Settings → Notifications → Webhooks" view: per subscription, its
    latest deliveries, each with its attempts, last response and next retry.

    Built from the delivery log; a delivery's ``state`` is ``delivered``, ``retrying``
    (a retry is scheduled), ``failed`` (retries exhausted), ``dropped`` (fault) or
    ``pending`` (not attempted yet).
    """
    subs: dict[str, dict] = {}
    for sub in shop.subscriptions.values():
        subs[sub["id"]] = {
            "id": sub["id"],
            "topic": enum_topic(sub["topic"]),
            "uri": sub["uri"],
            "deliveries": {},
        }
    for e in shop.webhook_log:
        sid = e.get("subscription_id")
        if sid is None:
            continue
        sub = subs.setdefault(
            sid,
            {"id": sid, "topic": e["topic"], "uri": e["url"], "deliveries": {}, "removed": True},
        )
        d = sub["deliveries"].setdefault(
            e["webhook_id"], {"webhook_id": e["webhook_id"], "topic": e["topic"], "attempts": []}
        )
        d["attempts"].append(
            {"attempt": e["attempt"], "status": e["status"], "outcome": e["outcome"], "at": e["at"]}
        )
        d["next_retry_at"] = e.get("next_retry_at")
    out = []
    for sub in subs.values():
        rows = list(sub["deliveries"].values())[-per_subscription:][::-1]
        for d in rows:
            last = d["attempts"][-1]
            d["status"], d["at"] = last["status"], last["at"]
            if last["outcome"] == "ok":
                d["state"] = "delivered"
            elif last["outcome"] == "dropped":
                d["state"] = "dropped"
            elif d.get("next_retry_at"):
                d["state"] = "retrying"
            else:
                d["state"] = "failed"
            d["tries"] = sum(1 for a in d["attempts"] if a["attempt"])
        out.append({**sub, "deliveries": rows})
    return sorted(out, key=lambda s: s["topic"])
