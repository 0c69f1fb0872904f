"""Health check (D12), store details (D13), disconnect/delete (D29/D30) and scope rules (D7, D10).

Stores are connected through the simulator's real install page; Shopify-side trouble
(revoked tokens, frozen shop, failing API, fewer scopes) is injected with its control API.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shoplink.audience.models import Contact, ContactList
from shoplink.audience.services import add_to_list, create_list
from shoplink.commerce.models import Order, Product
from shoplink.core import clock
from shoplink.events.models import Event
from shoplink.integrations.shopify.connection import grant, lifecycle, subscriptions
from shoplink.integrations.shopify.connection.status import WRITE_SCOPE_REASON
from shoplink.integrations.shopify.models import ActivityEntry, ShopifyStore, StoreStatus
from shoplink.integrations.shopify.tests.connect_helpers import connect

pytestmark = [pytest.mark.simulator, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01


@pytest.fixture
def store(admin_client, shopify_sim, unique_shop):
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Maple Goods",
            "email": "owner@maple.example",
            "plan": "advanced",
            "currency": "CAD",
            "country": "CA",
            "custom_domain": "maple.example",
            "customers": 3,
            "orders": 2,
            "products": 2,
            "collections": 1,
            "checkouts": 1,
        },
    )
    # The live server cannot see this test's data: drop the shop's webhooks at the
    # simulator rather than let failed deliveries be retried into later tests.
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"webhooks": {"drop_rate": 1.0}})
    connect(admin_client, unique_shop)
    return ShopifyStore.objects.get(domain=unique_shop)


def check_health(client, store):
    response = client.post(
        f"/integrations/shopify/stores/{store.pk}/health/", HTTP_HX_REQUEST="true"
    )
    store.refresh_from_db()
    return response, json.loads(response["HX-Trigger"])["toast"]["message"]


def details(client, store) -> str:
    return client.get(f"/integrations/shopify/stores/{store.pk}/details/").content.decode()


def mark_synced(store):
    ShopifyStore.objects.filter(pk=store.pk).update(initial_sync_completed_at=clock.now())
    store.refresh_from_db()


def test_passing_health_check_refreshes_store_info_and_shows_completed(admin_client, store):
    mark_synced(store)
    _, toast = check_health(admin_client, store)
    assert toast == "Health check completed"
    assert store.status == StoreStatus.CONNECTED
    assert all(store.readiness.values()) and len(store.readiness) == 5
    assert (store.name, store.email, store.custom_domain) == (
        "Maple Goods",
        "owner@maple.example",
        "maple.example",
    )
    assert (store.currency, store.country) == ("CAD", "CA")
    html = details(admin_client, store)
    for label in (
        "Store domain",
        "Email",
        "Custom domain",
        "Plan",
        "Currency",
        "Country",
        "Created",
    ):
        assert f"<dt>{label}</dt>" in html
    assert html.count('data-ok="pass"') == 5
    assert "read_customers" in html and "Last checked" in html
    assert store.customer_list.name == "Maple Goods customers"


def test_initial_sync_not_run_fails_its_item_and_sets_error(admin_client, store):
    _, toast = check_health(admin_client, store)
    assert toast == "Health check failed"
    assert store.status == StoreStatus.ERROR
    assert store.readiness["Initial sync complete"] is False
    html = details(admin_client, store)
    assert '<li data-item="Initial sync complete" data-ok="fail">' in html
    assert "Open Sync settings and run the initial sync." in html


def test_revoked_token_fails_oauth_connected(admin_client, store, shopify_sim):
    mark_synced(store)
    shopify_sim.control("POST", f"/shops/{store.domain}/revoke-tokens")
    _, toast = check_health(admin_client, store)
    assert toast == "Health check failed"
    assert store.readiness["OAuth connected"] is False
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    html = details(admin_client, store)
    assert '<li data-item="OAuth connected" data-ok="fail">' in html
    assert "401" in html


def test_frozen_shop_fails_api_responding_until_unfrozen(admin_client, store, shopify_sim):
    mark_synced(store)
    shopify_sim.control("POST", f"/shops/{store.domain}/state", {"state": "frozen"})
    _, toast = check_health(admin_client, store)
    assert toast == "Health check failed"
    assert store.readiness["API responding"] is False
    assert store.readiness["OAuth connected"] is True
    assert store.status == StoreStatus.ERROR
    html = details(admin_client, store)
    assert "Store unavailable in Shopify (payment required / locked)" in html
    assert '<dd class="mono">402</dd>' in html

    shopify_sim.control("POST", f"/shops/{store.domain}/state", {"state": "active"})
    _, toast = check_health(admin_client, store)
    assert toast == "Health check completed"
    assert store.status == StoreStatus.CONNECTED and store.unavailable_reason == ""


def test_failing_api_fails_api_responding_with_technical_detail(admin_client, store, shopify_sim):
    mark_synced(store)
    shopify_sim.control("POST", f"/shops/{store.domain}/faults", {"error_rate": 1.0})
    _, toast = check_health(admin_client, store)
    assert toast == "Health check failed"
    assert store.readiness["API responding"] is False
    assert store.status == StoreStatus.ERROR
    assert store.last_failure["technical"]["http_status"] >= 500
    assert "Wait a few minutes" in details(admin_client, store)


def test_fewer_scopes_fail_all_scopes_granted_and_require_reconnect(
    admin_client, store, shopify_sim
):
    mark_synced(store)
    shopify_sim.control(
        "POST", f"/shops/{store.domain}/scopes", {"scopes": ["read_customers", "read_orders"]}
    )
    _, toast = check_health(admin_client, store)
    assert toast == "Health check failed"
    assert store.readiness["All scopes granted"] is False
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert "read_products" in store.reconnect_reason


def test_scopes_update_dropping_a_needed_scope_requires_reconnect(store):
    lifecycle.on_scopes_update(store, ["read_customers", "read_orders"])
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert "read_products" in store.reconnect_reason


def test_app_uninstalled_requires_reconnect_without_calling_shopify(store, settings):
    settings.SHOPIFY_BASE_URL = "http://127.0.0.1:9/{shop}"  # any call would fail loudly
    lifecycle.on_app_uninstalled(store)
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert store.reconnect_reason == lifecycle.REASON_UNINSTALLED


def test_write_toggle_without_write_scope_requires_reconnect(store):
    assert grant.flag_missing_scopes(store) == []  # all toggles off
    assert store.status == StoreStatus.CONNECTED
    ShopifyStore.objects.filter(pk=store.pk).update(push_profile=True)
    store.refresh_from_db()
    assert "write_customers" in grant.required_scopes(store)
    grant.flag_missing_scopes(store)
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert store.reconnect_reason == WRITE_SCOPE_REASON


def test_missing_subscriptions_are_recreated_by_the_health_check(admin_client, store, shopify_sim):
    from shoplink.integrations.shopify.models import SyncRun

    mark_synced(store)
    SyncRun.objects.create(store=store, kind="initial", started_at=clock.now())
    check_health(admin_client, store)
    topics = {s["topic"] for s in subscriptions.list_subscriptions(store)}
    assert topics >= subscriptions.expected_topics(store)
    text = details(admin_client, store)
    assert f"Webhook subscriptions: {len(topics)} present, " in text
    assert "of them re-created" in text
    check_health(admin_client, store)
    assert "all expected subscriptions present" in details(admin_client, store)


def test_disconnect_prompts_then_keeps_data_and_removes_subscriptions(
    admin_client, store, shopify_sim
):
    subscriptions.sync_subscriptions(store)
    assert subscriptions.list_subscriptions(store)
    prompt = admin_client.get(f"/integrations/shopify/stores/{store.pk}/disconnect/")
    assert (
        "Are you sure you want to disconnect? You can reconnect later." in prompt.content.decode()
    )
    store.refresh_from_db()
    assert store.status == StoreStatus.CONNECTED  # the prompt alone changes nothing

    response = admin_client.post(
        f"/integrations/shopify/stores/{store.pk}/disconnect/", HTTP_HX_REQUEST="true"
    )
    store.refresh_from_db()
    assert store.status == StoreStatus.DISCONNECTED
    assert "badge-grey" in response.content.decode() and "Disconnected" in response.content.decode()
    assert store.access_token_enc and store.customer_list_id
    assert shopify_sim.control("GET", f"/shops/{store.domain}")["subscriptions"] == []


def seed_store_data(store):
    """Rows the store 'imported', one independent contact, and an unrelated project row."""
    now = clock.now()
    only_here = Contact.objects.create(
        project=store.project, external_id="101", source=store.source
    )
    independent = Contact.objects.create(
        project=store.project,
        external_id="102",
        source=store.source,
        attributes={"shopify_order_count": 2, "vip": True},
    )
    Contact.objects.filter(pk=independent.pk).update(created_at=now - dt.timedelta(days=30))
    local = Contact.objects.create(project=store.project, external_id="local-1")
    add_to_list(store.customer_list, [only_here.pk, independent.pk])
    Order.objects.create(project=store.project, source=store.source, external_id="9001")
    Product.objects.create(project=store.project, source=store.source, external_id="7001")
    Order.objects.create(
        project=store.project, source="shopify:other.myshopify.com", external_id="9002"
    )
    Event.objects.create(
        project=store.project,
        name="shopify_order_placed",
        source=store.source,
        occurred_at=now,
        idempotency_key="shopify_order_placed:9001",
    )
    return only_here, independent, local


def test_delete_needs_the_typed_domain_then_removes_exactly_the_stores_data(
    admin_client, store, shopify_sim, django_capture_on_commit_callbacks
):
    only_here, independent, local = seed_store_data(store)
    other_list = create_list(store.project, "Newsletter")
    url = f"/integrations/shopify/stores/{store.pk}/delete/"
    confirm = admin_client.get(url).content.decode()
    assert "orders, checkouts and carts" in confirm and store.domain in confirm

    wrong = admin_client.post(url, {"confirm_domain": "nope"}, HTTP_HX_REQUEST="true")
    assert f"Type {store.domain} to confirm." in wrong.content.decode()
    assert ShopifyStore.objects.filter(pk=store.pk).exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url, {"confirm_domain": store.domain}, HTTP_HX_REQUEST="true")
    assert "Deleting…" in response.content.decode()
    assert ShopifyStore.objects.get(pk=store.pk).status == StoreStatus.DELETING
    for callback in callbacks:
        callback()

    assert not ShopifyStore.objects.filter(pk=store.pk).exists()
    assert not Contact.objects.filter(pk=only_here.pk).exists()
    independent.refresh_from_db()
    assert independent.attributes == {"vip": True} and independent.source == ""
    assert Contact.objects.filter(pk=local.pk).exists()
    assert Order.objects.filter(source=store.source).count() == 0
    assert Order.objects.filter(source="shopify:other.myshopify.com").count() == 1
    assert Product.objects.filter(source=store.source).count() == 0
    assert Event.objects.filter(source=store.source).count() == 0
    assert not ActivityEntry.objects.filter(store_id=store.pk).exists()
    # The auto-created list still holds the independent contact, so it stays.
    assert ContactList.objects.filter(pk=store.customer_list_id).exists()
    assert ContactList.objects.filter(pk=other_list.pk).exists()
    assert shopify_sim.control("GET", f"/shops/{store.domain}")["installed"] is False
    gone = admin_client.get(f"/integrations/shopify/stores/{store.pk}/card/")
    assert gone.content == b""


def test_delete_removes_the_auto_list_when_empty(
    admin_client, store, django_capture_on_commit_callbacks
):
    list_id = store.customer_list_id
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/integrations/shopify/stores/{store.pk}/delete/",
            {"confirm_domain": store.domain},
            HTTP_HX_REQUEST="true",
        )
    assert not ContactList.objects.filter(pk=list_id).exists()


def test_editor_cannot_open_integrations_or_act(editor_client, store):
    assert editor_client.get("/integrations/shopify/").status_code == 403
    assert editor_client.post(f"/integrations/shopify/stores/{store.pk}/health/").status_code == 403
