"""Browser: the Data to Shopify dry run as a page and as an htmx drawer (D28)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shoplink.integrations.shopify.tests.writeback_support import (
    connect_store,
    create_customer,
    import_contact,
)
from shoplink.integrations.shopify.writeback.profile import mark_profiles_pending
from tests.e2e.connect_flows import menu_item


@pytest.mark.django_db(transaction=True)
def test_dry_run_shows_pending_writes(
    shopify_sim, project, make_user, unique_shop, page, login, screenshot
):
    make_user("wendy", project, "admin")
    store = connect_store(
        shopify_sim, project, unique_shop, push_profile=True, push_engagement=True
    )
    customer = create_customer(shopify_sim, unique_shop, first_name="", last_name="Okafor")
    contact = import_contact(
        store, customer["id"], first_name="Chidi", last_name="Okafor", phone="+14155550188"
    )
    mark_profiles_pending(store, [contact.pk])

    login("wendy", "pw-wendy")
    page.goto(f"/integrations/shopify/stores/{store.pk}/writeback/")

    expect(page.get_by_role("heading", name="Data to Shopify dry run")).to_be_visible()
    row = page.locator("tr[data-writeback=profile]")
    expect(row).to_contain_text(f"Shopify #{customer['id']}")
    expect(row).to_contain_text("Chidi Okafor")
    expect(page.get_by_text("No engagement changes to write.")).to_be_visible()
    screenshot("writeback-dry-run")

    # the merchant's way in: card menu -> Sync settings -> "Sync data to Shopify" section
    page.goto("/integrations/shopify/")
    menu_item(page, unique_shop, "Sync settings").click()
    section = page.locator("#drawer-root section", has_text="Sync data to Shopify")
    section.get_by_role("button", name="Preview what will be written").click()
    drawer = page.locator("#drawer-root .drawer")
    expect(drawer.get_by_role("heading", name="Data to Shopify dry run")).to_be_visible()
    expect(drawer).to_contain_text("Profile fill-in")
    page.wait_for_timeout(400)  # let the slide-in animation finish before the picture
    screenshot("writeback-dry-run-drawer")
    drawer.get_by_role("button", name="Close").last.click()
    expect(page.locator("#drawer-root .drawer")).to_have_count(0)
