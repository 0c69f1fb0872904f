"""The guide's Reconnect fixes, followed in the browser (issue 14, items 1, 3, 5, 6).

- "Webhooks aren't firing → Reconnect": after Disconnect, orders placed and customers
  created in Shopify during the gap arrive with the catch-up (their events flagged
  ``catch_up``, Shopify's time kept), and a new order arrives by webhook within seconds.
- "Try Reconnect to refresh OAuth credentials": the six menu items on every card.
- A Reconnect that Shopify grants fewer scopes than needed is a warning, not a success.
- Health check fixes: a refused token says Reconnect, and Reconnect fixes it.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from shoplink.commerce.models import Order
from shoplink.core import clock
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore, StoreStatus
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    card,
    close_drawer,
    connect_store,
    expect_badge,
    menu_item,
    use_live_server,
    wait_for_webhook,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]
SIX = ["Sync settings", "View details", "Check health", "Reconnect", "Disconnect", "Delete"]


def wait_until(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.fixture
def synced(page, login, make_user, project, shopify_sim, unique_shop, settings, live_server):
    """A store with data, connected and fully synced through the browser."""
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.01
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.05
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Guide Shop",
            "customers": 4,
            "orders": 4,
            "products": 2,
            "collections": 1,
            "checkouts": 1,
        },
    )
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    page.locator("#drawer-root").get_by_role("button", name="Start initial sync").click()
    wait_until(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        ),
        120,
    )
    close_drawer(page)
    page.goto(INTEGRATIONS)
    return unique_shop


def reconnect(page, domain: str, untick: tuple[str, ...] = ()) -> None:
    menu_item(page, domain, "Reconnect").click()
    page.wait_for_url("**/admin/oauth/authorize**")
    for scope in untick:
        page.locator(f'input[name="approve"][value="{scope}"]').uncheck()
    page.get_by_role("button", name="Install app").click()
    page.wait_for_url("**/integrations/shopify/**")


def open_details(page, domain: str):
    menu_item(page, domain, "View details").click()
    drawer = page.locator("#drawer-root .drawer")
    expect(drawer.get_by_role("heading", name="Store details")).to_be_visible()
    return drawer


@pytest.mark.django_db(transaction=True)
def test_reconnect_restores_live_updates_and_catches_up_the_gap(
    page, synced, project, shopify_sim, screenshot
):
    shop = synced
    store = ShopifyStore.objects.get(domain=shop)
    menu_item(page, shop, "Disconnect").click()
    page.locator("#drawer-root").get_by_role("button", name="Disconnect", exact=True).click()
    expect_badge(page, shop, "Disconnected", "grey")
    assert shopify_sim.control("GET", f"/shops/{shop}")["subscriptions"] == []

    # The gap: a new customer and two orders in Shopify while nothing is subscribed.
    customer = shopify_sim.control("POST", f"/shops/{shop}/customers", {"first_name": "Gap"})
    gap_orders = [
        shopify_sim.control("POST", f"/shops/{shop}/orders", {"customer_id": customer["id"]})
        for _ in range(2)
    ]
    gap_ids = {str(o["id"]) for o in gap_orders}
    time.sleep(1)
    assert not Order.objects.filter(source=store.source, external_id__in=gap_ids).exists()

    reconnect(page, shop)
    expect(page.locator(".flash-success")).to_have_text("Shopify store reconnected")
    # The subscriptions exist before the merchant reads the banner.
    topics = {s["topic"] for s in shopify_sim.control("GET", f"/shops/{shop}")["subscriptions"]}
    assert {"ORDERS_CREATE", "CUSTOMERS_CREATE", "APP_UNINSTALLED"} <= topics
    expect_badge(page, shop, "Connected", "green")
    close_drawer_if_open(page)

    # The catch-up brought the gap's data and its events, flagged and with Shopify's time.
    wait_until(
        lambda: Order.objects.filter(source=store.source, external_id__in=gap_ids).count() == 2
    )
    placed = Event.objects.filter(
        project=project,
        name="shopify_order_placed",
        idempotency_key__in=[f"shopify_order_placed:{i}" for i in gap_ids],
    )
    assert placed.count() == 2
    assert all(e.catch_up for e in placed)
    assert all(e.occurred_at < e.recorded_at for e in placed)
    created = Event.objects.get(
        project=project, idempotency_key=f"shopify_customer_created:{customer['id']}"
    )
    assert created.catch_up is True

    drawer = open_details(page, shop)
    expect(drawer.locator(".webhook-check")).to_contain_text("present")
    expect(drawer.locator(".last-failure")).to_have_count(0)
    screenshot("guide-reconnect-details-after-gap")
    close_drawer(page)

    # Live again: a new order arrives by webhook within seconds, not flagged.
    started = time.monotonic()
    live = shopify_sim.control("POST", f"/shops/{shop}/orders", {"customer_id": customer["id"]})
    wait_until(
        lambda: Event.objects.filter(
            project=project, idempotency_key=f"shopify_order_placed:{live['id']}"
        ).exists(),
        15,
    )
    assert time.monotonic() - started < 15
    event = Event.objects.get(project=project, idempotency_key=f"shopify_order_placed:{live['id']}")
    assert event.catch_up is False
    wait_for_webhook(shopify_sim, shop, "orders/create")
    page.goto(INTEGRATIONS)
    screenshot("guide-reconnect-live-again")


@pytest.mark.django_db(transaction=True)
def test_every_card_shows_the_six_menu_items_and_says_why_one_is_disabled(
    page, login, make_user, project, shopify_sim, unique_shop, settings, live_server, screenshot
):
    use_live_server(settings, live_server)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    close_drawer_if_open(page)
    the_card = card(page, unique_shop)
    the_card.get_by_role("button", name="Store actions").click()
    items = the_card.get_by_role("menuitem")
    expect(items).to_have_text(SIX)
    # Connected: Reconnect is there and acts (the guide's "Still stuck → Reconnect").
    expect(the_card.get_by_role("menuitem", name="Reconnect")).not_to_have_attribute(
        "aria-disabled", "true"
    )
    screenshot("guide-menu-connected")

    ShopifyStore.objects.filter(domain=unique_shop).update(
        status=StoreStatus.DISCONNECTED, disconnected_at=clock.now()
    )
    page.goto(INTEGRATIONS)
    close_drawer_if_open(page)
    the_card = card(page, unique_shop)
    the_card.get_by_role("button", name="Store actions").click()
    expect(the_card.get_by_role("menuitem")).to_have_text(SIX)
    health = the_card.get_by_role("menuitem", name="Check health")
    expect(health).to_have_attribute("aria-disabled", "true")
    expect(health).to_have_attribute(
        "title", "The store is Disconnected: Reconnect it first, then check its health."
    )
    expect(the_card.get_by_role("menuitem", name="Disconnect")).to_have_attribute(
        "title", "The store is already Disconnected."
    )
    health.hover()
    screenshot("guide-menu-disconnected")
    health.click(force=True)  # pressing a disabled item does nothing
    page.wait_for_timeout(500)
    expect(page.locator("#toasts")).not_to_contain_text("Health check")
    expect_badge(page, unique_shop, "Disconnected", "grey")


@pytest.mark.django_db(transaction=True)
def test_a_reconnect_granting_fewer_scopes_is_not_a_success(page, synced, shopify_sim, screenshot):
    shop = synced
    shopify_sim.control(
        "POST", f"/shops/{shop}/scopes", {"scopes": ["read_customers", "read_products"]}
    )
    wait_until(
        lambda: ShopifyStore.objects.get(domain=shop).status == StoreStatus.RECONNECT_REQUIRED
    )
    page.goto(INTEGRATIONS)

    # The merchant leaves read_orders unticked on Shopify's page.
    reconnect(page, shop, untick=("read_orders",))
    expect(page.locator(".flash-success")).to_have_count(0)
    expect(page.locator(".flash-warning")).to_contain_text("missing: read_orders")
    expect_badge(page, shop, "Reconnect required", "amber")
    expect(card(page, shop).locator(".status-reason")).to_contain_text("read_orders")
    screenshot("guide-reconnect-short-grant")

    # Approving the full set fixes it, and Store details is fresh.
    close_drawer_if_open(page)
    reconnect(page, shop)
    expect(page.locator(".flash-success")).to_have_text("Shopify store reconnected")
    expect_badge(page, shop, "Connected", "green")
    close_drawer_if_open(page)
    drawer = open_details(page, shop)
    for label in (
        "OAuth connected",
        "Token valid",
        "All scopes granted",
        "API responding",
        "Initial sync complete",
    ):
        expect(drawer.locator(f'.readiness li[data-item="{label}"]')).to_have_attribute(
            "data-ok", "pass"
        )
    expect(drawer.locator(".last-failure")).to_have_count(0)
    expect(drawer.locator(".webhook-check")).to_contain_text("present")
    expect(drawer.locator(".granted-scopes")).to_contain_text("read_orders")
    screenshot("guide-reconnect-full-grant-details")


def close_drawer_if_open(page) -> None:
    # The Sync settings drawer opens by itself after a connect (and while no sync ran).
    page.wait_for_load_state("networkidle")
    if page.locator("#drawer-root .drawer").count():
        close_drawer(page)


@pytest.mark.django_db(transaction=True)
def test_a_refused_token_fails_the_health_check_with_reconnect_and_reconnect_fixes_it(
    page, synced, shopify_sim, screenshot
):
    shop = synced
    shopify_sim.control("POST", f"/shops/{shop}/revoke-tokens")
    # The access token is also past its expiry, so the refresh is tried and refused.
    ShopifyStore.objects.filter(domain=shop).update(
        access_token_expires_at=clock.now() - dt.timedelta(minutes=5)
    )
    menu_item(page, shop, "Check health").click()
    expect(page.locator("#toasts")).to_contain_text("Health check failed", timeout=15000)
    drawer = open_details(page, shop)
    token = drawer.locator('.readiness li[data-item="Token valid"]')
    expect(token).to_have_attribute("data-ok", "fail")
    expect(token.locator(".readiness-fix")).to_contain_text("Reconnect to refresh credentials.")
    api = drawer.locator('.readiness li[data-item="API responding"]')
    expect(api).to_have_attribute("data-ok", "fail")
    expect(api.locator(".readiness-fix")).to_contain_text("Reconnect the store from its card.")
    screenshot("guide-health-token-refused")
    close_drawer(page)

    reconnect(page, shop)
    expect(page.locator(".flash-success")).to_have_text("Shopify store reconnected")
    close_drawer_if_open(page)
    menu_item(page, shop, "Check health").click()
    expect(page.locator("#toasts")).to_contain_text("Health check completed", timeout=15000)
    expect_badge(page, shop, "Connected", "green")
    screenshot("guide-health-after-reconnect")
