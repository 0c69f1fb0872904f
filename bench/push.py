"""Benchmark the event push: its cost on the path that records events, and delivery rate.

Runs on a fresh SQLite database (a temporary ``SHOPLINK_DATA_DIR``) with the dev settings
and the real (non-immediate) queue, no consumer:

1. ``record_us_*``: microseconds per ``record_events`` batch of 5 events (the call
   webhook processing makes), committed, with no endpoint (``none``), with one active
   endpoint whose fan-out is already queued (``queued``: the common case under load, one
   read), and with the wake-up flag cleared before every batch (``wake``: the worst
   case, one read + one UPDATE + one enqueue per batch). ``overhead_us`` is
   ``record_us_wake - record_us_none``.
2. ``deliveries_per_s``: signed POSTs per second from ``deliver_pending`` to a local
   receiver answering 204 (one endpoint, in order, one at a time: ADR 0030).

The last line is ``RESULT record_us_none=<n> record_us_queued=<n> record_us_wake=<n>
overhead_us=<n> deliveries_per_s=<n>``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--deliveries", type=int, default=2000)
    args = parser.parse_args()

    os.environ["SHOPLINK_DATA_DIR"] = tempfile.mkdtemp(prefix="shoplink-bench-push-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["HUEY_IMMEDIATE"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)

    from shoplink.core import clock
    from shoplink.events.services import EventInput, record_events
    from shoplink.hooks import services
    from shoplink.hooks.models import Endpoint
    from shoplink.hooks.tests.receiver import Receiver
    from shoplink.projects.services import create_project

    project = create_project("Bench")
    counter = iter(range(10**9))

    def batch() -> None:
        now = clock.now()
        with transaction.atomic():
            record_events(
                project,
                [EventInput("shopify_order_placed", f"k{next(counter)}", now) for _ in range(5)],
            )

    def timed(before=None) -> float:
        total = 0.0
        for _ in range(args.batches):
            if before:
                before()
            start = time.perf_counter()
            batch()
            total += time.perf_counter() - start
        return total / args.batches * 1e6

    none = timed()
    receiver = Receiver()
    receiver.start()
    endpoint, _ = services.create_endpoint(project, receiver.url)
    queued = timed()
    wake = timed(lambda: Endpoint.objects.filter(pk=endpoint.pk).update(wake_pending=False))
    print(
        f"record_events batch of 5: none {none:.0f} us, queued {queued:.0f} us, wake {wake:.0f} us"
    )

    # Everything recorded above is settled (no concurrent writer): one fan-out pass.
    services.SETTLE = services.SETTLE * 0
    services.fan_out(endpoint)
    pending = endpoint.deliveries.count()
    n = min(pending, args.deliveries)
    start = time.perf_counter()
    sent = 0
    while sent < n:
        result = services.deliver_pending(endpoint.pk, budget=min(200, n - sent))
        sent = len(receiver.accepted)
        if result not in ("done", "more"):
            raise SystemExit(f"delivery stopped: {result}")
    rate = sent / (time.perf_counter() - start)
    receiver.stop()
    print(f"delivered {sent} of {pending} pending: {rate:.0f}/s")
    print(
        f"RESULT record_us_none={none:.0f} record_us_queued={queued:.0f} "
        f"record_us_wake={wake:.0f} overhead_us={wake - none:.0f} deliveries_per_s={rate:.0f}"
    )


if __name__ == "__main__":
    main()
