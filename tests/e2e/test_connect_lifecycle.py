"""Store lifecycle in the browser: grant loss (uninstall, fewer scopes), health check and
store details under Shopify-side faults, and Disconnect / Reconnect / Delete (D29–D31).

Shopify-side events are caused through the simulator's control API; its webhooks reach
the live server like Shopify's would.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from shoplink.audience.models import Contact, ContactList
from shoplink.commerce.models import Order, Product
from shoplink.core import clock
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    card,
    connect_store,
    expect_badge,
    install,
    menu_item,
    use_live_server,
    wait_for_webhook,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]


@pytest.fixture
def connected(page, login, make_user, project, shopify_sim, unique_shop, settings, live_server):
    """A store connected through the browser; returns its domain."""
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01
    use_live_server(settings, live_server)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    expect_badge(page, unique_shop, "Connected", "green")
    page.goto(INTEGRATIONS)
    return unique_shop


def wait_for_status(domain: str, wanted: str, timeout: float = 15) -> ShopifyStore:
    """Webhooks arrive asynchronously: wait until the store reaches ``wanted``."""
    deadline = time.monotonic() + timeout
    while True:
        store = ShopifyStore.objects.get(domain=domain)
        if store.status == wanted or time.monotonic() > deadline:
            return store
        time.sleep(0.2)


def mark_initial_sync_done(domain: str) -> None:
    ShopifyStore.objects.filter(domain=domain).update(initial_sync_completed_at=clock.now())


def run_health_check(page, domain: str, expected_toast: str) -> None:
    menu_item(page, domain, "Check health").click()
    expect(page.locator("#toasts")).to_contain_text(expected_toast, timeout=15000)


def open_details(page, domain: str):
    menu_item(page, domain, "View details").click()
    drawer = page.locator("#drawer-root .drawer")
    expect(drawer.get_by_role("heading", name="Store details")).to_be_visible()
    return drawer


def readiness(drawer, label: str):
    return drawer.locator(f'.readiness li[data-item="{label}"]')


@pytest.mark.django_db(transaction=True)
def test_uninstall_turns_the_card_amber_and_reconnect_turns_it_green_with_settings_kept(
    page, connected, shopify_sim, screenshot
):
    ShopifyStore.objects.filter(domain=connected).update(sync_products=False)
    list_id = ShopifyStore.objects.get(domain=connected).customer_list_id
    shopify_sim.control("POST", f"/shops/{connected}/uninstall")
    assert wait_for_status(connected, StoreStatus.RECONNECT_REQUIRED).status == "reconnect_required"
    page.reload()
    expect_badge(page, connected, "Reconnect required", "amber")
    expect(card(page, connected).locator(".status-reason")).to_have_text(
        "The app was uninstalled in Shopify"
    )
    screenshot("lifecycle-uninstalled-amber")

    menu_item(page, connected, "Reconnect").click()
    install(page)
    expect(page.locator(".flash-success")).to_have_text("Shopify store reconnected")
    expect_badge(page, connected, "Connected", "green")
    store = ShopifyStore.objects.get(domain=connected)
    assert store.sync_products is False and store.customer_list_id == list_id
    assert ShopifyStore.objects.filter(domain=connected).count() == 1
    screenshot("lifecycle-reconnected-green")


@pytest.mark.django_db(transaction=True)
def test_scope_reduction_turns_the_card_amber(page, connected, shopify_sim, screenshot):
    shopify_sim.control(
        "POST", f"/shops/{connected}/scopes", {"scopes": ["read_customers", "read_orders"]}
    )
    wait_for_status(connected, StoreStatus.RECONNECT_REQUIRED)
    # No reload: the card refreshes itself (every 15 s) when the status changes server-side.
    badge = card(page, connected).locator(".status-badge")
    expect(badge).to_have_text("Reconnect required", timeout=25000)
    expect_badge(page, connected, "Reconnect required", "amber")
    expect(card(page, connected).locator(".status-reason")).to_contain_text("read_products")
    screenshot("lifecycle-scopes-reduced-amber")


@pytest.mark.django_db(transaction=True)
def test_healthy_store_passes_the_health_check(page, connected, screenshot):
    mark_initial_sync_done(connected)
    run_health_check(page, connected, "Health check completed")
    expect_badge(page, connected, "Connected", "green")
    drawer = open_details(page, connected)
    for label in (
        "OAuth connected",
        "Token valid",
        "All scopes granted",
        "API responding",
        "Initial sync complete",
    ):
        expect(readiness(drawer, label)).to_have_attribute("data-ok", "pass")
    expect(drawer.locator(".last-checked time")).to_be_visible()
    expect(drawer.locator(".granted-scopes li")).to_have_count(3)
    screenshot("health-completed-details")


@pytest.mark.django_db(transaction=True)
def test_revoked_token_fails_oauth_connected(page, connected, shopify_sim, screenshot):
    mark_initial_sync_done(connected)
    shopify_sim.control("POST", f"/shops/{connected}/revoke-tokens")
    run_health_check(page, connected, "Health check failed")
    expect_badge(page, connected, "Reconnect required", "amber")
    drawer = open_details(page, connected)
    expect(readiness(drawer, "OAuth connected")).to_have_attribute("data-ok", "fail")
    expect(drawer.locator(".last-failure")).to_contain_text("401")
    screenshot("health-revoked-token")


@pytest.mark.django_db(transaction=True)
def test_frozen_shop_fails_api_responding_with_store_unavailable(
    page, connected, shopify_sim, screenshot
):
    mark_initial_sync_done(connected)
    shopify_sim.control("POST", f"/shops/{connected}/state", {"state": "frozen"})
    run_health_check(page, connected, "Health check failed")
    expect_badge(page, connected, "Error", "red")
    expect(card(page, connected).locator(".status-reason")).to_have_text(
        "Store unavailable in Shopify (payment required / locked)"
    )
    drawer = open_details(page, connected)
    expect(readiness(drawer, "API responding")).to_have_attribute("data-ok", "fail")
    expect(readiness(drawer, "OAuth connected")).to_have_attribute("data-ok", "pass")
    expect(drawer.locator(".last-failure")).to_contain_text("402")
    screenshot("health-frozen-shop")


@pytest.mark.django_db(transaction=True)
def test_failing_api_shows_checking_then_fails_api_responding(
    page, connected, shopify_sim, screenshot
):
    mark_initial_sync_done(connected)
    shopify_sim.control(
        "POST", f"/shops/{connected}/faults", {"error_rate": 1.0, "latency_ms": 700}
    )
    menu_item(page, connected, "Check health").click()
    item = card(page, connected).locator(".check-health")
    expect(card(page, connected).locator(".check-indicator")).to_be_visible()
    expect(item).to_have_text("Checking...")
    screenshot("health-checking")
    expect(page.locator("#toasts")).to_contain_text("Health check failed", timeout=15000)
    expect_badge(page, connected, "Error", "red")
    drawer = open_details(page, connected)
    expect(readiness(drawer, "API responding")).to_have_attribute("data-ok", "fail")
    expect(drawer.locator(".last-failure")).to_contain_text("Wait a few minutes")
    screenshot("health-failing-api")


def seed(store: ShopifyStore) -> None:
    """Imported rows for the store (as a sync would leave them)."""
    contacts = [
        Contact.objects.create(
            project=store.project,
            external_id=str(100 + i),
            source=store.source,
            email=f"c{i}@example.com",
        )
        for i in range(3)
    ]
    from shoplink.audience.services import add_to_list

    add_to_list(store.customer_list, [c.pk for c in contacts])
    for i in range(4):
        Order.objects.create(
            project=store.project,
            source=store.source,
            external_id=str(900 + i),
            contact=contacts[i % 3],
        )
    Product.objects.create(project=store.project, source=store.source, external_id="700")
    Event.objects.create(
        project=store.project,
        name="shopify_order_placed",
        source=store.source,
        contact=contacts[0],
        occurred_at=clock.now(),
        idempotency_key="shopify_order_placed:900",
    )


def counts(store: ShopifyStore) -> dict[str, int]:
    return {
        "contacts": Contact.objects.filter(project=store.project, source=store.source).count(),
        "orders": Order.objects.filter(project=store.project, source=store.source).count(),
        "products": Product.objects.filter(project=store.project, source=store.source).count(),
        "events": Event.objects.filter(project=store.project, source=store.source).count(),
        "list_members": ContactList.objects.filter(pk=store.customer_list_id)
        .values_list("size", flat=True)
        .first()
        or 0,
    }


@pytest.mark.django_db(transaction=True)
def test_disconnect_reconnect_and_delete_behave_as_d29_to_d31(
    page, connected, shopify_sim, screenshot
):
    store = ShopifyStore.objects.get(domain=connected)
    seed(store)
    before = counts(store)
    assert before == {"contacts": 3, "orders": 4, "products": 1, "events": 1, "list_members": 3}

    # D29: the exact prompt; Cancel changes nothing.
    menu_item(page, connected, "Disconnect").click()
    expect(page.locator("#drawer-root .confirm-prompt")).to_have_text(
        "Are you sure you want to disconnect? You can reconnect later."
    )
    screenshot("lifecycle-disconnect-prompt")
    page.locator("#drawer-root").get_by_role("button", name="Cancel").click()
    expect_badge(page, connected, "Connected", "green")
    menu_item(page, connected, "Disconnect").click()
    page.locator("#drawer-root").get_by_role("button", name="Disconnect", exact=True).click()
    expect_badge(page, connected, "Disconnected", "grey")
    assert counts(store) == before
    screenshot("lifecycle-disconnected-grey")

    # D31: the same OAuth flow; everything kept.
    menu_item(page, connected, "Reconnect").click()
    install(page)
    expect_badge(page, connected, "Connected", "green")
    assert counts(store) == before
    page.goto(INTEGRATIONS)

    # D30: typed confirmation, Deleting…, then the card and the store's data are gone.
    menu_item(page, connected, "Delete").click()
    drawer = page.locator("#drawer-root .drawer")
    expect(drawer).to_contain_text("This cannot be undone.")
    expect(drawer).to_contain_text("orders, checkouts and carts")
    drawer.get_by_label(f"Type {connected} to confirm").fill("wrong.myshopify.com")
    drawer.get_by_role("button", name="Delete store").click()
    expect(page.locator("#drawer-root .field-error")).to_have_text(f"Type {connected} to confirm.")
    screenshot("lifecycle-delete-confirm")
    page.locator("#drawer-root").get_by_label(f"Type {connected} to confirm").fill(connected)
    page.locator("#drawer-root").get_by_role("button", name="Delete store").click()
    expect(page.locator("#toasts")).to_contain_text("Deleting the store…")
    expect(card(page, connected)).to_have_count(0, timeout=15000)
    screenshot("lifecycle-deleted")
    assert not ShopifyStore.objects.filter(domain=connected).exists()
    after = counts(store)
    assert after == {"contacts": 0, "orders": 0, "products": 0, "events": 0, "list_members": 0}
    assert not ContactList.objects.filter(pk=store.customer_list_id).exists()
    assert shopify_sim.control("GET", f"/shops/{connected}")["installed"] is False
    wait_for_webhook(shopify_sim, connected, "app/uninstalled")
