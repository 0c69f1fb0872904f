"""The Integrations page stays true without a reload (issue 17, items 1-3; ADR 0056).

Cards, the Sync settings drawer and Store details re-fetch themselves on their store's
server-sent event. While the page's stream is open nothing polls, so each "within a
few seconds" below is the push, not the 15-second poll. Disabled buttons say why, a
Data-to-Shopify toggle asks before it costs a Reconnect, and a Reconnect says so.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.tests.sync_support import connect_store, create_shop
from tests.e2e.connect_flows import INTEGRATIONS, card, install, menu_item, wait_for_webhook
from tests.e2e.test_guide_reconnect import synced
from tests.e2e.test_sync_progress import with_list

pytestmark = [pytest.mark.browser, pytest.mark.simulator]
__all__ = ["synced"]  # the fixture, shared with the Reconnect tests
ROOT = Path(__file__).resolve().parents[2]
# The push: the stream reads changes once a second; allow the fragment's own request.
PUSHED = 3_000


def wait_live(page) -> None:
    """The page's event stream is open (polling is off from here on)."""
    page.wait_for_function("window.shoplinkLive && window.shoplinkLive()", timeout=10_000)


def open_sync_settings(page, domain):
    menu_item(page, domain, "Sync settings").click()
    expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    return page.locator("#drawer-root .drawer")


@pytest.mark.django_db(transaction=True)
def test_card_follows_a_sync_its_error_and_the_resync_that_clears_it(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop
):
    make_user("alice", project, "admin")
    create_shop(shopify_sim, unique_shop, customers=30, orders=60, products=8, collections=3)
    with_list(connect_store(shopify_sim, project, unique_shop))
    shopify_sim.control(
        "POST",
        f"/shops/{unique_shop}/faults",
        {"bulk": {"mode": "fail", "entity": "orders", "times": 1}},
    )
    login("alice", "pw-alice")
    page.goto(INTEGRATIONS)
    wait_live(page)
    the_card = card(page, unique_shop)
    expect(the_card.locator(".last-bulk-sync")).to_have_text("Never")
    drawer = open_sync_settings(page, unique_shop)
    drawer.get_by_role("button", name="Start initial sync").click()
    orders = drawer.locator(".sync-row[data-entity='orders']")
    expect(orders).to_have_attribute("data-state", "failed", timeout=60_000)
    expect(drawer.locator(".sync-row[data-entity='collections']")).to_have_attribute(
        "data-state", "synced", timeout=60_000
    )
    # The Failed row says why and what to do, inline (sync/causes.py).
    failure = drawer.locator(".sync-failure[data-entity='orders']")
    expect(failure).to_contain_text("Shopify could not finish exporting orders")
    expect(failure).to_contain_text("Press Retry.")
    # The card under the drawer was drawn before the sync: pushed, not reloaded.
    expect(the_card.locator(".status-badge")).to_have_text("Error", timeout=PUSHED)
    expect(the_card.locator(".last-bulk-sync time")).to_have_count(1, timeout=PUSHED)
    expect(the_card.locator(".card-sync")).to_have_count(0, timeout=PUSHED)
    screenshot("live-card-error-after-sync")

    page.keyboard.press("Escape")
    drawer = open_sync_settings(page, unique_shop)
    # The initial sync did not complete (Orders failed), so the button still starts it.
    drawer.locator("button[id^=sync-start-]").click()
    expect(page.locator("#toasts")).to_contain_text("sync", timeout=20_000)
    expect(drawer.locator(".sync-failure")).to_have_count(0, timeout=60_000)
    expect(the_card.locator(".status-badge")).to_have_text("Connected", timeout=PUSHED)
    expect(the_card.locator(".status-badge")).to_have_class(re.compile("badge-green"))
    screenshot("live-card-connected-after-resync")


@pytest.mark.django_db(transaction=True)
def test_write_toggle_asks_first_then_card_and_resync_say_reconnect_and_reconnect_says_so(
    page, synced, screenshot
):
    shop = synced
    wait_live(page)
    the_card = card(page, shop)
    expect(the_card.locator(".status-badge")).to_have_text("Connected")
    drawer = open_sync_settings(page, shop)
    switch = drawer.get_by_role("switch", name="Sync profile data to Shopify")
    switch.check()
    # Asked before saving: nothing saved, the switch back off, Reconnect offered.
    prompt = drawer.locator(".scope-prompt")
    expect(prompt).to_contain_text(
        "Shopify will ask for permission to update customers (write_customers) when you "
        "reconnect the store."
    )
    expect(switch).not_to_be_checked()
    expect(prompt.get_by_role("button", name="Turn on and reconnect")).to_be_visible()
    assert ShopifyStore.objects.get(domain=shop).push_profile is False
    expect(page.locator("#toasts")).not_to_contain_text("Sync settings saved")
    prompt.scroll_into_view_if_needed()
    screenshot("live-write-toggle-asks-first")
    prompt.get_by_role("button", name="Keep it off").click()
    expect(prompt).to_have_count(0)

    switch.check()
    drawer.locator(".scope-prompt").get_by_role("button", name="Turn on, reconnect later").click()
    expect(page.locator("#toasts")).to_contain_text("Sync settings saved")
    expect(switch).to_be_checked()
    # The card under the drawer turns amber by itself.
    expect(the_card.locator(".status-badge")).to_have_text("Reconnect required", timeout=PUSHED)

    # Re-sync is greyed out, and says why and what to do, on the button and beside it.
    resync = drawer.get_by_role("button", name="Re-sync")
    expect(resync).to_be_disabled(timeout=PUSHED)
    reason = drawer.locator(".sync-blocked")
    expect(reason).to_contain_text("Use Reconnect, here or in the card menu.")
    expect(resync).to_have_attribute("aria-describedby", reason.get_attribute("id"))
    expect(resync).to_have_attribute("title", reason.inner_text())
    page.set_viewport_size({"width": 390, "height": 844})
    expect(reason).to_be_visible()
    box = reason.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    screenshot("live-resync-disabled-reason-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # Reconnect right there: Shopify asks for the new permission; back on the cards.
    drawer.locator(".sync-reconnect").click()
    install(page)
    expect(page.locator(".flash-success")).to_have_text("Shopify store reconnected")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#drawer-root .drawer")).to_have_count(0)
    expect(card(page, shop).locator(".status-badge")).to_have_text("Connected")
    assert "write_customers" in ShopifyStore.objects.get(domain=shop).granted_scopes
    screenshot("live-reconnected-no-drawer")


@pytest.mark.django_db(transaction=True)
def test_a_webhook_arrival_shows_in_open_store_details(page, synced, shopify_sim, screenshot):
    shop = synced
    wait_live(page)
    menu_item(page, shop, "View details").click()
    details = page.locator("#drawer-root .drawer")
    expect(details.get_by_role("heading", name="Store details")).to_be_visible()
    deliveries = details.locator(".webhook-deliveries tr[data-webhook-id]")
    before = deliveries.count()
    shopify_sim.control("POST", f"/shops/{shop}/customers", {"first_name": "Live"})
    # Shopify's side is asynchronous: from the moment our receiver answered 200, the open
    # drawer has a few seconds.
    wait_for_webhook(shopify_sim, shop, "customers/create")
    expect(details.locator(".webhook-deliveries")).to_contain_text(
        "customers/create", timeout=PUSHED
    )
    assert deliveries.count() > before
    expect(details.locator('.webhook-deliveries tr[data-state="processed"]').first).to_be_visible(
        timeout=PUSHED
    )
    details.locator(".activity").scroll_into_view_if_needed()
    screenshot("live-details-webhook-arrived")


@pytest.mark.django_db(transaction=True)
def test_card_shows_a_running_sync_with_its_progress(
    page,
    login,
    screenshot,
    make_user,
    project,
    shopify_sim,
    unique_shop,
    worker_env,
    real_queue,
    settings,
):
    # Progress must be seen mid-part: on PostgreSQL with the reader process a few thousand
    # customers are written within one default tick, so the stream looks four times a
    # second and the parts are big enough to take a few seconds in small batches.
    settings.LIVE_TICK_SECONDS = 0.25
    make_user("alice", project, "admin")
    create_shop(
        shopify_sim, unique_shop, customers=20000, orders=12000, products=50, collections=5
    )
    with_list(connect_store(shopify_sim, project, unique_shop))
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    worker_env["SHOPIFY_SYNC_BATCH_SIZE"] = "200"  # progress moves in small steps
    log = open(Path(worker_env["SHOPLINK_DATA_DIR"]) / "e2e-live-worker.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        login("alice", "pw-alice")
        page.goto(INTEGRATIONS)
        wait_live(page)
        drawer = open_sync_settings(page, unique_shop)
        drawer.get_by_role("button", name="Start initial sync").click()
        expect(page.locator("#toasts")).to_contain_text("Initial sync started", timeout=20_000)
        page.keyboard.press("Escape")
        the_card = card(page, unique_shop)
        line = the_card.locator(".card-sync-line")
        expect(line).to_have_text(
            re.compile(r"Syncing (customers|orders) · [1-9][\d,]* of ~[\d,]+"), timeout=60_000
        )
        bar = the_card.locator(".card-sync [role=progressbar]")
        expect(bar).to_be_visible()
        first = line.inner_text()
        screenshot("live-card-sync-progress")
        # It moves by itself.
        expect(line).not_to_have_text(first, timeout=30_000)
        # When the run ends the line goes and Last bulk sync has its time, no reload.
        expect(the_card.locator(".card-sync")).to_have_count(0, timeout=240_000)
        expect(the_card.locator(".last-bulk-sync time")).to_have_count(1, timeout=PUSHED)
        screenshot("live-card-sync-done")
    finally:
        worker.terminate()
        worker.wait(10)
        log.close()


@pytest.mark.django_db(transaction=True)
def test_card_shows_a_stuck_export(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop, settings
):
    settings.SHOPIFY_BULK_POLL_SECONDS = 0.3  # the start request returns while Shopify is stuck
    make_user("alice", project, "admin")
    create_shop(shopify_sim, unique_shop, customers=20, orders=10, products=3, collections=1)
    with_list(connect_store(shopify_sim, project, unique_shop))
    shopify_sim.control(
        "POST", f"/shops/{unique_shop}/faults", {"bulk": {"mode": "stuck", "entity": "customers"}}
    )
    login("alice", "pw-alice")
    page.goto(INTEGRATIONS)
    wait_live(page)
    drawer = open_sync_settings(page, unique_shop)
    drawer.get_by_role("button", name="Start initial sync").click()
    expect(page.locator("#toasts")).to_contain_text("Initial sync started", timeout=20_000)
    the_card = card(page, unique_shop)
    expect(the_card.locator(".card-sync-line")).to_have_text(
        "Syncing customers · waiting for Shopify's export", timeout=PUSHED
    )
    page.keyboard.press("Escape")
    screenshot("live-card-sync-stuck")


@pytest.mark.django_db(transaction=True)
def test_updates_keep_coming_across_stream_reconnects_without_console_errors(
    page, login, screenshot, make_user, project, settings
):
    settings.LIVE_STREAM_SECONDS = 3  # each stream ends after 2-4 s; the browser reconnects
    make_user("alice", project, "admin")
    store = ShopifyStore.objects.create(project=project, domain="calm-shop.myshopify.com")
    errors: list[str] = []
    opened: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: opened.append(r.url) if "/live/" in r.url else None)
    login("alice", "pw-alice")
    page.goto(INTEGRATIONS)
    wait_live(page)
    page.wait_for_timeout(7_000)
    assert len(opened) >= 2, opened  # it did reconnect
    # A change made by another process (here: a plain UPDATE) still arrives.
    ShopifyStore.objects.filter(pk=store.pk).update(name="Renamed while watching")
    expect(card(page, store.domain).locator(".store-name")).to_have_text(
        "Renamed while watching", timeout=PUSHED
    )
    wait_live(page)  # open again after each reconnect
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []
