"""Benchmark the webhook receiver and its worker under the production processes.

Starts gunicorn exactly as ``shoplink serve`` does (``shoplink.cli._web_command``:
``config.wsgi:application``, whose dispatcher answers deliveries in front of Django's
middleware, docs/decisions/0005) and, where a phase needs one, a Huey consumer exactly as
shipped (``manage.py run_huey``), with settings = production plus the ``/bench/ok``
baseline route (``webhooks_app.py``). The database is SQLite in WAL mode under a fresh
data directory unless ``--database`` names one (e.g. PostgreSQL; its tables are emptied
first), the queue is Huey's SQLite file unless ``--redis`` names a Redis (its queue name
is unique to the run). Signed deliveries come from a separate load process over
keep-alive connections (``loadgen.py``). Phases (``--phases``, default all):

1. ``baseline``: as many POSTs as possible at ``/bench/ok`` (a Django view returning 200);
2. ``receiver``: as many signed ``orders/create`` deliveries as possible (unique webhook
   ids) with no worker running — the request path alone (verify, one INSERT, wake-up,
   200); its rows and jobs are then dropped, as no worker is meant to process them;
3. ``events``: a consumer runs and new orders are delivered at ``--rate`` per second;
   webhook-to-event latency = the ``shopify_order_placed`` row's ``recorded_at`` minus
   the moment the delivery was sent;
4. ``capacity``: ``--backlog`` new orders (over ``--shops`` shops) are received with no
   worker, then the consumer starts and drains them: the drain-only rate is the events/s
   between 10 % and 90 % drained. On a small machine receiving costs as much CPU as
   processing, so the sustained rate (``capacity_eps``) is then measured with the queue
   full *and* deliveries arriving at the drain-only rate: the events/s drained meanwhile;
5. ``half``: phase 3 at half the measured capacity (``event_p95_half_ms``, target < 1 s);
6. ``busy``: receiving while the workers drain at full capacity — a backlog large enough
   to keep every worker thread busy for the whole phase, then new orders at ``--rate``
   per second; their ack p99 is ``busy_ack_p99_ms`` (target < 50 ms).

The last line is ``RESULT acks_per_s= ack_p99_ms= event_p95_ms= baseline_acks_per_s=
ratio= capacity_eps= event_p95_half_ms= busy_ack_p99_ms= db= queue= load_avg=`` (ratio =
receiver acks/s ÷ baseline acks/s; load_avg = the 1-minute load average at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
sys.path[:0] = [str(BENCH), str(ROOT)]

import loadgen  # noqa: E402  (bench/ is not a package)

SECRET = "bench-webhook-secret"
SHOP = "bench-store.myshopify.com"
SAMPLE = ROOT / "shoplink/integrations/shopify/tests/fixtures/webhooks/orders__updated__sample.json"
# Order ids per phase, so one phase's events are never taken for another's.
BASE = {"events": 10_000_000, "capacity": 20_000_000, "half": 30_000_000, "busy": 40_000_000}
ARRIVALS = 50_000_000  # the busy phase's new orders, on top of its backlog


def shops(count: int) -> list[str]:
    """The bench's shops; the first is the one phases 1-3 use."""
    return [SHOP] + [f"bench-store-{i}.myshopify.com" for i in range(1, count)]


# --- load process ------------------------------------------------------------------------


def load_main(args) -> None:
    """Entry of the separate load process: run one phase, print JSON."""
    sample = json.loads(SAMPLE.read_text())
    sample.update(customer=None, cancelled_at=None, cancel_reason=None, test=False)
    fleet = shops(args.shops)

    def order(order_id: int) -> bytes:
        body = json.dumps(
            dict(sample, id=order_id, admin_graphql_api_id=f"gid://shopify/Order/{order_id}")
        ).encode()
        shop = fleet[order_id % len(fleet)]
        return loadgen.delivery(body, loadgen.sign(body, SECRET), str(uuid.uuid4()), shop)

    if args.phase in ("baseline", "receiver"):
        body = json.dumps(sample).encode()
        signature = loadgen.sign(body, SECRET)  # the HMAC covers the body only
        path = "/bench/ok" if args.phase == "baseline" else loadgen.WEBHOOK_PATH
        result = asyncio.run(
            loadgen.closed_loop(
                args.port,
                lambda: loadgen.delivery(body, signature, str(uuid.uuid4()), SHOP, path=path),
                args.seconds,
                args.connections,
            )
        )
    elif args.phase == "fill":
        ids = iter(range(args.base + 1, args.base + args.count + 1))
        result = asyncio.run(
            loadgen.closed_loop(
                args.port, lambda: order(next(ids)), 3600, args.connections, args.count
            )
        )
    else:  # "rate": new orders at --rate per second
        result = asyncio.run(
            loadgen.open_loop(
                args.port,
                args.rate,
                args.seconds,
                lambda n: (str(args.base + n), order(args.base + n)),
            )
        )
    print(json.dumps(result))


# --- orchestration ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: str, database: str | None, redis: str | None) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="webhooks_app",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT)]),
        SHOPLINK_DATA_DIR=data_dir,
        SECRET_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        SHOPIFY_API_KEY="bench",
        SHOPIFY_API_SECRET=SECRET,
        HUEY_IMMEDIATE="0",
        # A queue name of its own: two runs on one Redis never take each other's jobs.
        HUEY_NAME=f"bench-webhooks-{os.getpid()}",
    )
    if database:
        env["DATABASE_URL"] = database
    if redis:
        env["REDIS_URL"] = redis
    return env


class Bench:
    """The server, the consumer and the database, seen from the orchestrating process."""

    def __init__(self, args):
        self.args = args
        self.env = _env(tempfile.mkdtemp(prefix="shoplink-bench-"), args.database, args.redis)
        # This process reads the results through Django with the very same settings.
        os.environ.update(self.env)
        import django

        django.setup()
        self.port = _free_port()
        self.server = None
        self.consumer = None

    # database --------------------------------------------------------------------------

    def setup(self) -> None:
        from django.core.management import call_command
        from django.db import connections

        from shoplink.integrations.shopify.models import ShopifyStore
        from shoplink.projects.services import create_project

        # Every database (with SQLite the webhook inbox has a file of its own); a named
        # database may hold an earlier run's rows: empty it.
        call_command("migrate", run_syncdb=True, verbosity=0)
        for alias in connections:
            call_command("flush", database=alias, interactive=False, verbosity=0)
        project = create_project("Bench")
        for shop in shops(self.args.shops):
            ShopifyStore.objects.create(
                project=project, domain=shop, name=shop, sync_customers=False
            )

    def flush(self) -> None:
        """Drop every delivery, job, wake-up bit and event of the previous phase."""
        from django.db import connection
        from huey.contrib.djhuey import HUEY

        from shoplink.commerce.models import Order
        from shoplink.events.models import Event
        from shoplink.integrations.shopify.models import WebhookDelivery, WebhookWake

        HUEY.flush()
        WebhookDelivery.objects.all().delete()
        WebhookWake.objects.all().delete()
        Event.objects.all().delete()
        Order.objects.all().delete()
        connection.close()

    def processed(self) -> int:
        from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery

        return WebhookDelivery.objects.filter(state=DeliveryState.PROCESSED).count()

    def event_times(self, keys) -> dict[str, float]:
        from shoplink.events.models import Event

        wanted = set(keys)
        times = (
            (str(e.data.get("order_id")), e.recorded_at.timestamp())
            for e in Event.objects.filter(name="shopify_order_placed").only("data", "recorded_at")
        )
        return {key: at for key, at in times if key in wanted}

    # processes ---------------------------------------------------------------------------

    def start_server(self) -> None:
        from shoplink.cli import _web_command

        threads = {} if self.args.threads is None else {"threads": self.args.threads}
        command = _web_command("127.0.0.1", self.port, self.args.workers, **threads)
        # The server exactly as ``shoplink serve`` starts it (its access log goes nowhere).
        self.server = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def start_consumer(self) -> None:
        self.consumer = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop_consumer(self) -> None:
        if self.consumer is not None:
            self.consumer.terminate()
            self.consumer.wait(30)
            self.consumer = None

    def stop(self) -> None:
        self.stop_consumer()
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)
        from huey.contrib.djhuey import HUEY

        HUEY.flush()  # leave nothing on a shared Redis

    def load(self, phase: str, **options) -> dict:
        a = self.args
        argv = {
            "phase": phase,
            "port": self.port,
            "seconds": a.seconds,
            "connections": a.connections,
            "rate": a.rate,
            "shops": 1,
            "base": 0,
            "count": 0,
        }
        argv.update(options)
        command = [sys.executable, __file__, "_load"]
        for key, value in argv.items():
            command += [f"--{key}", str(value)]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    # phases ------------------------------------------------------------------------------

    def events_at(self, rate: float, base: int, shop_count: int = 1) -> dict:
        """New orders at ``rate``/s with the consumer running; acks and event latencies."""
        self.flush()
        self.start_consumer()
        time.sleep(2)
        sent = self.load("rate", rate=rate, base=base, shops=shop_count)
        deadline = time.monotonic() + 60
        while True:
            seen = self.event_times(sent["sent"])
            if len(seen) >= len(sent["sent"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.stop_consumer()
        lags = [(seen[k] - t) * 1000 for k, t in sent["sent"].items() if k in seen]
        return {
            "acks_ms": [x * 1000 for x in sent["latencies"]],
            "lags_ms": lags,
            "sent": len(sent["sent"]),
            "missing": len(sent["sent"]) - len(lags),
            "errors": sent["errors"],
        }

    def capacity(self) -> dict:
        """Fill the inbox with the worker stopped, then time the drain between 10 and 90 %."""
        a = self.args
        self.flush()
        self.load("fill", count=a.backlog, base=BASE["capacity"], shops=a.shops)
        self.start_consumer()
        low, high = int(a.backlog * 0.1), int(a.backlog * 0.9)
        t_low = n_low = None
        started = time.monotonic()
        while time.monotonic() - started < 300:
            n, t = self.processed(), time.monotonic()
            if t_low is None and n >= low:
                t_low, n_low = t, n
            if n >= high:
                break
            time.sleep(0.1)
        self.stop_consumer()
        if t_low is None or t <= t_low:
            return {"eps": float("nan"), "backlog": a.backlog}
        return {"eps": (n - n_low) / (t - t_low), "backlog": a.backlog, "seconds": t - t_low}

    def busy(self, capacity_eps: float, rate: float) -> dict:
        """Receive at ``rate`` while a backlog keeps every worker thread busy.

        Returns the acks' latencies and the drain rate meanwhile (events/s processed).
        """
        a = self.args
        self.flush()
        # Enough for the whole phase (and its start) even if nothing new arrived.
        backlog = int(max(a.backlog, capacity_eps * (a.seconds + 5)))
        self.load("fill", count=backlog, base=BASE["busy"], shops=a.shops)
        self.start_consumer()
        time.sleep(2)  # the consumer is up and draining
        before, started = self.processed(), time.monotonic()
        sent = self.load("rate", rate=rate, base=ARRIVALS, shops=a.shops)
        drained, elapsed = self.processed() - before, time.monotonic() - started
        self.stop_consumer()
        return {
            "acks_ms": [x * 1000 for x in sent["latencies"]],
            "errors": sent["errors"],
            "backlog": backlog,
            "rate": rate,
            "drain_eps": drained / elapsed,
            # The backlog must not have run dry during the phase, or it was not "busy".
            "still_full": drained < backlog,
        }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _rate(result: dict) -> float:
    return len(result["latencies"]) / result["elapsed"] if result else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="DATABASE_URL (default: SQLite in a temp dir)")
    parser.add_argument("--redis", help="REDIS_URL for the queue (default: Huey's SQLite)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries/s, phases 3, 6")
    parser.add_argument("--backlog", type=int, default=6000, help="deliveries, phase 4")
    parser.add_argument("--shops", type=int, default=4, help="shops of phases 4-6")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: shipped)")
    parser.add_argument(
        "--phases",
        default="baseline,receiver,events,capacity,half,busy",
        help="which phases to run, comma list (half needs capacity)",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    bench = Bench(args)
    bench.setup()
    nothing = {"latencies": [], "errors": 0, "elapsed": 1.0}
    base = recv = nothing
    events = half = busy = None
    cap = {"eps": float("nan")}
    try:
        bench.start_server()
        bench.load("baseline", seconds=1.0)  # warm-up
        if "baseline" in phases:
            base = bench.load("baseline")
        if "receiver" in phases:
            recv = bench.load("receiver")
        if "events" in phases:
            events = bench.events_at(args.rate, BASE["events"])
        if "capacity" in phases:
            cap = bench.capacity()
        if "capacity" in phases and cap["eps"] == cap["eps"]:
            # Sustained: receiving costs CPU too, so drain the backlog while deliveries
            # arrive at the drain-only rate; what is drained meanwhile is the capacity.
            sustained = bench.busy(cap["eps"], cap["eps"])
            cap["drain_only_eps"], cap["eps"] = cap["eps"], sustained["drain_eps"]
        if "half" in phases and cap["eps"] == cap["eps"]:
            half = bench.events_at(cap["eps"] / 2, BASE["half"], args.shops)
        if "busy" in phases:
            # The backlog must outlast the phase at the drain-only rate (the fastest).
            fastest = cap.get("drain_only_eps", cap["eps"])
            busy = bench.busy(fastest if fastest == fastest else args.rate, args.rate)
    finally:
        bench.stop()
    _report(args, bench, base, recv, events, cap, half, busy)


def _report(args, bench, base, recv, events, cap, half, busy) -> None:
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    db = connection.vendor
    queue = type(HUEY).__name__
    base_rate, recv_rate = _rate(base), _rate(recv)
    ack_ms = [x * 1000 for x in recv["latencies"]]
    base_ms = [x * 1000 for x in base["latencies"]]
    print(f"database {db}, queue {queue}, gunicorn workers {args.workers}")
    print(
        f"baseline /bench/ok: {base_rate:.0f} req/s, p50 {_percentile(base_ms, 50):.1f} ms, "
        f"p99 {_percentile(base_ms, 99):.1f} ms, errors {base['errors']}"
    )
    print(
        f"receiver: {recv_rate:.0f} acks/s, p50 {_percentile(ack_ms, 50):.1f} ms, "
        f"p99 {_percentile(ack_ms, 99):.1f} ms, errors {recv['errors']}"
    )
    for label, run, rate in (
        ("events", events, args.rate),
        ("half capacity", half, cap["eps"] / 2),
    ):
        if run:
            print(
                f"{label} at {rate:.0f}/s: {run['sent']} sent, ack p99 "
                f"{_percentile(run['acks_ms'], 99):.1f} ms, webhook-to-event p50 "
                f"{_percentile(run['lags_ms'], 50):.0f} ms, p95 "
                f"{_percentile(run['lags_ms'], 95):.0f} ms, missing {run['missing']}, "
                f"errors {run['errors']}"
            )
    if cap["eps"] == cap["eps"]:
        print(
            f"capacity: drain only {cap['drain_only_eps']:.0f} events/s from a backlog of "
            f"{cap['backlog']} over {args.shops} shops ({cap['seconds']:.1f} s between 10 "
            f"and 90 %); sustained (receiving at that rate meanwhile) {cap['eps']:.0f} events/s"
        )
    if busy:
        print(
            f"busy: {args.rate:.0f}/s received while draining a backlog of {busy['backlog']} "
            f"at {busy['drain_eps']:.0f} events/s: "
            f"ack p50 {_percentile(busy['acks_ms'], 50):.1f} ms, p99 "
            f"{_percentile(busy['acks_ms'], 99):.1f} ms, max {max(busy['acks_ms'], default=0):.0f}"
            f" ms, errors {busy['errors']}, backlog left throughout: {busy['still_full']}"
        )
    nan = float("nan")
    print(
        f"RESULT acks_per_s={recv_rate:.0f} ack_p99_ms={_percentile(ack_ms, 99):.1f} "
        f"event_p95_ms={_percentile(events['lags_ms'], 95) if events else nan:.0f} "
        f"baseline_acks_per_s={base_rate:.0f} "
        f"ratio={recv_rate / base_rate if base_rate else nan:.2f} "
        f"capacity_eps={cap['eps']:.0f} "
        f"event_p95_half_ms={_percentile(half['lags_ms'], 95) if half else nan:.0f} "
        f"busy_ack_p99_ms={_percentile(busy['acks_ms'], 99) if busy else nan:.1f} "
        f"db={db} queue={queue} load_avg={os.getloadavg()[0]:.2f}"
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
        p.add_argument("--shops", type=int, default=1)
        p.add_argument("--base", type=int, default=0)
        p.add_argument("--count", type=int, default=0)
        load_main(p.parse_args())
    else:
        main()
