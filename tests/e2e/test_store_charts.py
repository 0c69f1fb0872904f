"""Store details' charts in the browser, at 1366 px and 390 px (issue 17, item 10).

A real sync from the simulator gives the records-per-second charts; changes made in the
simulator give real webhooks for the volume and lag charts. Screenshots:
``test-artifacts/screenshots/charts-<width>.png``.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from shoplink.integrations.shopify.models import EntitySync, ShopifyStore, WebhookDelivery
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    close_drawer,
    connect_store,
    menu_item,
    use_live_server,
)
from tests.e2e.test_layout import OVERFLOW_JS

pytestmark = [pytest.mark.browser, pytest.mark.simulator]


def _wait_until(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_store_details_charts_read_at_both_widths(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Chart Shop",
            "customers": 300,
            "orders": 600,
            "products": 20,
            "collections": 3,
            "checkouts": 3,
        },
    )
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
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
    # Live changes in the shop: customers and orders webhooks.
    for i in range(3):
        shopify_sim.control("POST", f"/shops/{unique_shop}/customers", {"first_name": f"Chart{i}"})
    shopify_sim.control("POST", f"/shops/{unique_shop}/orders", {})
    _wait_until(
        lambda: (
            WebhookDelivery.objects.filter(
                shop_domain=unique_shop, processed_at__isnull=False, topic__startswith="customers/"
            ).count()
            >= 3
        ),
        timeout=60,
    )

    problems = []
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(INTEGRATIONS)
        menu_item(page, unique_shop, "View details").click()
        drawer = page.locator("#drawer-root .drawer")
        expect(drawer.get_by_role("heading", name="Webhooks, last 24 hours")).to_be_visible()
        customers = drawer.locator('[data-chart="volume-customers"]')
        expect(customers).to_contain_text("webhooks in the last 24 hours")
        expect(customers.locator("svg")).to_have_attribute("role", "img")
        expect(customers.locator("svg > title")).to_have_text(
            "Customers webhooks per hour, last 24 hours"
        )
        expect(drawer.locator('[data-chart="lag-customers"]')).to_contain_text(
            "From Shopify to Shoplink:"
        )
        expect(drawer.locator('[data-family="collections"]')).to_contain_text(
            "No webhooks in the last 24 hours."
        )
        expect(drawer.get_by_role("heading", name="Sync speed")).to_be_visible()
        rate = drawer.locator('[data-chart="rate-orders"]')
        expect(rate).to_contain_text(re.compile(r"(\d[\d,]*) records of \1 in "))
        expect(rate).to_contain_text("a second on average")
        box = rate.locator("svg").bounding_box()
        assert box["width"] <= width and box["height"] == 40
        drawer.locator('[data-chart="volume-customers"]').scroll_into_view_if_needed()
        page.wait_for_load_state("networkidle")
        screenshot(f"charts-{width}")
        found = page.evaluate(OVERFLOW_JS, width >= 1000)
        problems += [f"{width}px: {p}" for p in found]
        close_drawer(page)
    assert not problems, "\n".join(problems)
