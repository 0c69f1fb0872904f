"""The overlapped import (ADR 0053): a SIGKILL of the reader or of the worker loses nothing.

A real ``run_huey`` worker imports from the simulator over HTTP; its forked reader
process (``sync/reader.py``) is found by name under the worker and killed mid-part.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.integrations.shopify.jobs import sync as tasks_sync
from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.sync import reader
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync.test_resume import start_worker
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    exported_ids,
    wait_for,
)

PROFILE = {"customers": 6000, "orders": 8000, "products": 30, "collections": 3, "checkouts": 5}
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]


def readers_of(pid: int) -> list[int]:
    """The live reader processes whose parent is ``pid`` (by /proc, as ``ps`` would)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_bytes().strip()
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if comm == reader.PROCESS_NAME and int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def mid_part(store, entity: str, worker) -> tuple[EntitySync, int]:
    """Wait until ``entity`` has committed a batch, not all, and a reader is running."""

    def ready():
        es = EntitySync.objects.get(store=store, entity=entity)
        assert es.state not in ("synced", "failed"), f"{entity} finished before the kill"
        assert worker.poll() is None, "the worker exited"
        if es.state == "syncing" and es.done >= 1000 and es.total and es.done < es.total:
            pids = readers_of(worker.pid)
            if pids:
                return es, pids[0]
        return None

    return wait_for(ready, timeout=90, interval=0.01)


def second_reader(store, entity: str, worker) -> tuple[EntitySync, int]:
    """Wait until ``entity`` is mid-part and the first reader has forked the second."""

    def ready():
        es, first = mid_part(store, entity, worker)
        seconds = readers_of(first)
        return (es, seconds[0]) if seconds else None

    return wait_for(ready, timeout=90, interval=0.01)


def synced(store):
    states = set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
    return states == {"synced"}


def assert_exact(sim, store, project):
    domain = store.domain
    contacts = list(Contact.objects.filter(project=project).values_list("external_id", flat=True))
    assert len(contacts) == len(set(contacts)) == PROFILE["customers"]
    assert set(contacts) == exported_ids(sim, domain, "customers")
    orders = list(Order.objects.filter(source=store.source).values_list("external_id", flat=True))
    assert len(orders) == len(set(orders)) == PROFILE["orders"]
    assert set(orders) == exported_ids(sim, domain, "orders")
    for es in EntitySync.objects.filter(store=store):
        # The checkpoint counts committed groups: a batch written twice (a reader restarted
        # from the wrong group) would count twice, past Shopify's rootObjectCount.
        for part, op in es.operations.items():
            assert op["groups_done"] == op["total"], (es.entity, part)
        assert es.done == sum(op["groups_done"] for op in es.operations.values())


def test_reader_killed_mid_part_restarts_from_checkpoint_and_ends_exact(
    shopify_sim, project, unique_shop, worker_env, real_queue
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    worker_env["SHOPIFY_SYNC_READER_PROCESS"] = "true"  # off by default on SQLite
    sync.start_sync(store)
    worker = start_worker(worker_env)
    try:
        killed_readers = []
        for entity in ("customers", "orders"):
            es, pid = mid_part(store, entity, worker)
            os.kill(pid, signal.SIGKILL)
            killed_readers.append(pid)
            # The worker itself goes on: it starts a new reader from its checkpoint.
            wait_for(
                lambda pk=es.pk, before=es.done: (
                    EntitySync.objects.get(pk=pk).done > before
                    or EntitySync.objects.get(pk=pk).state == "synced"
                ),
                timeout=90,
            )
            assert worker.poll() is None
        wait_for(lambda: synced(store), timeout=180)
    finally:
        worker.terminate()
        worker.wait(10)
    log = (Path(worker_env["SHOPLINK_DATA_DIR"]) / "sync-worker.log").read_text()
    assert log.count("starting a new one from group") >= 2
    assert_exact(shopify_sim, store, project)


def test_worker_killed_takes_its_reader_along_and_the_next_worker_resumes_exact(
    shopify_sim, project, unique_shop, worker_env, real_queue
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    worker_env["SHOPIFY_SYNC_READER_PROCESS"] = "true"  # off by default on SQLite
    sync.start_sync(store)
    worker = start_worker(worker_env)
    try:
        es, reader_pid = mid_part(store, "orders", worker)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        # The kernel kills the orphaned reader (PR_SET_PDEATHSIG): nothing keeps reading
        # (or holding a download and its memory) for a worker that no longer exists.
        wait_for(lambda: not Path(f"/proc/{reader_pid}").exists() or _zombie(reader_pid), 10)
        killed = EntitySync.objects.get(pk=es.pk)
        assert killed.done == sum(op["groups_done"] for op in killed.operations.values())
        tasks_sync.advance_sync(store.pk)  # what the minute sweeper re-sends
        worker = start_worker(worker_env)
        wait_for(lambda: synced(store), timeout=180)
        after = EntitySync.objects.get(pk=es.pk)
        assert [op["gid"] for op in after.operations.values()] == [
            op["gid"] for op in killed.operations.values()
        ]  # resumed from the checkpoint, not restarted
    finally:
        worker.terminate()
        worker.wait(10)
    assert_exact(shopify_sim, store, project)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True  # gone between the two looks


def test_second_reader_killed_mid_part_restarts_from_checkpoint_and_ends_exact(
    shopify_sim, project, unique_shop, worker_env, real_queue
):
    """The second reader (ADR 0090) is the first one's child: its death is seen by the
    worker on its own pipe, and the part goes on from the checkpoint, exact."""
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    worker_env["SHOPIFY_SYNC_READER_PROCESS"] = "true"
    worker_env["SHOPIFY_SYNC_READERS"] = "2"
    sync.start_sync(store)
    worker = start_worker(worker_env)
    try:
        _, pid = second_reader(store, "orders", worker)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: synced(store), timeout=180)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(10)
    log = (Path(worker_env["SHOPLINK_DATA_DIR"]) / "sync-worker.log").read_text()
    assert "starting a new one from group" in log
    assert_exact(shopify_sim, store, project)


def test_two_readers_take_turns_in_file_order(
    shopify_sim, project, unique_shop, worker_env, real_queue
):
    """With two readers every batch is written once and in file order (the order the rows
    were inserted in is Shopify's), so the checkpoint never passes a group that is not
    written; a batch size that divides nothing gives each reader many uneven turns."""
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    worker_env["SHOPIFY_SYNC_READER_PROCESS"] = "true"
    worker_env["SHOPIFY_SYNC_READERS"] = "2"
    worker_env["SHOPIFY_SYNC_BATCH_SIZE"] = "700"  # no multiple of the part sizes
    sync.start_sync(store)
    worker = start_worker(worker_env)
    try:
        _, first = mid_part(store, "orders", worker)
        assert wait_for(lambda: readers_of(first), timeout=30, interval=0.01)
        wait_for(lambda: synced(store), timeout=180)
    finally:
        worker.terminate()
        worker.wait(10)
    assert_exact(shopify_sim, store, project)
    exported = [
        str(r["id"]) for r in shopify_sim.control("GET", f"/shops/{unique_shop}/export/orders")
    ]
    written = list(
        Order.objects.filter(source=store.source)
        .order_by("pk")
        .values_list("external_id", flat=True)
    )

    # Batch by batch in file order, each once; inside a batch the ids are the database's
    # (on PostgreSQL one INSERT ... SELECT from the staging table hands them out in its
    # own row order).
    def batches(ids: list[str]) -> list[set[str]]:
        return [set(ids[start : start + 700]) for start in range(0, len(ids), 700)]

    assert len(written) == len(exported)
    assert batches(written) == batches(exported)
