"""An order placed in the simulator's admin page reaches the contact timeline and Activity."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shoplink.audience.models import Contact
from shoplink.audience.services import create_list
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync_support import connect_store, create_shop, wait_for

PROFILE = {"customers": 3, "orders": 2, "products": 3, "collections": 1, "checkouts": 1}


@pytest.mark.browser
@pytest.mark.simulator
@pytest.mark.django_db(transaction=True)
def test_an_order_placed_in_shopify_shows_on_the_timeline_and_in_activity(
    page, login, screenshot, make_user, project, shopify_sim, live_server, settings, unique_shop
):
    settings.APP_URL = live_server.url  # where the subscriptions point
    make_user("alice", project, "admin")
    create_shop(shopify_sim, unique_shop, name="Webhook Shop", **PROFILE)
    store = connect_store(shopify_sim, project, unique_shop)
    store.customer_list = create_list(project, "Webhook Shop customers")
    store.save()
    sync.start_sync(store, "initial")
    wait_for(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        )
    )
    contact = Contact.objects.filter(project=project, source=store.source).order_by("id").first()

    # The merchant places an order for that customer in Shopify's admin.
    page.goto(f"{shopify_sim.url}/_admin/{unique_shop}")
    order_form = page.locator("form[action$='/orders/create']")
    order_form.locator("input[name=customer_id]").fill(contact.external_id)
    order_form.get_by_role("button", name="Place order").click()
    wait_for(lambda: Event.objects.filter(contact=contact, name="shopify_order_placed").exists())
    lines = Event.objects.filter(contact=contact, name="shopify_ordered_product").count()
    assert lines >= 1

    login("alice", "pw-alice")
    page.goto(f"/contacts/{contact.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline.locator(".event-name", has_text="shopify_order_placed")).to_have_count(1)
    expect(timeline.locator(".event-name", has_text="shopify_ordered_product")).to_have_count(lines)
    screenshot("webhooks-order-timeline")

    page.goto("/integrations/shopify/")
    page.locator("[data-menu-toggle]").first.click()
    page.get_by_role("menuitem", name="View details").click()
    activity = page.locator(".activity")
    expect(activity.locator('tr[data-topic="orders/create"]')).to_be_visible()
    before = activity.locator('tr[data-topic="orders/create"] td').nth(1).inner_text()
    activity.scroll_into_view_if_needed()
    screenshot("webhooks-activity-before")

    # A second order while the drawer is open: Activity updates by itself.
    shopify_sim.control(
        "POST", f"/shops/{unique_shop}/orders", {"customer_id": contact.external_id}
    )
    expect(activity.locator('tr[data-topic="orders/create"] td').nth(1)).not_to_have_text(
        before, timeout=15000
    )
    activity.locator(".webhook-traffic").scroll_into_view_if_needed()
    screenshot("webhooks-activity-after")
