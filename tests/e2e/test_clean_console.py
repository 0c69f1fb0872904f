"""The whole product walked in the browser leaves a clean console (issue 17, item 7).

Every page and drawer of the product (integrations, connect, sync drawer, store details,
activity, contacts, a contact, events, segments, lists, members, new project, commerce
pages, the Data to Shopify dry run) and the actions a merchant takes (save a sync setting
and close the drawer at once, check health, Disconnect, Reconnect, Delete), plus the
simulator's admin pages. The test fails on any console error (``htmx:oobErrorNoTarget``
included), uncaught page error, failed request (aborted or refused) or 4xx/5xx response,
``/favicon.ico`` included. Screenshots: ``test-artifacts/screenshots/console-<name>.png``.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from shoplink.audience.models import Contact
from shoplink.commerce.models import Checkout, Collection, Order, Product
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    card,
    close_drawer,
    connect_store,
    expect_badge,
    install,
    menu_item,
    open_connect_drawer,
    use_live_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]


class Console:
    """Everything the browser would show a developer in red."""

    def __init__(self, page: Page):
        self.problems: list[str] = []
        self.expected_404: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request) -> None:
        # The Integrations page's event stream (ADR 0056) is open until the page goes, so
        # leaving the page (or the stream's planned end) aborts it: that is the browser
        # closing it, not a failure. Any other failure of it still counts.
        if request.resource_type == "eventsource" and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"failed request {request.method} {request.url}: {request.failure}")

    def _console(self, msg) -> None:
        if msg.location.get("url") in self.expected_404 and msg.text.startswith(
            "Failed to load resource"
        ):
            return  # Chromium's own line for the page that is meant to be missing
        if msg.type in ("error", "assert"):
            self.problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")

    def _response(self, response) -> None:
        if response.status >= 400 and response.url not in self.expected_404:
            self.problems.append(f"{response.status} {response.request.method} {response.url}")


def _wait_until(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)  # late htmx swaps and their console messages


@pytest.mark.django_db(transaction=True)
def test_walking_the_whole_product_leaves_no_console_error_or_failed_request(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Console Shop",
            "customers": 8,
            "orders": 12,
            "products": 3,
            "collections": 2,
            "checkouts": 2,
        },
    )
    console = Console(page)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    page.goto("/favicon.ico")  # what a browser asks for on pages without <link rel=icon>
    connect_store(page, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    page.locator("#drawer-root").get_by_role("button", name="Start initial sync").click()
    _wait_until(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        )
    )
    close_drawer(page)
    contact = Contact.objects.filter(project=project, source=store.source).order_by("id").first()
    order = Order.objects.filter(project=project).order_by("id").first()
    product = Product.objects.filter(project=project).order_by("id").first()
    collection = Collection.objects.filter(project=project).order_by("id").first()
    checkout = Checkout.objects.filter(project=project).order_by("id").first()
    pages = {
        "contacts": "/contacts/",
        "contacts-search": "/contacts/?q=a",
        "contact": f"/contacts/{contact.pk}/",
        "segments": "/contacts/segments/",
        "segments-store": f"/contacts/segments/?source={store.source}",
        "contacts-segment": "/contacts/?segment=champion",
        "lists": "/lists/",
        "list": f"/lists/{store.customer_list_id}/",
        "events": "/events/",
        "members": "/members/",
        "new-project": "/projects/new/",
        "orders": "/commerce/orders/",
        "order": f"/commerce/orders/{order.pk}/",
        "products": "/commerce/products/",
        "product": f"/commerce/products/{product.pk}/",
        "collections": "/commerce/collections/",
        "collection": f"/commerce/collections/{collection.pk}/",
        "checkouts": "/commerce/checkouts/",
        "checkout": f"/commerce/checkouts/{checkout.pk}/",
        "carts": "/commerce/carts/",
        "integrations": INTEGRATIONS,
        "activity": f"/integrations/shopify/stores/{store.pk}/activity/",
        "writeback": f"/integrations/shopify/stores/{store.pk}/writeback/",
        "sim-admin-index": f"{shopify_sim.url}/_admin",
        "sim-admin-shop": f"{shopify_sim.url}/_admin/{unique_shop}",
    }
    for name, url in pages.items():
        page.goto(url)
        _settle(page)
        screenshot(f"console-{name}")

    # A page that is meant to be missing answers 404 on purpose; nothing else may.
    missing = f"{live_server.url}/contacts/999999/"
    console.expected_404.add(missing)
    page.goto(missing)

    # Drawers, opened and closed.
    open_connect_drawer(page)
    _settle(page)
    close_drawer(page)
    for item, heading in [
        ("Sync settings", "Sync settings"),
        ("View details", "Store details"),
        ("Disconnect", "Disconnect Console Shop"),
        ("Delete", "Delete Console Shop?"),
    ]:
        page.goto(INTEGRATIONS)
        menu_item(page, unique_shop, item).click()
        expect(
            page.locator("#drawer-root .drawer").get_by_role("heading", name=heading)
        ).to_be_visible()
        _settle(page)
        screenshot(f"console-drawer-{item.lower().replace(' ', '-')}")
        close_drawer(page)

    # Save a setting and close the drawer straight away: the card's out-of-band update
    # must not look for a drawer that is gone (htmx:oobErrorNoTarget).
    page.goto(INTEGRATIONS)
    menu_item(page, unique_shop, "Sync settings").click()
    drawer = page.locator("#drawer-root")
    drawer.get_by_label("SMS marketing consent", exact=True).uncheck()
    page.keyboard.press("Escape")
    _settle(page)
    page.goto(INTEGRATIONS)
    menu_item(page, unique_shop, "Sync settings").click()
    page.locator("#drawer-root").get_by_label("SMS marketing consent", exact=True).check()
    page.keyboard.press("Escape")
    _settle(page)

    # Store details and its activity, from the drawer.
    page.goto(INTEGRATIONS)
    menu_item(page, unique_shop, "View details").click()
    _settle(page)
    close_drawer(page)

    page.goto(INTEGRATIONS)
    menu_item(page, unique_shop, "Check health").click()
    expect(page.locator("#toasts")).to_contain_text("Health check completed", timeout=15000)
    _settle(page)

    menu_item(page, unique_shop, "Disconnect").click()
    page.locator("#drawer-root").get_by_role("button", name="Disconnect", exact=True).click()
    expect_badge(page, unique_shop, "Disconnected", "grey")
    _settle(page)
    menu_item(page, unique_shop, "Reconnect").click()
    install(page)
    expect_badge(page, unique_shop, "Connected", "green")
    _settle(page)
    screenshot("console-reconnected")

    page.goto(INTEGRATIONS)  # Reconnect may leave Sync settings open (issue 17, item 3)
    menu_item(page, unique_shop, "Delete").click()
    drawer = page.locator("#drawer-root")
    drawer.get_by_label(f"Type {unique_shop} to confirm").fill(unique_shop)
    drawer.get_by_role("button", name="Delete store").click()
    expect(card(page, unique_shop)).to_have_count(0, timeout=60000)
    _settle(page)
    screenshot("console-deleted")

    assert not console.problems, "\n".join(console.problems)
    assert re.search(r"image/", page.request.get("/favicon.ico").headers["content-type"])
