"""Browser steps shared by the connect tests: the drawer, Shopify's install page, store cards.

Every step goes through the UI a merchant sees; the simulator plays Shopify's install page.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

INTEGRATIONS = "/integrations/shopify/"


def use_live_server(settings, live_server) -> None:
    """OAuth must come back to the live server the browser is talking to."""
    settings.APP_URL = live_server.url


def open_connect_drawer(page: Page) -> None:
    page.goto(INTEGRATIONS)
    page.get_by_role("button", name="Connect platform").click()
    page.get_by_role("button", name="Shopify", exact=True).click()
    expect(page.get_by_role("heading", name="Connect Shopify store")).to_be_visible()


def submit_domain(page: Page, value: str) -> None:
    page.get_by_label("Store domain").fill(value)
    page.get_by_role("button", name="Connect", exact=True).click()


def install(page: Page, decision: str = "Install app") -> None:
    """On the simulator's authorize page, press Install app (or Cancel)."""
    page.wait_for_url(re.compile(r"/admin/oauth/authorize"))
    page.get_by_role("button", name=decision).click()
    page.wait_for_url(re.compile(r"/integrations/shopify/"))


def connect_store(page: Page, domain: str, decision: str = "Install app") -> None:
    open_connect_drawer(page)
    submit_domain(page, domain)
    install(page, decision)


def card(page: Page, domain: str):
    return page.locator(".store-card", has=page.locator(".store-domain", has_text=domain))


def menu_item(page: Page, domain: str, name: str):
    """Open the card's menu and return its item ``name``."""
    the_card = card(page, domain)
    the_card.get_by_role("button", name="Store actions").click()
    return the_card.get_by_role("menuitem", name=name)


def expect_badge(page: Page, domain: str, text: str, colour: str) -> None:
    badge = card(page, domain).locator(".status-badge")
    expect(badge).to_have_text(text, timeout=15000)
    expect(badge).to_have_class(re.compile(rf"badge-{colour}"))


def close_drawer(page: Page) -> None:
    page.keyboard.press("Escape")
    expect(page.locator("#drawer-root .drawer")).to_have_count(0)


def wait_for_webhook(sim, shop: str, topic: str, timeout: float = 20) -> None:
    """Wait until the simulator delivered ``topic`` for ``shop`` (answered 200).

    Lets a test end only after Shopify's asynchronous webhook has landed, so a late
    delivery never writes into the next test's database.
    """
    deadline = time.monotonic() + timeout
    while True:
        log = sim.control("GET", f"/shops/{shop}/webhook-log")
        entries = log if isinstance(log, list) else log.get("deliveries", log.get("log", []))
        if any(e.get("topic") == topic and e.get("status") == 200 for e in entries):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{topic} was not delivered for {shop}")
        time.sleep(0.2)
