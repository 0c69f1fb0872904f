"""Production shape: Shopify webhooks → worker → events → pushed by the worker.

The simulator sends signed webhooks to the live server, which only queues them; a real
Huey worker process processes them and pushes the events it records to a real local
receiver. The receiver is down while the orders come in (webhook processing goes on
regardless) and comes back: every event arrives once, in order per contact.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shoplink.audience.services import create_list
from shoplink.events.models import Event
from shoplink.hooks import services, signing
from shoplink.hooks.models import Delivery, DeliveryStatus
from shoplink.hooks.tests.receiver import Receiver
from shoplink.integrations.shopify import services as shopify
from shoplink.integrations.shopify.connection import subscriptions
from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.tests.sync_support import connect_store, create_shop, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(worker_env, real_queue, shopify_sim):
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    log = open(Path(worker_env["SHOPLINK_DATA_DIR"]) / "hooks-worker.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--no-periodic"],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    process.wait(10)
    log.close()


def test_worker_pushes_webhook_events_through_a_receiver_outage(
    shopify_sim, live_server, settings, project, unique_shop, worker
):
    settings.APP_URL = live_server.url
    create_shop(shopify_sim, unique_shop, customers=3, orders=2, products=2, collections=1)
    store = connect_store(shopify_sim, project, unique_shop)
    store.customer_list = create_list(project, "Sim customers")
    store.save()
    shopify.start_sync(store)
    wait_for(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        ),
        timeout=90,
    )
    subscriptions.sync_subscriptions(store)

    receiver = Receiver()
    endpoint, secret = services.create_endpoint(project, receiver.url)
    start = endpoint.cursor
    # Down: nothing listens on the endpoint's port.
    base = f"/shops/{unique_shop}"
    buyers = [c["id"] for c in shopify_sim.control("GET", f"{base}/customers?limit=3")["records"]]
    for _ in range(2):
        for buyer in buyers:
            shopify_sim.control("POST", f"{base}/orders", {"customer_id": buyer})

    placed = Event.objects.filter(project=project, name="shopify_order_placed", id__gt=start)
    wait_for(lambda: placed.count() == 6, timeout=90)  # webhooks processed while it is down
    wait_for(
        lambda: Delivery.objects.filter(endpoint=endpoint, attempts__gte=1).exists(), timeout=60
    )
    assert not Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()
    assert "Could not connect" in Delivery.objects.filter(attempts__gte=1).first().error

    receiver.start()  # back: the next retry (10 s after the first failure) goes through
    try:
        recorded = Event.objects.filter(project=project, id__gt=start)
        wait_for(
            lambda: (
                len(receiver.accepted) >= recorded.count()
                and not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
            ),
            timeout=120,
        )
        data = [r["json"]["data"] for r in receiver.accepted]
        assert sorted(d["id"] for d in data) == sorted(recorded.values_list("id", flat=True))
        assert len({r["headers"]["webhook-id"] for r in receiver.accepted}) == len(data)
        for contact in {d["contact"] for d in data}:
            ids = [d["id"] for d in data if d["contact"] == contact]
            assert ids == sorted(ids), contact
        assert sum(1 for d in data if d["name"] == "shopify_order_placed") == 6
        for r in receiver.accepted:
            now = int(r["headers"]["webhook-timestamp"])
            assert signing.verify(secret, r["headers"], r["body"], now)
    finally:
        receiver.stop()
