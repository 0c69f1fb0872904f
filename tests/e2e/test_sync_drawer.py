"""Sync settings drawer in a real browser: defaults, saving on change, list picker rules."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shoplink.audience.services import create_list
from shoplink.integrations.shopify.models import ShopifyStore
from tests.e2e.connect_flows import close_drawer, menu_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INBOUND = [
    "Customer profiles",
    "Email marketing consent",
    "SMS marketing consent",
    "Orders, checkouts, and carts",
    "Product catalogue",
]
OUTBOUND = [
    "Sync profile data to Shopify",
    "Sync email subscription to Shopify",
    "Sync SMS subscription to Shopify",
    "Sync engagement to metafields",
]


def open_sync_drawer(page, domain):
    page.goto("/integrations/shopify/")
    menu_item(page, domain, "Sync settings").click()
    expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    return page.locator("#drawer-root .drawer")


def test_drawer_defaults_and_list_picker_rules(page, login, screenshot, make_user, project):
    make_user("alice", project, "admin")
    taken = create_list(project, "Wholesale customers")
    create_list(project, "Newsletter")
    ShopifyStore.objects.create(
        project=project, domain="other-store.myshopify.com", name="Other", customer_list=taken
    )
    ShopifyStore.objects.create(
        project=project,
        domain="acme-store.myshopify.com",
        name="Acme",
        granted_scopes=["read_customers", "read_orders", "read_products"],
    )
    login("alice", "pw-alice")

    drawer = open_sync_drawer(page, "acme-store.myshopify.com")
    expect(drawer.get_by_role("heading", name="Sync data from Shopify")).to_be_visible()
    expect(drawer.get_by_role("heading", name="Sync data to Shopify")).to_be_visible()
    for label in INBOUND:
        expect(drawer.get_by_label(label, exact=True)).to_be_checked()
    for label in OUTBOUND:
        expect(drawer.get_by_label(label, exact=True)).not_to_be_checked()
    expect(drawer.get_by_role("button", name="Start initial sync")).to_be_visible()
    for entity in ("Customers", "Orders", "Products", "Collections"):
        expect(drawer.locator(f".sync-row[data-entity='{entity.lower()}']")).to_contain_text(
            "Pending"
        )
    screenshot("sync-drawer-defaults")

    picker = drawer.get_by_label("Imported customers join this list")
    expect(picker.locator("option", has_text="Wholesale customers")).to_be_disabled()
    expect(picker.locator("option", has_text="Newsletter")).to_be_enabled()
    expect(picker.locator("option", has_text="Create a new list")).to_have_count(1)
    screenshot("sync-list-picker")

    picker.select_option(label="Create a new list")
    expect(picker.locator("option:checked")).to_have_text("Acme customers")
    expect(page.locator("#toasts")).to_contain_text("Sync settings saved")

    drawer.get_by_label("Customer profiles", exact=True).uncheck()
    expect(drawer.get_by_label("Imported customers join this list")).to_have_count(0)
    expect(drawer.locator(".sync-row[data-entity='customers']")).to_contain_text("Off")
    screenshot("sync-picker-hidden")

    close_drawer(page)
    drawer = open_sync_drawer(page, "acme-store.myshopify.com")  # reopened: saved state
    expect(drawer.get_by_label("Customer profiles", exact=True)).not_to_be_checked()
    drawer.get_by_label("Customer profiles", exact=True).check()
    picker = drawer.get_by_label("Imported customers join this list")
    expect(picker.locator("option:checked")).to_have_text("Acme customers")
    assert re.search("Acme customers", picker.inner_text())
    other = ShopifyStore.objects.get(domain="other-store.myshopify.com")
    assert other.sync_customers and other.customer_list == taken  # untouched
