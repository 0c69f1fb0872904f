"""The guide's sync fixes, followed in the browser (issue 14, items 2 and 4).

- "If still stuck, run a Re-sync from the same drawer. It restarts the bulk import":
  with the simulator's ``stuck`` bulk fault, the drawer offers Re-sync while Customers
  reads Syncing, and pressing it cancels Shopify's stuck operation and starts over.
- "A customer list must be assigned for customer profiles to land somewhere": after the
  list is deleted, the drawer warns next to the picker, a sync asks for a list first,
  and Store details says so.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shoplink.audience.models import ContactList
from shoplink.integrations.shopify.connection.access import client_for
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore
from shoplink.integrations.shopify.sync import bulk
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    close_drawer,
    connect_store,
    menu_item,
    use_live_server,
)
from tests.e2e.test_guide_reconnect import close_drawer_if_open, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.simulator]
LIST_WARNING = "A customer list must be assigned for customer profiles to land somewhere"


@pytest.fixture
def shop(page, login, make_user, project, shopify_sim, unique_shop, settings, live_server):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.01
    settings.SHOPIFY_BULK_POLL_SECONDS = 1
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Stuck Shop",
            "customers": 5,
            "orders": 4,
            "products": 2,
            "collections": 1,
            "checkouts": 1,
        },
    )
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    yield unique_shop
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"reset": True})


def row(drawer, entity: str):
    return drawer.locator(f".sync-row[data-entity='{entity}']")


@pytest.mark.django_db(transaction=True)
def test_re_sync_restarts_a_stuck_import_from_the_drawer(page, shop, shopify_sim, screenshot):
    shopify_sim.control(
        "POST", f"/shops/{shop}/faults", {"bulk": {"mode": "stuck", "entity": "customers"}}
    )
    connect_store(page, shop)
    drawer = page.locator("#drawer-root .drawer")
    drawer.get_by_role("button", name="Start initial sync").click()
    expect(row(drawer, "customers")).to_have_attribute("data-state", "syncing", timeout=20000)
    resync = drawer.get_by_role("button", name="Re-sync")
    expect(resync).to_be_enabled()  # offered while Syncing, not hidden behind "Syncing…"
    screenshot("guide-sync-stuck-resync-offered")
    store = ShopifyStore.objects.get(domain=shop)
    gid = EntitySync.objects.get(store=store, entity="customers").operations["customers"]["gid"]

    shopify_sim.control("POST", f"/shops/{shop}/faults", {"reset": True})
    resync.click()
    expect(page.locator("#toasts")).to_contain_text("Sync rerun started", timeout=30000)
    for entity in ("customers", "orders", "products", "collections"):
        expect(row(drawer, entity)).to_have_attribute("data-state", "synced", timeout=60000)
    assert bulk.status_of(client_for(store), gid)["status"] == "CANCELED"
    screenshot("guide-sync-stuck-resynced")


@pytest.mark.django_db(transaction=True)
def test_a_missing_customer_list_is_visible_and_asked_for(page, shop, screenshot):
    connect_store(page, shop)
    close_drawer_if_open(page)
    store = ShopifyStore.objects.get(domain=shop)
    ContactList.objects.filter(pk=store.customer_list_id).delete()  # deleted on the Lists page
    page.goto(INTEGRATIONS)
    close_drawer_if_open(page)

    menu_item(page, shop, "Sync settings").click()
    drawer = page.locator("#drawer-root .drawer")
    picker = drawer.locator(".list-picker")
    expect(picker.locator(".list-missing")).to_have_text(LIST_WARNING)
    drawer.get_by_role("button", name="Start initial sync").click()
    expect(page.locator("#toasts")).to_contain_text(LIST_WARNING, timeout=15000)
    assert not EntitySync.objects.filter(store=store, run__isnull=False).exists()
    screenshot("guide-list-missing-drawer")
    close_drawer(page)

    menu_item(page, shop, "View details").click()
    details = page.locator("#drawer-root .drawer")
    expect(details.locator('[data-field="customer_list"]')).to_have_text(LIST_WARNING)
    screenshot("guide-list-missing-details")
    close_drawer(page)

    menu_item(page, shop, "Sync settings").click()
    drawer = page.locator("#drawer-root .drawer")
    expect(drawer.locator(".list-missing")).to_be_visible()
    page.wait_for_load_state("networkidle")  # htmx has bound the picker's change trigger
    drawer.get_by_label("Imported customers join this list").select_option(
        label="Create a new list"
    )
    expect(drawer.locator(".list-missing")).to_have_count(0, timeout=20000)
    drawer.get_by_role("button", name="Start initial sync").click()
    expect(page.locator("#toasts")).to_contain_text("Initial sync started", timeout=15000)
    wait_until(lambda: ShopifyStore.objects.get(pk=store.pk).customer_list_id is not None)
