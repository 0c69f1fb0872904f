"""Signed Shopify webhook deliveries over raw keep-alive HTTP, for the benchmarks.

Owns the load side shared by ``bench/webhooks.py`` and ``bench/storm.py``: signing a body
as Shopify does (base64 HMAC-SHA256 of the raw body), building one delivery's bytes, and
two ways of sending them from asyncio — a *closed loop* (each connection sends its next
request as soon as the last is answered: throughput) and an *open loop* (one request every
1/rate seconds whatever the answers: latency at a given load, as Shopify sends). Raw
sockets rather than an HTTP client library: the client must cost far less than the
server it measures, and one process must be able to drive thousands of requests a second.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable

WEBHOOK_PATH = "/integrations/shopify/webhooks"
API_VERSION = "2026-07"
# Seconds between opening one load connection and the next (see closed_loop).
STAGGER = 0.005


def sign(body: bytes, secret: str) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 of HMAC-SHA256 with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery(
    body: bytes,
    signature: str,
    webhook_id: str,
    shop: str,
    topic: str = "orders/create",
    path: str = WEBHOOK_PATH,
) -> bytes:
    """The bytes of one POST as Shopify sends it (the headers PLATFORM.md §2.1 lists)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: {topic}\r\n"
        f"X-Shopify-Hmac-Sha256: {signature}\r\nX-Shopify-Shop-Domain: {shop}\r\n"
        f"X-Shopify-API-Version: {API_VERSION}\r\nX-Shopify-Webhook-Id: {webhook_id}\r\n"
        f"X-Shopify-Triggered-At: {dt.datetime.now(dt.UTC).isoformat()}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(reader, writer, payload: bytes) -> int:
    """Send one request on an open connection; read the answer; return its status."""
    writer.write(payload)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


class ConnectionPool:
    """Idle keep-alive connections to one port, reused before a new one is opened."""

    def __init__(self, port: int):
        self.port = port
        self.free: list = []

    async def take(self):
        if self.free:
            return self.free.pop()
        return await asyncio.open_connection("127.0.0.1", self.port)

    def give(self, conn) -> None:
        self.free.append(conn)


async def closed_loop(
    port: int,
    make: Callable[[], bytes],
    seconds: float,
    connections: int,
    count: int | None = None,
) -> dict:
    """Each connection sends its next request as soon as the last one is answered.

    Stops after ``seconds``, or once ``count`` requests were sent when it is given.
    Returns ``latencies`` (s, answers 200 only), ``errors`` and ``elapsed`` (s).
    """
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    async def run(n: int):
        nonlocal errors, sent
        # Connections open a few ms apart, as a fleet's do, not in one instant: gunicorn's
        # workers share one listening socket, and a burst of simultaneous connects is
        # accepted by whichever worker wakes first, pinning most keep-alive connections
        # (and the whole run) to one process. Measured: that is the 900 vs 2,500 req/s
        # bimodality of earlier baselines (docs/performance.md).
        await asyncio.sleep(n * STAGGER)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline and (count is None or sent < count):
            sent += 1
            payload = make()
            t0 = time.perf_counter()
            try:
                status = await exchange(reader, writer, payload)
            except (asyncio.IncompleteReadError, ConnectionError):
                errors += 1
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            if status == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(run(n) for n in range(connections)))
    return {"latencies": latencies, "errors": errors, "elapsed": time.perf_counter() - start}


async def open_loop(
    port: int, rate: float, seconds: float, make: Callable[[int], tuple[str, bytes]]
) -> dict:
    """Send request ``n`` at ``n / rate`` seconds, whatever the answers; note send times.

    ``make(n)`` returns ``(key, payload)``; ``sent`` maps each key to the wall-clock time
    (``time.time()``) it was sent, to be matched against what the server recorded.
    """
    pool = ConnectionPool(port)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(n: int):
        nonlocal errors
        key, payload = make(n)
        conn = await pool.take()
        sent[key] = time.time()
        t0 = time.perf_counter()
        try:
            status = await exchange(*conn, payload)
        except (asyncio.IncompleteReadError, ConnectionError):
            # A pooled connection the server closed as idle (keep-alive): resend on a new one.
            conn = await asyncio.open_connection("127.0.0.1", port)
            try:
                status = await exchange(*conn, payload)
            except (asyncio.IncompleteReadError, ConnectionError):
                errors += 1
                return
        pool.give(conn)
        if status == 200:
            latencies.append(time.perf_counter() - t0)
        else:
            errors += 1

    start = time.perf_counter()
    n = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate) + 1
        while n < due:
            n += 1
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors, "sent": sent}
