"""One store's whole life in the browser with real imported data (D8, D12, D29–D31).

Connect → Start initial sync (the Sync settings drawer that opened by itself) → the
health check passes → Disconnect keeps the data → Reconnect keeps it → Delete removes
exactly this store's data, counted before and after, and uninstalls the app.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from shoplink.audience.models import Contact, ContactList
from shoplink.commerce.models import Order, Product
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    card,
    close_drawer,
    connect_store,
    expect_badge,
    install,
    menu_item,
    use_live_server,
    wait_for_webhook,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]


def wait_until(predicate, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def counts(project, source: str) -> dict[str, int]:
    return {
        "contacts": Contact.objects.filter(project=project, source=source).count(),
        "orders": Order.objects.filter(project=project, source=source).count(),
        "products": Product.objects.filter(project=project, source=source).count(),
    }


@pytest.mark.django_db(transaction=True)
def test_connect_sync_check_disconnect_reconnect_delete_with_real_data(
    page, login, make_user, project, shopify_sim, unique_shop, settings, live_server, screenshot
):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.01
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Cycle Shop",
            "customers": 6,
            "orders": 8,
            "products": 3,
            "collections": 2,
            "checkouts": 2,
        },
    )
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    expect(page.locator(".flash-success")).to_have_text("Shopify store connected")
    store = ShopifyStore.objects.get(domain=unique_shop)
    assert counts(project, store.source) == {"contacts": 0, "orders": 0, "products": 0}  # D8

    page.locator("#drawer-root").get_by_role("button", name="Start initial sync").click()
    wait_until(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        )
    )
    imported = counts(project, store.source)
    assert imported == {"contacts": 6, "orders": 8, "products": 3}
    close_drawer(page)
    page.goto(INTEGRATIONS)

    menu_item(page, unique_shop, "Check health").click()
    expect(page.locator("#toasts")).to_contain_text("Health check completed", timeout=15000)
    expect_badge(page, unique_shop, "Connected", "green")
    expect(card(page, unique_shop).locator(".last-bulk-sync time")).to_be_visible()
    screenshot("cycle-synced-healthy")

    menu_item(page, unique_shop, "Disconnect").click()
    page.locator("#drawer-root").get_by_role("button", name="Disconnect", exact=True).click()
    expect_badge(page, unique_shop, "Disconnected", "grey")
    assert counts(project, store.source) == imported
    assert shopify_sim.control("GET", f"/shops/{unique_shop}")["subscriptions"] == []

    menu_item(page, unique_shop, "Reconnect").click()
    install(page)
    expect_badge(page, unique_shop, "Connected", "green")
    assert counts(project, store.source) == imported
    assert ShopifyStore.objects.get(pk=store.pk).customer_list_id == store.customer_list_id
    page.goto(INTEGRATIONS)

    menu_item(page, unique_shop, "Delete").click()
    drawer = page.locator("#drawer-root")
    drawer.get_by_label(f"Type {unique_shop} to confirm").fill(unique_shop)
    drawer.get_by_role("button", name="Delete store").click()
    expect(card(page, unique_shop)).to_have_count(0, timeout=60000)
    screenshot("cycle-deleted")
    assert counts(project, store.source) == {"contacts": 0, "orders": 0, "products": 0}
    assert not ContactList.objects.filter(pk=store.customer_list_id).exists()
    assert shopify_sim.control("GET", f"/shops/{unique_shop}")["installed"] is False
    wait_for_webhook(shopify_sim, unique_shop, "app/uninstalled")
