"""Connect in the browser: D5 validation, Install app, Cancel, one project per store."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shoplink.integrations.shopify.models import ShopifyStore
from tests.e2e.connect_flows import (
    card,
    close_drawer,
    connect_store,
    expect_badge,
    install,
    menu_item,
    open_connect_drawer,
    submit_domain,
    use_live_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]

VALIDATION = [
    ("", "Store domain is required", "required"),
    ("shop.example.com", "Invalid store domain format", "format"),
    ("abc", "Store name must be at least 4 characters", "too-short"),
    ("a" * 61, "Store name cannot exceed 60 characters", "too-long"),
    ("-mystore", "Store name cannot start or end with a hyphen", "hyphen"),
]


@pytest.mark.django_db(transaction=True)
def test_every_domain_validation_message_shows_in_the_drawer(
    page, login, make_user, project, screenshot, shopify_sim
):
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    open_connect_drawer(page)
    for value, message, name in VALIDATION:
        submit_domain(page, value)
        error = page.locator("#drawer-root .field-error")
        expect(error).to_have_text(message)
        assert "/integrations/shopify/" in page.url  # no redirect to Shopify
        screenshot(f"connect-validation-{name}")
    assert ShopifyStore.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_install_app_gives_a_green_card_message_and_open_sync_settings(
    page, login, make_user, project, screenshot, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop.removesuffix(".myshopify.com"))
    expect(page.locator(".flash-success")).to_have_text("Shopify store connected")
    expect_badge(page, unique_shop, "Connected", "green")
    expect(
        page.locator("#drawer-root").get_by_role("heading", name="Sync settings")
    ).to_be_visible()
    screenshot("connect-installed-sync-settings-open")
    close_drawer(page)
    expect(card(page, unique_shop).locator(".last-bulk-sync")).to_have_text("Never")
    for item in ("Sync settings", "View details", "Check health", "Disconnect", "Delete"):
        expect(menu_item(page, unique_shop, item)).to_be_visible()
        page.keyboard.press("Escape")
    screenshot("connect-installed-card")


@pytest.mark.django_db(transaction=True)
def test_cancel_on_the_install_page_returns_with_an_error_and_no_card(
    page, login, make_user, project, screenshot, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop, decision="Cancel")
    expect(page.locator(".flash-error")).to_contain_text("cancelled or permission was denied")
    expect(page.locator(".flash-success")).to_have_count(0)
    expect(page.locator(".store-card")).to_have_count(0)
    screenshot("connect-cancelled")


@pytest.mark.django_db(transaction=True)
def test_second_project_is_blocked_then_allowed_after_the_first_disconnects(
    browser,
    page,
    login,
    make_user,
    project,
    screenshot,
    shopify_sim,
    unique_shop,
    settings,
    live_server,
):
    from shoplink.projects.services import create_project

    use_live_server(settings, live_server)
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    expect_badge(page, unique_shop, "Connected", "green")

    other = create_project("Second project")
    make_user("bob", other, "admin")
    context = browser.new_context(base_url=live_server.url)
    bob = context.new_page()
    bob.goto("/login/")
    bob.fill("#id_username", "bob")
    bob.fill("#id_password", "pw-bob")
    bob.click("button[type=submit]")
    bob.wait_for_url(lambda url: "/login" not in url)
    open_connect_drawer(bob)
    submit_domain(bob, unique_shop)
    expect(bob.locator("#drawer-root .field-error")).to_have_text(
        "Already connected to another project"
    )
    bob.screenshot(
        path=str(
            screenshot("connect-blocked-first-project").parent
            / "connect-blocked-second-project.png"
        ),
        full_page=True,
    )

    page.goto("/integrations/shopify/")
    menu_item(page, unique_shop, "Disconnect").click()
    page.get_by_role("button", name="Disconnect", exact=True).click()
    expect_badge(page, unique_shop, "Disconnected", "grey")

    connect_store(bob, unique_shop)
    expect(bob.locator(".flash-success")).to_have_text("Shopify store connected")
    expect_badge(bob, unique_shop, "Connected", "green")
    bob.screenshot(
        path=str(
            screenshot("connect-first-disconnected").parent / "connect-allowed-after-disconnect.png"
        ),
        full_page=True,
    )
    context.close()


@pytest.mark.django_db(transaction=True)
def test_staff_without_permission_to_install_apps_comes_back_and_the_drawer_names_the_cause(
    page, login, make_user, project, screenshot, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    shopify_sim.control("POST", f"/shops/{unique_shop}/install-permission", {"allowed": False})
    make_user("alice", project, "admin")
    login("alice", "pw-alice")
    open_connect_drawer(page)
    expect(page.locator("#connect-no-code")).to_be_hidden()
    submit_domain(page, unique_shop)
    page.wait_for_url(re.compile(r"/admin/oauth/authorize"))
    expect(
        page.get_by_role("heading", name="You don't have permission to install apps")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Install app")).to_have_count(0)
    screenshot("connect-staff-without-permission")
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(re.compile(r"/integrations/shopify/"))
    page.goto("/integrations/shopify/")  # however they come back: no code reached us
    expect(page.locator(".store-card")).to_have_count(0)
    open_connect_drawer(page)
    note = page.locator("#connect-no-code")
    expect(note).to_be_visible()
    expect(note).to_contain_text("no admin access to the Shopify store")
    expect(note).to_contain_text("Manage and install apps and channels")
    screenshot("connect-no-code-cause")
    # Once the owner lets them install, the connection completes and the note is gone.
    shopify_sim.control("POST", f"/shops/{unique_shop}/install-permission", {"allowed": True})
    submit_domain(page, unique_shop)
    install(page)
    expect(page.locator(".flash-success")).to_have_text("Shopify store connected")
    page.goto("/integrations/shopify/")
    page.get_by_role("button", name="Connect platform").click()
    page.get_by_role("button", name="Shopify", exact=True).click()
    expect(page.locator("#connect-no-code")).to_be_hidden()
