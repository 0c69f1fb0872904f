"""The guide's "Webhooks aren't firing" path, rehearsed in the browser (issue 14, item 7).

"The webhook delivery logs in Shopify (Settings → Notifications → Webhooks). Failed
deliveries show retry status there": the simulator's admin page lists, per
subscription, each delivery with its attempts, our response code and the next retry;
the product's Activity shows the same deliveries (same webhook id) from its side.
Here the app's secret is wrong for a moment (a misconfiguration), so our receiver
answers 401 and Shopify retries; once it is right again the retry is processed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shoplink.integrations.shopify.models import WebhookDelivery
from tests.e2e.connect_flows import INTEGRATIONS, menu_item
from tests.e2e.test_guide_reconnect import close_drawer_if_open, synced, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.simulator]
__all__ = ["synced"]  # the fixture, shared with the Reconnect tests


def orders_create_log(sim, shop: str) -> list[dict]:
    log = sim.control("GET", f"/shops/{shop}/webhook-log")
    entries = log if isinstance(log, list) else log.get("deliveries", log.get("log", []))
    return [e for e in entries if e.get("topic") == "orders/create"]


@pytest.mark.django_db(transaction=True)
def test_failed_deliveries_show_their_retries_in_shopify_and_outcome_in_activity(
    page, synced, shopify_sim, settings, screenshot
):
    shop = synced
    right_secret = settings.SHOPIFY_API_SECRET
    settings.SHOPIFY_API_SECRET = "a-wrong-secret"  # our receiver now answers 401
    shopify_sim.control("POST", f"/shops/{shop}/orders", {})
    wait_until(
        lambda: sum(1 for e in orders_create_log(shopify_sim, shop) if e["status"] == 401) >= 2,
        20,
    )
    settings.SHOPIFY_API_SECRET = right_secret
    wait_until(lambda: any(e["status"] == 200 for e in orders_create_log(shopify_sim, shop)), 30)
    entries = orders_create_log(shopify_sim, shop)
    webhook_id = entries[-1]["webhook_id"]
    tries = [e for e in entries if e["webhook_id"] == webhook_id]
    assert [e["status"] for e in tries][:2] == [401, 401] and tries[-1]["status"] == 200
    assert tries[0]["next_retry_at"] is not None and tries[-1]["next_retry_at"] is None

    # Shopify's side: Settings → Notifications → Webhooks, per subscription.
    page.goto(f"{shopify_sim.url}/_admin/{shop}")
    sub = page.locator('#webhook-subscriptions details[data-topic="orders/create"]')
    delivery = sub.locator(f'tr[data-webhook-id="{webhook_id}"]')
    expect(delivery).to_have_attribute("data-state", "delivered")
    expect(delivery.locator("td").nth(2)).to_have_text(str(len(tries)))
    expect(delivery.locator("td").nth(3)).to_have_text("200")
    sub.scroll_into_view_if_needed()
    screenshot("guide-webhook-log-shopify")

    # Our side: the same delivery in Activity, processed.
    wait_until(
        lambda: WebhookDelivery.objects.filter(webhook_id=webhook_id, state="processed").exists()
    )
    page.goto(INTEGRATIONS)
    close_drawer_if_open(page)
    menu_item(page, shop, "View details").click()
    ours = page.locator(f'.webhook-deliveries tr[data-webhook-id="{webhook_id}"]')
    expect(ours).to_have_attribute("data-state", "processed")
    expect(ours).to_contain_text("orders/create")
    ours.scroll_into_view_if_needed()
    screenshot("guide-webhook-log-activity")
