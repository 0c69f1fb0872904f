"""Sync status in a real browser: live progress, per-entity states, Retry, Re-sync toast.

The live-progress test runs the import on a real Huey worker process (as in
production), so the browser polls while the worker writes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shoplink.audience.services import create_list
from shoplink.integrations.shopify.tests.sync_support import connect_store, create_shop
from tests.e2e.connect_flows import card, menu_item


def with_list(store):
    """A connect gives the store its "<shop> customers" list (D8); a sync needs one."""
    store.customer_list = create_list(store.project, f"{store.domain} customers")
    store.save(update_fields=["customer_list"])
    return store


pytestmark = [pytest.mark.browser, pytest.mark.simulator, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ENTITIES = ["customers", "orders", "products", "collections"]


def expect_badge(the_card, text: str, colour: str) -> None:
    """The card polls every 15 s; allow one full interval plus the request."""
    badge = the_card.locator(".status-badge")
    expect(badge).to_have_text(text, timeout=20_000)
    expect(badge).to_have_class(re.compile(rf"badge-{colour}"))


def open_sync_drawer(page, domain):
    page.goto("/integrations/shopify/")
    menu_item(page, domain, "Sync settings").click()
    expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    return page.locator("#drawer-root .drawer")


def show_status(page):
    # In the page, in one step: the status is swapped every half second while a sync runs,
    # and a locator's scroll can find the element it resolved already detached.
    page.evaluate(
        "document.querySelector('#drawer-root .sync-status')?.scrollIntoView({block: 'nearest'})"
    )


def row_states(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.sync-row')]
            .map(r => [r.dataset.entity, r.dataset.state]))"""
    )


def test_live_progress_and_states_in_order_then_resync(
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
    # This test watches every state of every row; the page's event stream (ADR 0056)
    # reads changes four times a second here so a fast entity's Syncing is not skipped.
    settings.LIVE_TICK_SECONDS = 0.25
    make_user("alice", project, "admin")
    create_shop(
        shopify_sim,
        unique_shop,
        customers=3000,
        orders=4000,
        products=5000,
        collections=6000,
        checkouts=10,
    )
    with_list(connect_store(shopify_sim, project, unique_shop))
    worker_env["SHOPIFY_BASE_URL"] = shopify_sim.shop_base_url()
    log = open(Path(worker_env["SHOPLINK_DATA_DIR"]) / "e2e-worker.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        login("alice", "pw-alice")
        drawer = open_sync_drawer(page, unique_shop)
        drawer.get_by_role("button", name="Start initial sync").click()
        expect(page.locator("#toasts")).to_contain_text("Initial sync started", timeout=20_000)
        # Pressing it replaces the button with a progress indicator.
        expect(drawer.get_by_role("button", name="Start initial sync")).to_have_count(0)
        expect(drawer.locator(".sync-running")).to_be_visible()

        seen: dict[str, list[str]] = {e: [] for e in ENTITIES}
        order_violations = []
        shot = False
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            states = row_states(page)
            for entity, state in states.items():
                if not seen[entity] or seen[entity][-1] != state:
                    seen[entity].append(state)
            syncing = [e for e in ENTITIES if states.get(e) == "syncing"]
            for e in syncing:  # an entity imports only after every earlier one finished
                earlier = ENTITIES[: ENTITIES.index(e)]
                if any(states.get(x) in ("pending", "syncing") for x in earlier):
                    order_violations.append(dict(states))
            bar = drawer.locator(".sync-row[data-state='syncing'] .sync-count")
            if not shot and bar.count() and "/ " in bar.first.inner_text():
                count = bar.first.inner_text()
                if not count.startswith("0 "):
                    show_status(page)
                    screenshot("sync-live-progress")
                    shot = True
            if set(states.values()) == {"synced"}:
                break
            time.sleep(0.05)
        assert set(row_states(page).values()) == {"synced"}, seen
        assert shot, "never saw a progress bar with done / total"
        assert not order_violations, order_violations[:3]
        for entity in ENTITIES:
            assert seen[entity][-2:] == ["syncing", "synced"], (entity, seen[entity])
            assert seen[entity][0] in ("pending", "syncing"), (entity, seen[entity])
        assert seen["collections"][0] == "pending"  # it waited its turn
        # The run closes after the rows (stats, RFM, health check), then "Syncing…" goes
        # (Re-sync itself is offered throughout, issue 14).
        expect(drawer.locator(".sync-running")).to_have_count(0, timeout=60_000)
        expect(drawer.get_by_role("button", name="Re-sync")).to_be_visible()
        expect(drawer.locator(".sync-row[data-entity='customers'] time")).to_be_visible()
        show_status(page)
        screenshot("sync-all-synced")

        drawer.get_by_role("button", name="Re-sync").click()
        expect(page.locator("#toasts")).to_contain_text("Sync rerun started")
        show_status(page)
        screenshot("sync-rerun-started")
        expect(drawer.locator(".sync-running")).to_be_visible(timeout=20_000)
        expect(drawer.locator(".sync-running")).to_have_count(0, timeout=240_000)
        assert set(row_states(page).values()) == {"synced"}
    finally:
        worker.terminate()
        worker.wait(10)
        log.close()


def test_failed_entity_is_fixed_by_retry(
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
    drawer = open_sync_drawer(page, unique_shop)
    the_card = card(page, unique_shop)
    expect(the_card.locator(".last-bulk-sync")).to_have_text("Never")
    drawer.get_by_role("button", name="Start initial sync").click()

    orders = drawer.locator(".sync-row[data-entity='orders']")
    expect(orders).to_have_attribute("data-state", "failed", timeout=60_000)
    expect(drawer.locator(".sync-row[data-entity='collections']")).to_have_attribute(
        "data-state", "synced", timeout=60_000
    )
    expect(drawer.locator(".sync-failure[data-entity='orders']")).to_contain_text("Press Retry")
    assert row_states(page)["customers"] == "synced"
    show_status(page)
    screenshot("sync-failed-entity")
    # The card under the drawer was rendered Connected before the sync; its 15 s poll
    # must pick up the status the sync set, without a reload.
    expect_badge(the_card, "Error", "red")
    # Customers, products and collections committed, so the run counts as a bulk sync.
    expect(the_card.locator(".last-bulk-sync time")).to_have_count(1)

    orders.get_by_role("button", name="Retry").click()
    expect(orders).to_have_attribute("data-state", "synced", timeout=60_000)
    expect(drawer.locator(".sync-failure")).to_have_count(0)
    assert set(row_states(page).values()) == {"synced"}
    show_status(page)
    screenshot("sync-retry-fixed")
    expect_badge(the_card, "Connected", "green")
