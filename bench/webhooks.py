"""Benchmark the webhook receiver under the production server, against a minimal view.

Starts gunicorn exactly as ``shoplink serve`` does (``shoplink.cli._web_command``:
``config.wsgi:application``, whose dispatcher answers deliveries in front of Django's
middleware, docs/decisions/0005), with SQLite in WAL mode and settings = production plus
the ``/bench/ok`` baseline route (``webhooks_app.py``), and fires signed deliveries from
a separate load process over keep-alive connections:

1. baseline: as many POSTs as possible at ``/bench/ok`` (a Django view returning 200);
2. receiver: as many signed ``orders/create`` deliveries as possible (unique webhook ids)
   with no worker running — the request path alone (verify, one INSERT, enqueue, 200);
   its rows and jobs are then dropped, as no worker is meant to process them;
3. events: a Huey consumer runs, and new orders are delivered at ``--rate`` per second;
   webhook-to-event latency = the ``shopify_order_placed`` row's ``recorded_at`` minus
   the moment the delivery was sent.

``--phases`` picks phases (default all three); ``--workers``/``--threads`` try other
gunicorn sizes than the shipped ones.

The last line is
``RESULT acks_per_s=<n> ack_p99_ms=<n> event_p95_ms=<n> baseline_acks_per_s=<n> ratio=<r>``
(ratio = receiver acks/s ÷ baseline acks/s). ``--seconds`` sets each phase's length.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SECRET = "bench-webhook-secret"
SHOP = "bench-store.myshopify.com"
_STAGGER = 0.005  # seconds between opening one load connection and the next
SAMPLE = ROOT / "shoplink/integrations/shopify/tests/fixtures/webhooks/orders__updated__sample.json"


# --- load process ------------------------------------------------------------------------


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _request(path: str, body: bytes, signature: str, webhook_id: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Hmac-Sha256: {signature}\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
        f"X-Shopify-API-Version: 2026-07\r\nX-Shopify-Webhook-Id: {webhook_id}\r\n"
        f"X-Shopify-Triggered-At: {dt.datetime.now(dt.UTC).isoformat()}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(reader, writer, payload: bytes) -> int:
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


class _Pool:
    def __init__(self, port: int):
        self.port = port
        self.free: list = []

    async def take(self):
        if self.free:
            return self.free.pop()
        return await asyncio.open_connection("127.0.0.1", self.port)

    def give(self, conn) -> None:
        self.free.append(conn)


async def _closed_loop(port: int, make, seconds: float, connections: int) -> dict:
    """Each connection sends its next request as soon as the last one is answered."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def run(n: int):
        nonlocal errors
        # Connections open a few ms apart, as a fleet's do, not in one instant: gunicorn's
        # workers share one listening socket, and a burst of simultaneous connects is
        # accepted by whichever worker wakes first, pinning most keep-alive connections
        # (and the whole run) to one process. Measured: that is the 900 vs 2,500 req/s
        # bimodality of earlier baselines (docs/performance.md).
        await asyncio.sleep(n * _STAGGER)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            payload = make()
            t0 = time.perf_counter()
            try:
                status = await _exchange(reader, writer, payload)
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


async def _open_loop(port: int, rate: float, seconds: float, body_for) -> dict:
    """Send one new order every 1/rate seconds, whatever the answers; note send times."""
    pool = _Pool(port)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(order_id: int):
        nonlocal errors
        body = body_for(order_id)
        payload = _request("/integrations/shopify/webhooks", body, _sign(body), str(uuid.uuid4()))
        conn = await pool.take()
        sent[str(order_id)] = time.time()
        t0 = time.perf_counter()
        try:
            status = await _exchange(*conn, payload)
        except (asyncio.IncompleteReadError, ConnectionError):
            # A pooled connection the server closed as idle (keep-alive): resend on a new one.
            conn = await asyncio.open_connection("127.0.0.1", port)
            try:
                status = await _exchange(*conn, payload)
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
            tasks.append(asyncio.create_task(one(10_000_000 + n)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors, "sent": sent}


def load_main(args) -> None:
    """Entry of the separate load process: run one phase, print JSON."""
    sample = json.loads(SAMPLE.read_text())
    sample.update(customer=None, cancelled_at=None, cancel_reason=None, test=False)
    if args.phase == "baseline":
        body = json.dumps(sample).encode()
        signature = _sign(body)
        result = asyncio.run(
            _closed_loop(
                args.port,
                lambda: _request("/bench/ok", body, signature, str(uuid.uuid4())),
                args.seconds,
                args.connections,
            )
        )
    elif args.phase == "receiver":
        body = json.dumps(sample).encode()
        signature = _sign(body)  # the HMAC covers the body only; ids differ per delivery
        result = asyncio.run(
            _closed_loop(
                args.port,
                lambda: _request(
                    "/integrations/shopify/webhooks", body, signature, str(uuid.uuid4())
                ),
                args.seconds,
                args.connections,
            )
        )
    else:

        def body_for(order_id: int) -> bytes:
            return json.dumps(
                dict(sample, id=order_id, admin_graphql_api_id=f"gid://shopify/Order/{order_id}")
            ).encode()

        result = asyncio.run(_open_loop(args.port, args.rate, args.seconds, body_for))
    print(json.dumps(result))


# --- orchestration ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="webhooks_app",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT)]),
        SHOPLINK_DATA_DIR=data_dir,
        SECRET_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        SHOPIFY_API_KEY="bench",
        SHOPIFY_API_SECRET=SECRET,
        HUEY_IMMEDIATE="0",
    )
    return env


def _django(env: dict, code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


SETUP = f"""
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
from shoplink.projects.services import create_project
from shoplink.integrations.shopify.models import ShopifyStore
p = create_project("Bench")
ShopifyStore.objects.create(project=p, domain="{SHOP}", name="Bench", sync_customers=False)
"""
# Phase 2's deliveries are not meant to be processed: drop their jobs, their rows and the
# shop's "drain queued" bit (a worker would otherwise take them up with phase 3's orders,
# and the bit, set by phase 2's one wake-up, would hold phase 3's back until the sweeper).
FLUSH = """
from huey.contrib.djhuey import HUEY
from shoplink.integrations.shopify.models import WebhookDelivery, WebhookWake
HUEY.flush()
WebhookDelivery.objects.all().delete()
WebhookWake.objects.all().delete()
"""
LATENCIES = """
import json
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import WebhookDelivery
print(json.dumps({
    "pending": WebhookDelivery.objects.filter(state="received").count(),
    "events": {e.data["order_id"]: e.recorded_at.timestamp() for e in
               Event.objects.filter(name="shopify_order_placed").only("data", "recorded_at")},
}))
"""


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _load(port: int, phase: str, seconds: float, connections: int, rate: float) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "_load",
            "--phase",
            phase,
            "--port",
            str(port),
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
            "--rate",
            str(rate),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def _wait_http(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    from shoplink.cli import _web_command

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries/s, phase 3")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: shipped)")
    parser.add_argument(
        "--phases", default="baseline,receiver,events", help="which phases to run, comma list"
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))

    data_dir = tempfile.mkdtemp(prefix="shoplink-bench-")
    env = _env(data_dir)
    _django(env, SETUP)
    port = _free_port()
    # The server exactly as ``shoplink serve`` starts it (its access log goes nowhere).
    command = _web_command("127.0.0.1", port, args.workers, **_threads(args))
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    consumer = None
    base = recv = events = {"latencies": [], "errors": 0, "elapsed": 1.0, "sent": {}}
    seen: dict = {"events": {}}
    try:
        _wait_http(port)
        _load(port, "baseline", 1.0, args.connections, args.rate)  # warm-up
        if "baseline" in phases:
            base = _load(port, "baseline", args.seconds, args.connections, args.rate)
        if "receiver" in phases:
            recv = _load(port, "receiver", args.seconds, args.connections, args.rate)
        if "events" in phases:
            _django(env, FLUSH)
            consumer = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(2)
            events = _load(port, "events", args.seconds, args.connections, args.rate)
            seen = _wait_events(env, events["sent"])
    finally:
        for proc in (consumer, server):
            if proc is not None:
                proc.terminate()
                proc.wait(10)
    _report(args, base, recv, events, seen)


def _threads(args) -> dict:
    return {} if args.threads is None else {"threads": args.threads}


def _wait_events(env: dict, sent: dict) -> dict:
    deadline = time.monotonic() + 60
    while True:
        seen = json.loads(_django(env, LATENCIES))
        if all(k in seen["events"] for k in sent) or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def _report(args, base: dict, recv: dict, events: dict, seen: dict) -> None:
    base_rate = len(base["latencies"]) / base["elapsed"]
    recv_rate = len(recv["latencies"]) / recv["elapsed"]
    lags = [
        (seen["events"][k] - t) * 1000 for k, t in events["sent"].items() if k in seen["events"]
    ]
    missing = len(events["sent"]) - len(lags)
    ack_ms = [x * 1000 for x in recv["latencies"]]
    ev_ack_ms = [x * 1000 for x in events["latencies"]]
    print(
        f"baseline /bench/ok: {base_rate:.0f} req/s, p50 "
        f"{_percentile([x * 1000 for x in base['latencies']], 50):.1f} ms, "
        f"p99 {_percentile([x * 1000 for x in base['latencies']], 99):.1f} ms, "
        f"errors {base['errors']}"
    )
    print(
        f"receiver: {recv_rate:.0f} acks/s, p50 {_percentile(ack_ms, 50):.1f} ms, "
        f"p99 {_percentile(ack_ms, 99):.1f} ms, errors {recv['errors']}"
    )
    print(
        f"events at {args.rate:.0f}/s: {len(events['sent'])} sent, ack p99 "
        f"{_percentile(ev_ack_ms, 99):.1f} ms, webhook-to-event p50 "
        f"{_percentile(lags, 50):.0f} ms, p95 {_percentile(lags, 95):.0f} ms, "
        f"missing {missing}, errors {events['errors']}"
    )
    print(
        f"RESULT acks_per_s={recv_rate:.0f} ack_p99_ms={_percentile(ack_ms, 99):.1f} "
        f"event_p95_ms={_percentile(lags, 95):.0f} baseline_acks_per_s={base_rate:.0f} "
        f"ratio={recv_rate / base_rate if base_rate else float('nan'):.2f}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        p = argparse.ArgumentParser()
        p.add_argument("_load")
        p.add_argument("--phase", required=True)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--seconds", type=float, required=True)
        p.add_argument("--connections", type=int, default=16)
        p.add_argument("--rate", type=float, default=200.0)
        load_main(p.parse_args())
    else:
        main()
