"""Bulk sync against the real simulator over HTTP: counts, Re-sync, Retry, toggles, faults."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from shoplink.audience.models import Contact, ListMembership
from shoplink.audience.services import create_list
from shoplink.commerce.models import Checkout, Collection, Order, Product
from shoplink.core.errors import ValidationFailed
from shoplink.events.models import Event
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.models import EntitySync, SyncRun
from shoplink.integrations.shopify.sync import ingest, reconcile
from shoplink.integrations.shopify.sync import recovery as sync_recovery
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    entity_states,
    exported_ids,
)

pytestmark = [pytest.mark.django_db, pytest.mark.simulator]

PROFILE = {"customers": 40, "orders": 90, "products": 12, "collections": 4, "checkouts": 6}


@pytest.fixture
def store(shopify_sim, project, unique_shop):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    shop = connect_store(shopify_sim, project, unique_shop)
    shop.customer_list = create_list(project, "Sim customers")
    shop.save()
    return shop


def run_sync(capture, store, kind="initial"):
    with capture(execute=True):
        sync.start_sync(store, kind)
    store.refresh_from_db()


def ids(model, store):
    return set(
        model.objects.filter(project=store.project, source=store.source).values_list(
            "external_id", flat=True
        )
    )


def assert_matches_simulator(sim, store, *, products=True):
    domain = store.domain
    contacts = set(
        Contact.objects.filter(project=store.project, source=store.source).values_list(
            "external_id", flat=True
        )
    )
    assert contacts == exported_ids(sim, domain, "customers")
    assert ids(Order, store) == exported_ids(sim, domain, "orders")
    checkouts = Checkout.objects.filter(project=store.project, source=store.source).count()
    assert checkouts == len(exported_ids(sim, domain, "checkouts"))
    if products:
        assert ids(Product, store) == exported_ids(sim, domain, "products")
        assert ids(Collection, store) == exported_ids(sim, domain, "collections")


def test_initial_sync_imports_exactly_the_shop(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    """After Start initial sync every entity is Synced and our rows equal Shopify's."""
    run_sync(django_capture_on_commit_callbacks, store)

    assert entity_states(store) == {
        "customers": "synced",
        "orders": "synced",
        "products": "synced",
        "collections": "synced",
    }
    assert_matches_simulator(shopify_sim, store)
    assert Checkout.objects.filter(source=store.source).exists()
    assert (
        ListMembership.objects.filter(contact_list=store.customer_list).count()
        == PROFILE["customers"]
    )
    assert store.initial_sync_completed_at is not None
    assert store.last_bulk_sync_at is not None
    assert store.status == "connected"
    assert not Event.objects.filter(project=store.project).exists()  # history emits no events
    orders = EntitySync.objects.get(store=store, entity="orders")
    assert orders.done == orders.total and orders.last_synced_at is not None
    assert SyncRun.objects.get(store=store).outcome == "succeeded"


def test_two_resyncs_keep_exactly_the_shop(shopify_sim, store, django_capture_on_commit_callbacks):
    """Re-sync twice: records are matched by Shopify id, counts stay equal to Shopify's."""
    run_sync(django_capture_on_commit_callbacks, store)
    first_synced = EntitySync.objects.get(store=store, entity="customers").last_synced_at
    run_sync(django_capture_on_commit_callbacks, store, "resync")
    run_sync(django_capture_on_commit_callbacks, store, "resync")

    assert_matches_simulator(shopify_sim, store)
    assert Contact.objects.filter(project=store.project).count() == PROFILE["customers"]
    assert set(entity_states(store).values()) == {"synced"}
    assert EntitySync.objects.get(store=store, entity="customers").last_synced_at >= first_synced
    assert (
        list(SyncRun.objects.filter(store=store).values_list("outcome", flat=True))
        == ["succeeded"] * 3
    )


def test_product_catalogue_off_skips_products_and_collections(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    store.sync_products = False
    store.save()
    run_sync(django_capture_on_commit_callbacks, store)

    states = entity_states(store)
    assert (states["products"], states["collections"]) == ("off", "off")
    assert (states["customers"], states["orders"]) == ("synced", "synced")
    assert not Product.objects.filter(source=store.source).exists()
    assert not Collection.objects.filter(source=store.source).exists()
    assert_matches_simulator(shopify_sim, store, products=False)
    assert store.initial_sync_completed_at is not None  # every *enabled* entity synced


def test_customer_profiles_off_imports_no_customers(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    store.sync_customers = False
    store.save()
    run_sync(django_capture_on_commit_callbacks, store)

    assert entity_states(store)["customers"] == "off"
    assert not Contact.objects.filter(project=store.project).exists()
    assert store.customer_list.memberships.count() == 0
    assert ids(Order, store) == exported_ids(shopify_sim, store.domain, "orders")


def test_failed_entity_is_retried_alone_and_repeatable(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    """A bulk failure fails only Orders (store Error); Retry fixes it; retries never duplicate."""
    shopify_sim.control(
        "POST",
        f"/shops/{store.domain}/faults",
        {"bulk": {"mode": "fail", "entity": "orders", "times": 1}},
    )
    run_sync(django_capture_on_commit_callbacks, store)

    states = entity_states(store)
    assert states == {
        "customers": "synced",
        "orders": "failed",
        "products": "synced",
        "collections": "synced",
    }
    failure = EntitySync.objects.get(store=store, entity="orders").failure
    assert "Press Retry" in failure["action"]
    assert failure["technical"]["shopify_code"] == "INTERNAL_SERVER_ERROR"
    assert store.status == "error"
    assert store.initial_sync_completed_at is None
    customers_synced = EntitySync.objects.get(store=store, entity="customers").last_synced_at

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            sync.retry_entity(store, "orders")
    store.refresh_from_db()

    assert set(entity_states(store).values()) == {"synced"}
    assert EntitySync.objects.get(store=store, entity="customers").last_synced_at == (
        customers_synced
    )
    assert_matches_simulator(shopify_sim, store)
    assert store.status == "connected"
    assert store.initial_sync_completed_at is not None


def test_injected_errors_and_throttling_still_end_exact(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    shopify_sim.control(
        "POST", f"/shops/{store.domain}/faults", {"error_rate": 0.2, "restore_rate": 5}
    )
    try:
        run_sync(django_capture_on_commit_callbacks, store)
    finally:
        shopify_sim.control("POST", f"/shops/{store.domain}/faults", {"reset": True})

    assert set(entity_states(store).values()) == {"synced"}
    assert_matches_simulator(shopify_sim, store)


def test_webhook_newer_row_is_not_overwritten_by_older_bulk_row(
    shopify_sim, store, django_capture_on_commit_callbacks
):
    customer = shopify_sim.control("GET", f"/shops/{store.domain}/customers?limit=1")["records"][0]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    ingest.ingest_customers(
        store,
        [
            mapping.customer_from_webhook(
                {"id": customer["id"], "first_name": "FromWebhook", "updated_at": future}
            )
        ],
    )
    run_sync(django_capture_on_commit_callbacks, store)

    contact = Contact.objects.get(project=store.project, external_id=str(customer["id"]))
    assert contact.first_name == "FromWebhook"
    assert_matches_simulator(shopify_sim, store)


def test_reconciliation_repairs_changes_whose_webhooks_were_dropped(
    shopify_sim, store, django_capture_on_commit_callbacks, admin_client
):
    run_sync(django_capture_on_commit_callbacks, store)
    last_synced = EntitySync.objects.get(store=store, entity="customers").last_synced_at
    shop = f"/shops/{store.domain}"
    shopify_sim.control("POST", shop + "/faults", {"webhooks": {"drop_rate": 1}})
    customer = shopify_sim.control("GET", shop + "/customers?limit=1")["records"][0]
    shopify_sim.control("PATCH", f"{shop}/customers/{customer['id']}", {"firstName": "Repaired"})
    created = shopify_sim.control("POST", shop + "/customers", {"firstName": "Brand new"})
    shopify_sim.control("POST", shop + "/faults", {"reset": True})

    repairs = reconcile.reconcile_store(store)

    assert Contact.objects.get(external_id=str(customer["id"])).first_name == "Repaired"
    assert Contact.objects.get(external_id=str(created["id"])).first_name == "Brand new"
    assert repairs == 2
    store.refresh_from_db()
    assert store.last_reconcile_repairs == 2 and store.last_reconciled_at is not None
    assert EntitySync.objects.get(store=store, entity="customers").last_synced_at == last_synced
    assert_matches_simulator(shopify_sim, store)
    details = admin_client.get(f"/integrations/shopify/stores/{store.pk}/details/")
    text = details.content.decode()
    line = text.split('class="muted last-reconciled">', 1)[1].split("</p>", 1)[0]
    assert "<time datetime=" in line and "2 records repaired" in line
    assert reconcile.reconcile_store(store) == 0  # a second pass finds nothing to repair


def test_stalled_entity_fails_with_sync_stalled(
    shopify_sim, store, settings, frozen_clock, django_capture_on_commit_callbacks
):
    """D17: a Syncing entity without progress for 15 minutes becomes Failed "Sync stalled"."""
    settings.SHOPIFY_BULK_POLL_SECONDS = 0.5
    frozen_clock.freeze(dt.datetime.now(dt.UTC))
    shopify_sim.control(
        "POST", f"/shops/{store.domain}/faults", {"bulk": {"mode": "stuck", "entity": "products"}}
    )
    run_sync(django_capture_on_commit_callbacks, store)
    assert entity_states(store)["products"] == "syncing"
    assert entity_states(store)["collections"] == "pending"  # waits for Products to commit

    frozen_clock.advance(dt.timedelta(minutes=16))
    with django_capture_on_commit_callbacks(execute=True):
        sync_recovery.recover_stalled()

    products = EntitySync.objects.get(store=store, entity="products")
    assert products.state == "failed" and products.failure["message"] == "Sync stalled"
    assert entity_states(store)["collections"] == "synced"
    shopify_sim.control("POST", f"/shops/{store.domain}/faults", {"reset": True})


def test_disconnected_store_does_not_sync(shopify_sim, store):
    store.status, store.disconnected_at = "disconnected", dt.datetime.now(dt.UTC)
    store.save()
    with pytest.raises(ValidationFailed):
        sync.start_sync(store)
    assert not SyncRun.objects.filter(store=store).exists()


def test_bulk_finish_webhook_wakes_the_import(
    shopify_sim, store, settings, django_capture_on_commit_callbacks
):
    """Without in-process polling, ``bulk_operations/finish`` is what moves the sync on."""
    settings.SHOPIFY_BULK_POLL_SECONDS = 0
    run_sync(django_capture_on_commit_callbacks, store)
    for _ in range(100):
        states = set(entity_states(store).values())
        if states == {"synced"}:
            break
        gid = next(
            op["gid"]
            for es in EntitySync.objects.filter(store=store)
            for op in es.operations.values()
        )
        with django_capture_on_commit_callbacks(execute=True):
            sync.on_bulk_finished(store, gid)
        time.sleep(0.05)
    assert set(entity_states(store).values()) == {"synced"}
    assert_matches_simulator(shopify_sim, store)


def drive_by_webhook(capture, store, rounds=100):
    """Deliver ``bulk_operations/finish`` wake-ups until nothing is Pending or Syncing."""
    for _ in range(rounds):
        if not EntitySync.objects.filter(store=store, state__in=("pending", "syncing")).exists():
            return
        with capture(execute=True):
            sync.on_bulk_finished(store, "gid://shopify/BulkOperation/any")
        time.sleep(0.05)


def test_turning_a_category_off_mid_import_stops_it(
    shopify_sim, store, settings, django_capture_on_commit_callbacks
):
    from shoplink.integrations.shopify.sync import toggles as sync_settings

    settings.SHOPIFY_BULK_POLL_SECONDS = 0
    shopify_sim.control(
        "POST", f"/shops/{store.domain}/faults", {"bulk": {"mode": "stuck", "entity": "products"}}
    )
    run_sync(django_capture_on_commit_callbacks, store)
    drive_by_webhook(django_capture_on_commit_callbacks, store, rounds=20)
    assert entity_states(store)["products"] == "syncing"  # still exporting at Shopify

    sync_settings.set_toggle(store, "sync_products", False)
    drive_by_webhook(django_capture_on_commit_callbacks, store)
    shopify_sim.control("POST", f"/shops/{store.domain}/faults", {"reset": True})

    states = entity_states(store)
    assert (states["products"], states["collections"]) == ("off", "off")
    assert (states["customers"], states["orders"]) == ("synced", "synced")
    assert not Product.objects.filter(source=store.source).exists()


def test_resync_while_running_restarts_and_ends_exact(
    shopify_sim, store, settings, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_BULK_POLL_SECONDS = 0
    run_sync(django_capture_on_commit_callbacks, store)
    first = {es.entity: dict(es.operations) for es in EntitySync.objects.filter(store=store)}
    run_sync(django_capture_on_commit_callbacks, store, "resync")
    drive_by_webhook(django_capture_on_commit_callbacks, store)

    assert set(entity_states(store).values()) == {"synced"}
    assert_matches_simulator(shopify_sim, store)
    for es in EntitySync.objects.filter(store=store):
        old = {op["gid"] for op in first[es.entity].values()}
        assert not old & {op["gid"] for op in es.operations.values()}  # new bulk operations
    assert not SyncRun.objects.filter(store=store, finished_at__isnull=True).exists()


def test_resync_of_a_stuck_import_cancels_it_and_finishes(
    shopify_sim, store, settings, django_capture_on_commit_callbacks
):
    """Troubleshooting: a stuck sync is restarted by Re-sync; the stuck export is cancelled."""
    from shoplink.integrations.shopify.connection.access import client_for
    from shoplink.integrations.shopify.sync import bulk as sync_bulk

    settings.SHOPIFY_BULK_POLL_SECONDS = 0
    shopify_sim.control(
        "POST",
        f"/shops/{store.domain}/faults",
        {"bulk": {"mode": "stuck", "entity": "products", "times": 1}},
    )
    run_sync(django_capture_on_commit_callbacks, store)
    drive_by_webhook(django_capture_on_commit_callbacks, store, rounds=20)
    products = EntitySync.objects.get(store=store, entity="products")
    assert products.state == "syncing"
    stuck_gid = products.operations["products"]["gid"]

    run_sync(django_capture_on_commit_callbacks, store, "resync")
    drive_by_webhook(django_capture_on_commit_callbacks, store)

    assert set(entity_states(store).values()) == {"synced"}
    assert_matches_simulator(shopify_sim, store)
    status = sync_bulk.status_of(client_for(store), stuck_gid)["status"]
    assert status in ("CANCELING", "CANCELED")
