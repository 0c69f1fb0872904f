"""After a sync, a merchant checks what came in: Synced row → records, contact → orders.

The walk follows the Synced Orders row's "14 in Shoplink" link from the Sync settings
drawer to ``/commerce/orders/?store=<domain>``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shoplink.hooks.tests.receiver import Receiver
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    with_customer_list,
)
from tests.e2e.connect_flows import menu_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_sync_drawer(page, domain):
    page.goto("/integrations/shopify/")
    menu_item(page, domain, "Sync settings").click()
    expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    return page.locator("#drawer-root .drawer")


@pytest.mark.simulator
def test_from_a_synced_row_to_the_orders_and_from_a_contact_to_its_orders(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop
):
    make_user("vera", project, "viewer")
    make_user("alice", project, "admin")
    create_shop(
        shopify_sim, unique_shop, customers=8, orders=14, products=5, collections=2, checkouts=3
    )
    with_customer_list(connect_store(shopify_sim, project, unique_shop))
    login("alice", "pw-alice")
    drawer = open_sync_drawer(page, unique_shop)
    drawer.get_by_role("button", name="Start initial sync").click()
    orders_row = drawer.locator(".sync-row[data-entity='orders']")
    expect(orders_row).to_have_attribute("data-state", "synced", timeout=60_000)
    screenshot("commerce-synced-row")

    # The Orders row's link (once the run has closed): every order of this store.
    held = orders_row.get_by_role("link", name=re.compile(r"in Shoplink$"))
    expect(held).to_have_text("14 in Shoplink", timeout=60_000)
    held.click()
    expect(page).to_have_url(re.compile(rf"/commerce/orders/\?store={re.escape(unique_shop)}$"))
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.locator(".pager")).to_contain_text("14 in all")
    expect(page.locator("#orders-table tbody tr").first).to_contain_text(unique_shop)
    screenshot("commerce-orders")

    # An order placed by a known customer.
    row = page.locator("#orders-table tbody tr", has=page.locator("td:nth-child(3) a")).first
    row.locator("td:first-child a").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order "))).to_be_visible()
    expect(page.get_by_role("heading", name="Line items")).to_be_visible()
    admin = page.get_by_role("link", name="Open in Shopify admin ↗")
    expect(admin).to_have_attribute(
        "href", re.compile(rf"^https://{re.escape(unique_shop)}/admin/orders/\d+$")
    )
    expect(page.locator(".provenance")).to_contain_text("Last updated from Shopify")
    order_heading = page.get_by_role("heading", name=re.compile(r"^Order ")).inner_text()
    screenshot("commerce-order-detail")

    # From the order's customer to the contact page, which lists their orders.
    page.locator("dt:has-text('Customer') + dd a").click()
    contact_orders = page.locator("section[aria-labelledby='orders-h'] tbody tr a")
    expect(contact_orders.first).to_be_visible()
    number = order_heading.removeprefix("Order ")
    expect(page.locator("section[aria-labelledby='orders-h']")).to_contain_text(number)
    screenshot("commerce-contact-orders")
    page.locator("section[aria-labelledby='orders-h']").get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=order_heading)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Commerce").click()
    for tab, heading in (
        ("Products", "Products"),
        ("Collections", "Collections"),
        ("Checkouts", "Checkouts"),
    ):
        page.get_by_role("navigation", name="Commerce").get_by_role("link", name=tab).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.locator("table tbody tr").first).to_contain_text(unique_shop)
        screenshot(f"commerce-{tab.lower()}")
    page.locator("table tbody tr a").first.click()
    expect(page.locator(".badge").first).to_be_visible()
    screenshot("commerce-checkout-detail")


def test_admin_registers_an_endpoint_and_sends_a_test_event(
    page, login, screenshot, make_user, project
):
    receiver = Receiver()
    receiver.start()
    try:
        make_user("alice", project, "admin")
        login("alice", "pw-alice")
        page.get_by_role("link", name="Event push").click()
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("Platform CRM")
        page.get_by_label("shopify_order_placed").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.locator("#signing-secret")).to_contain_text("whsec_")
        expect(page.locator(".badge").first).to_have_text("Active")
        screenshot("push-endpoint-created")

        page.get_by_role("button", name="Send test event").click()
        expect(page.locator(".flash-stack")).to_contain_text("Test event queued")
        page.reload()
        row = page.locator("table tbody tr").first
        expect(row).to_contain_text("shoplink.test")
        expect(row).to_contain_text("Delivered")
        expect(row).to_contain_text("HTTP 204")
        assert [r["json"]["type"] for r in receiver.accepted] == ["shoplink.test"]
        screenshot("push-endpoint-log")
    finally:
        receiver.stop()
