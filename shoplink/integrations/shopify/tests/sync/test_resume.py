"""A real worker killed with SIGKILL mid-import resumes from its checkpoint and ends exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shoplink.audience.models import Contact
from shoplink.commerce.models import Checkout, Order, Product
from shoplink.integrations.shopify.jobs import sync as tasks_sync
from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    exported_ids,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[5]
PROFILE = {"customers": 4000, "orders": 5000, "products": 2600, "collections": 6, "checkouts": 20}
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]


def start_worker(env) -> subprocess.Popen:
    log = Path(env["SHOPLINK_DATA_DIR"]) / "sync-worker.log"
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill_mid(store, entity: str, worker: subprocess.Popen) -> EntitySync:
    """Wait until ``entity`` has committed at least one batch but not all, then SIGKILL."""

    def mid_import():
        es = EntitySync.objects.get(store=store, entity=entity)
        if es.state == "syncing" and es.done >= 1000 and es.total and es.done < es.total:
            return es
        assert es.state not in ("synced", "failed"), f"{entity} finished before the kill"
        assert worker.poll() is None, "the worker exited"
        return None

    try:
        es = wait_for(mid_import, timeout=60, interval=0.01)
    except AssertionError:
        rows = EntitySync.objects.filter(store=store).values("entity", "state", "done", "total")
        raise AssertionError(f"no mid-import point for {entity}: {list(rows)}") from None
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    return EntitySync.objects.get(pk=es.pk)


def test_sigkilled_worker_resumes_from_checkpoint_three_times(
    shopify_sim, project, unique_shop, worker_env, real_queue
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    sync.start_sync(store)

    worker = start_worker(worker_env)
    for entity in ("customers", "orders", "products"):
        killed = kill_mid(store, entity, worker)
        # The rows of every committed batch are there, and nothing past the checkpoint.
        assert killed.done == sum(op["groups_done"] for op in killed.operations.values())
        tasks_sync.advance_sync(store.pk)  # what the minute sweeper re-sends
        worker = start_worker(worker_env)

        def resumed(pk=killed.pk, before=killed.done):
            es = EntitySync.objects.get(pk=pk)
            return es.done > before or es.state == "synced"

        wait_for(resumed, timeout=120)
        after = EntitySync.objects.get(pk=killed.pk)
        # Resumed, not restarted: the same bulk operations, progress kept.
        assert [op["gid"] for op in after.operations.values()] == [
            op["gid"] for op in killed.operations.values()
        ]
        assert after.done >= killed.done
    try:
        wait_for(
            lambda: (
                set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
                == {"synced"}
            ),
            timeout=180,
        )
    finally:
        worker.terminate()
        worker.wait(10)

    domain = store.domain
    contacts = list(Contact.objects.filter(project=project).values_list("external_id", flat=True))
    assert len(contacts) == len(set(contacts))
    assert set(contacts) == exported_ids(shopify_sim, domain, "customers")
    orders = Order.objects.filter(source=store.source)
    assert set(orders.values_list("external_id", flat=True)) == exported_ids(
        shopify_sim, domain, "orders"
    )
    assert orders.count() == PROFILE["orders"]
    assert Product.objects.filter(source=store.source).count() == PROFILE["products"]
    assert Checkout.objects.filter(source=store.source).count() == len(
        exported_ids(shopify_sim, domain, "checkouts")
    )
    for es in EntitySync.objects.filter(store=store):
        assert es.done == es.total
