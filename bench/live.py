"""What one open Integrations tab costs the database with live updates (ADR 0056).

Fills one project with ``--stores`` stores (default 10), each with its four entity rows,
``--entries`` Activity lines and ``--deliveries`` webhook deliveries per store (defaults
2,000 and 20,000; almost all processed, a few waiting), then measures in the same run:

* ``tick_ms``: one read of every store's fingerprint (``live.fingerprints``), what an
  open stream does once a second (``LIVE_TICK_SECONDS``); median of ``--rounds``.
* ``card_ms``: one card's refresh as the old page polled it: ``GET`` of the card
  fragment through Django's whole stack (session, auth, project middleware, view,
  template) with the test client; median of the same number of rounds.
  ``render_ms`` (informational): the card's context and template alone.
* ``ratio``: the server time per second of one open tab, live (``tick_ms`` / tick)
  over polling (every card every 15 s: ``stores * card_ms / 15``). Above 1 the live
  page costs more than the polling page it replaced; it reacts in a second instead of
  15, and re-fetches a fragment only when its store changed.
* CPU seconds of each measured loop (steadier than wall clock on a shared machine) and
  the load average.

Run: ``flock /tmp/heavy.lock .venv/bin/python bench/live.py``; with ``DATABASE_URL`` for
PostgreSQL (an empty database it may fill). The last line is
``RESULT tick_ms=<n> card_ms=<n> ratio=<r> stores=<n> loadavg=<n>``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def _median_ms(fn, rounds: int) -> tuple[float, float]:
    times = []
    cpu = time.process_time()
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("SHOPLINK_DATA_DIR", tempfile.mkdtemp(prefix="shoplink-live-"))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client
    from django.urls import reverse

    from shoplink.core import clock
    from shoplink.integrations.shopify.models import (
        ActivityEntry,
        Entity,
        EntitySync,
        ShopifyStore,
        WebhookDelivery,
    )
    from shoplink.integrations.shopify.ui import cards, live
    from shoplink.projects.middleware import SESSION_KEY as PROJECT_SESSION_KEY
    from shoplink.projects.models import Project, Role
    from shoplink.projects.services import add_member, create_project

    call_command("migrate", verbosity=0)
    project = Project.objects.filter(slug="bench-live").first() or create_project(
        "Bench live", slug="bench-live"
    )
    now = clock.now()
    for i in range(args.stores - ShopifyStore.objects.filter(project=project).count()):
        domain = f"bench-live-{project.pk}-{i}.myshopify.com"
        store = ShopifyStore.objects.create(project=project, domain=domain, name=f"Shop {i}")
        EntitySync.objects.bulk_create(
            EntitySync(store=store, entity=e, state="synced", done=1000, total=1000)
            for e in Entity.values
        )
        ActivityEntry.objects.bulk_create(
            (
                ActivityEntry(store=store, at=now, kind="sync", message="Sync finished.")
                for _ in range(args.entries)
            ),
            batch_size=2000,
        )
        WebhookDelivery.objects.bulk_create(
            (
                WebhookDelivery(
                    webhook_id=f"{domain}-{n}",
                    topic="orders/create",
                    shop_domain=domain,
                    received_at=now,
                    state="received" if n % 1000 == 0 else "processed",
                )
                for n in range(args.deliveries)
            ),
            batch_size=2000,
        )
    stores = list(ShopifyStore.objects.filter(project=project))
    print(connection.vendor, len(stores), "stores")

    def tick():
        live.fingerprints(project.pk)

    def render():
        render_to_string("shopify/_store_card.html", cards.card_context(stores[0]))

    user = get_user_model().objects.filter(username="bench-live").first()
    if user is None:
        user = get_user_model().objects.create_user("bench-live", password="x")
        add_member(project, user, Role.ADMIN)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[PROJECT_SESSION_KEY] = project.pk
    session.save()
    card_url = reverse("shopify:store_card", args=[stores[0].pk])

    def card():
        assert client.get(card_url, HTTP_HX_REQUEST="true").status_code == 200

    tick(), card(), render()  # warm caches and connections
    tick_ms, tick_cpu = _median_ms(tick, args.rounds)
    card_ms, card_cpu = _median_ms(card, args.rounds)
    render_ms, _ = _median_ms(render, args.rounds)
    tick_seconds = 1.0  # LIVE_TICK_SECONDS's default
    ratio = (tick_ms / tick_seconds) / (len(stores) * card_ms / 15)
    load = os.getloadavg()[0]
    print(f"fingerprints of {len(stores)} stores: {tick_ms:.2f} ms (CPU {tick_cpu:.2f} s)")
    print(f"one card GET: {card_ms:.2f} ms (CPU {card_cpu:.2f} s), {args.rounds} rounds each")
    print(f"one card's context and template alone: {render_ms:.2f} ms")
    print(
        f"live: {tick_ms / tick_seconds:.2f} ms per second per tab; polling: "
        f"{len(stores) * card_ms / 15:.2f} ms per second per tab"
    )
    print(
        f"RESULT tick_ms={tick_ms:.2f} card_ms={card_ms:.2f} ratio={ratio:.2f} "
        f"stores={len(stores)} loadavg={load:.2f}"
    )


if __name__ == "__main__":
    main()
