"""Live updates against the real simulator over HTTP: subscriptions, and a webhook storm.

The simulator delivers signed webhooks to the live server; with Huey in immediate mode
each delivery is processed in the receiving thread right after its commit.
"""

from __future__ import annotations

import time

import pytest

from shoplink.audience.models import Consent, Contact
from shoplink.audience.services import create_list
from shoplink.commerce.models import Order, Product
from shoplink.events.models import Event
from shoplink.integrations.shopify.api.mapping import parse_datetime
from shoplink.integrations.shopify.connection import subscriptions
from shoplink.integrations.shopify.models import (
    DeliveryState,
    EntitySync,
    ShopifyStore,
    WebhookDelivery,
)
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.sync_support import connect_store, create_shop, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]
PROFILE = {"customers": 4, "orders": 4, "products": 2, "collections": 1, "checkouts": 1}


@pytest.fixture
def store(shopify_sim, live_server, settings, project, unique_shop):
    # Subscriptions point at APP_URL; in tests that is the live server.
    settings.APP_URL = live_server.url
    create_shop(shopify_sim, unique_shop, **PROFILE)
    shop = connect_store(shopify_sim, project, unique_shop)
    shop.customer_list = create_list(project, "Sim customers")
    shop.save()
    return shop


def sim_subscriptions(sim, shop: str) -> set[str]:
    info = sim.control("GET", f"/shops/{shop}")
    subs = info["subscriptions"]
    subs = subs.values() if isinstance(subs, dict) else subs
    return {subscriptions.topic_from_enum(s["topic"]) for s in subs}


def test_subscriptions_follow_the_toggles_and_go_on_disconnect(shopify_sim, store):
    result = subscriptions.sync_subscriptions(store)
    expected = subscriptions.expected_topics(store)
    assert set(result["created"]) == expected
    assert "orders/updated" in expected and "customers/data_request" not in expected
    assert sim_subscriptions(shopify_sim, store.domain) == expected
    again = subscriptions.sync_subscriptions(store)
    assert again == {"created": [], "deleted": [], "present": len(expected)}

    ShopifyStore.objects.filter(pk=store.pk).update(sync_products=False)
    store.refresh_from_db()
    result = subscriptions.sync_subscriptions(store)
    assert set(result["deleted"]) == set(subscriptions.CATEGORY_TOPICS["sync_products"])
    assert "products/update" not in sim_subscriptions(shopify_sim, store.domain)
    assert {"app/uninstalled", "bulk_operations/finish"} <= sim_subscriptions(
        shopify_sim, store.domain
    )

    assert subscriptions.remove_subscriptions(store) == len(expected) - 6
    assert sim_subscriptions(shopify_sim, store.domain) == set()


def _synced(store) -> None:
    sync.start_sync(store, "initial")
    wait_for(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        ),
        timeout=60,
    )


def _settle(sim, store, quiet: float = 1.5, timeout: float = 90) -> None:
    """Wait until the simulator stops delivering and nothing of ours is left to process."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        log = sim.control("GET", f"/shops/{store.domain}/webhook-log")
        entries = log if isinstance(log, list) else log.get("deliveries", log)
        pending = WebhookDelivery.objects.filter(
            shop_domain=store.domain, state=DeliveryState.RECEIVED
        ).count()
        if len(entries) != last:
            last, since = len(entries), time.monotonic()
        elif pending == 0 and time.monotonic() - since > quiet:
            return
        time.sleep(0.2)
    raise AssertionError("webhooks did not settle")


def _assert_same(sim, store, resource: str, rows) -> None:
    exported = {
        r["id"]: parse_datetime(r["updated_at"])
        for r in sim.control("GET", f"/shops/{store.domain}/export/{resource}")
    }
    assert dict(rows) == exported


def test_a_storm_with_duplicates_in_shuffled_order_ends_in_the_simulators_state(shopify_sim, store):
    sim, shop = shopify_sim, store.domain
    _synced(store)
    assert not Event.objects.filter(project=store.project).exists()  # bulk = history
    sim.control(
        "POST", f"/shops/{shop}/faults", {"webhooks": {"duplicate_rate": 0.3, "reorder": True}}
    )
    base = f"/shops/{shop}"
    new_customers = [
        sim.control(
            "POST", f"{base}/customers", {"first_name": f"Storm{i}", "email": f"s{i}@x.test"}
        )
        for i in range(3)
    ]
    old_customer = sim.control("GET", f"{base}/customers?limit=1")
    old_customer = (old_customer if isinstance(old_customer, list) else old_customer["records"])[0]
    buyers = [c["id"] for c in new_customers] + [old_customer["id"]]
    orders = [sim.control("POST", f"{base}/orders", {"customer_id": b}) for b in buyers]
    sim.control("PATCH", f"{base}/customers/{new_customers[0]['id']}", {"first_name": "Renamed"})
    sim.control(
        "POST",
        f"{base}/customers/{new_customers[1]['id']}/consent",
        {"channel": "email", "state": "SUBSCRIBED"},
    )
    fulfilled = sim.control(
        "POST",
        f"{base}/orders/{orders[0]['id']}/fulfillments",
        {"line_items": "all", "tracking_number": "1Z999"},
    )
    sim.control(
        "POST",
        f"{base}/orders/{orders[0]['id']}/fulfillments/{fulfilled['fulfillment_id']}/events",
        {"status": "in_transit"},
    )
    sim.control("POST", f"{base}/orders/{orders[1]['id']}/refunds", {"amount": "5.00"})
    sim.control("POST", f"{base}/orders/{orders[2]['id']}/cancel", {})
    product = sim.control("GET", f"{base}/products?limit=1")
    product = (product if isinstance(product, list) else product["records"])[0]
    sim.control("PATCH", f"{base}/products/{product['id']}", {"title": "Storm edition"})

    _settle(sim, store)

    contacts = Contact.objects.filter(project=store.project, source=store.source)
    _assert_same(sim, store, "customers", contacts.values_list("external_id", "source_updated_at"))
    orders_rows = Order.objects.filter(project=store.project, source=store.source)
    _assert_same(sim, store, "orders", orders_rows.values_list("external_id", "source_updated_at"))
    products = Product.objects.filter(project=store.project, source=store.source)
    _assert_same(sim, store, "products", products.values_list("external_id", "source_updated_at"))
    assert contacts.get(external_id=str(new_customers[0]["id"])).first_name == "Renamed"
    assert (
        Consent.objects.get(contact__external_id=str(new_customers[1]["id"])).state == "subscribed"
    )
    assert orders_rows.get(external_id=str(orders[2]["id"])).cancelled_at is not None

    def count(name, **data):
        filters = {f"data__{k}": v for k, v in data.items()}
        return Event.objects.filter(project=store.project, name=name, **filters).count()

    for o in orders:
        assert count("shopify_order_placed", order_id=str(o["id"])) == 1
        lines = len(o.get("lineItems") or o.get("line_items") or [])
        assert count("shopify_ordered_product", order_id=str(o["id"])) == lines
    for c in new_customers:
        assert count("shopify_customer_created", customer_id=str(c["id"])) == 1
    assert count("shopify_customer_created") == 3  # none for the imported history
    assert count("shopify_email_consent_updated") == 1
    assert count("shopify_fulfillment_created") == 1
    assert count("shopify_order_fulfilled", order_id=str(orders[0]["id"])) == 1
    assert count("shopify_shipment_status", status="in_transit") == 1
    assert count("shopify_order_refunded", order_id=str(orders[1]["id"])) == 1
    assert count("shopify_order_cancelled", order_id=str(orders[2]["id"])) == 1
    assert count("shopify_product_updated", product_id=str(product["id"])) == 1
    # Duplicates really happened, and were dropped at the door.
    log = sim.control("GET", f"/shops/{shop}/webhook-log")
    entries = log if isinstance(log, list) else log.get("deliveries", log)
    ids = [e["webhook_id"] for e in entries]
    assert len(ids) > len(set(ids))
    assert WebhookDelivery.objects.filter(shop_domain=shop).count() == len(set(ids))
