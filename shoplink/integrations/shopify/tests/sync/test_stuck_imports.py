"""A stuck import can always be restarted (issue 14 item 2), against the real simulator.

The simulator's ``stuck`` bulk fault keeps an operation CREATED until it is cancelled,
as a Shopify operation that never starts does. Stall recovery (D17) must notice it
through the minute sweep job even though the importer keeps re-polling it, and every
path that abandons an operation (recovery, Delete) cancels it, so Shopify's five
slots are free for the next import; a start that meets OPERATION_IN_PROGRESS frees an
orphaned operation instead of waiting forever.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from shoplink.audience.services import create_list
from shoplink.integrations.shopify.connection import lifecycle
from shoplink.integrations.shopify.connection.access import client_for
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore
from shoplink.integrations.shopify.sync import bulk
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    entity_states,
)
from shoplink.queue.jobs import minute_sweep

pytestmark = [pytest.mark.django_db, pytest.mark.simulator]

PROFILE = {"customers": 6, "orders": 8, "products": 3, "collections": 2, "checkouts": 1}


@pytest.fixture
def store(shopify_sim, project, unique_shop, settings):
    settings.SHOPIFY_BULK_POLL_SECONDS = 0.3
    create_shop(shopify_sim, unique_shop, **PROFILE)
    shop = connect_store(shopify_sim, project, unique_shop)
    quiet(shopify_sim, unique_shop)
    shop.customer_list = create_list(project, "Stuck customers")
    shop.save()
    yield shop
    clear(shopify_sim, unique_shop)


def quiet(sim, domain):
    # These tests drive the import themselves: drop the shop's webhooks (the cancelled
    # operations' bulk_operations/finish) rather than let them reach later tests.
    sim.control("POST", f"/shops/{domain}/faults", {"webhooks": {"drop_rate": 1.0}})


def clear(sim, domain):
    sim.control("POST", f"/shops/{domain}/faults", {"reset": True, "webhooks": {"drop_rate": 1.0}})


def stick(sim, store, entity="customers"):
    sim.control(
        "POST", f"/shops/{store.domain}/faults", {"bulk": {"mode": "stuck", "entity": entity}}
    )


def op_status(store, gid: str) -> str:
    return bulk.status_of(client_for(store), gid)["status"]


def wait_status(store, gid: str, wanted: set[str], timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while (status := op_status(store, gid)) not in wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def drive(store, rounds: int = 200) -> dict:
    for _ in range(rounds):
        sync.advance(store.pk)
        states = entity_states(store)
        if not {"pending", "syncing"} & set(states.values()):
            return states
        time.sleep(0.05)
    return entity_states(store)


def test_stall_recovery_fires_through_the_minute_job_even_while_re_polled_and_cancels(
    shopify_sim, store, frozen_clock, django_capture_on_commit_callbacks
):
    frozen_clock.freeze(dt.datetime.now(dt.UTC))
    stick(shopify_sim, store)
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(store, "initial")
    assert entity_states(store)["customers"] == "syncing"
    gid = EntitySync.objects.get(store=store, entity="customers").operations["customers"]["gid"]
    # The importer re-polls every few minutes; re-polling a stuck operation is not progress.
    for _ in range(3):
        frozen_clock.advance(dt.timedelta(minutes=5))
        sync.advance(store.pk)
    frozen_clock.advance(dt.timedelta(minutes=1, seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        minute_sweep.call_local()

    customers = EntitySync.objects.get(store=store, entity="customers")
    assert customers.state == "failed" and customers.failure["message"] == "Sync stalled"
    assert wait_status(store, gid, {"CANCELED"}) == "CANCELED"  # Shopify's slot is free


def test_re_sync_during_a_stuck_run_cancels_it_and_starts_over(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    stick(shopify_sim, store)
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(store, "initial")
    gid = EntitySync.objects.get(store=store, entity="customers").operations["customers"]["gid"]
    clear(shopify_sim, store.domain)
    from shoplink.integrations.shopify import services

    with django_capture_on_commit_callbacks(execute=True):
        toast = services.start_sync(ShopifyStore.objects.get(pk=store.pk))
    assert toast == services.MSG_RESYNC
    assert wait_status(store, gid, {"CANCELED"}) == "CANCELED"
    assert set(drive(store).values()) == {"synced"}


def test_delete_cancels_running_imports_and_a_fresh_connect_is_not_blocked(
    shopify_sim, store, project, django_capture_on_commit_callbacks
):
    stick(shopify_sim, store)
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(store, "initial")
    gid = EntitySync.objects.get(store=store, entity="customers").operations["customers"]["gid"]
    clear(shopify_sim, store.domain)
    counts = lifecycle.delete_store_data(store.pk)
    assert counts["bulk_cancelled"] >= 1

    fresh = connect_store(shopify_sim, project, store.domain)
    assert wait_status(fresh, gid, {"CANCELED"}) == "CANCELED"
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(fresh, "initial")
    assert set(drive(fresh).values()) == {"synced"}


def test_operation_in_progress_frees_orphaned_operations_instead_of_waiting(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    # Five operations nobody tracks (say, a worker killed before it saved their ids)
    # fill Shopify's five slots.
    stick(shopify_sim, store, entity="")
    client = client_for(store)
    orphans = [bulk.start_part(client, "products") for _ in range(5)]
    with pytest.raises(bulk.OperationBusy):
        bulk.start_part(client, "customers")
    clear(shopify_sim, store.domain)

    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(store, "initial")
    assert set(drive(store).values()) == {"synced"}
    assert {wait_status(store, gid, {"CANCELED"}) for gid in orphans} == {"CANCELED"}
