"""Lifecycle edge cases without Shopify: delete vs. the one-project rule, connect while deleting."""

from __future__ import annotations

import pytest

from shoplink.integrations.shopify.connection import lifecycle, oauth, status
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

pytestmark = pytest.mark.django_db


def test_deleting_a_disconnected_card_whose_shop_moved_to_another_project(
    admin_client, project, django_capture_on_commit_callbacks
):
    from shoplink.projects.services import create_project

    old = ShopifyStore.objects.create(
        project=project, domain="moved.myshopify.com", status=StoreStatus.DISCONNECTED
    )
    ShopifyStore.objects.create(project=create_project("New home"), domain="moved.myshopify.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/integrations/shopify/stores/{old.pk}/delete/",
            {"confirm_domain": "moved.myshopify.com"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert not ShopifyStore.objects.filter(pk=old.pk).exists()
    assert ShopifyStore.objects.filter(domain="moved.myshopify.com").count() == 1


def test_connect_waits_while_the_same_store_is_being_deleted(admin_client, project):
    ShopifyStore.objects.create(
        project=project, domain="going.myshopify.com", status=StoreStatus.DELETING
    )
    response = admin_client.post(
        "/integrations/shopify/connect/shopify/", {"domain": "going"}, HTTP_HX_REQUEST="true"
    )
    assert "HX-Redirect" not in response
    assert oauth.MSG_BEING_DELETED in response.content.decode()


def test_disconnect_of_a_store_whose_grant_is_gone_makes_no_shopify_call(project, settings):
    settings.SHOPIFY_BASE_URL = "http://127.0.0.1:9/{shop}"  # any call would fail
    store = ShopifyStore.objects.create(
        project=project,
        domain="gone.myshopify.com",
        reconnect_reason="uninstalled",
        status=StoreStatus.RECONNECT_REQUIRED,
    )
    lifecycle.disconnect_store(store)
    store.refresh_from_db()
    assert store.status == StoreStatus.DISCONNECTED
    assert store.activity.filter(kind="disconnect").exists()


def test_card_menu_offers_items_per_status(admin_client, project):
    store = ShopifyStore.objects.create(project=project, domain="menu-test.myshopify.com")
    six = ("Sync settings", "View details", "Check health", "Reconnect", "Disconnect", "Delete")
    html = admin_client.get("/integrations/shopify/").content.decode()
    for item in six:  # B23: every item on every card; Connected can Reconnect too
        assert f">{item}</button>" in html
    assert 'aria-disabled="true"' not in html
    ShopifyStore.objects.filter(pk=store.pk).update(
        status=StoreStatus.DISCONNECTED, disconnected_at=store.created_at
    )
    html = admin_client.get("/integrations/shopify/").content.decode()
    for item in six:
        assert f">{item}</button>" in html
    assert html.count('aria-disabled="true"') == 2  # Check health, Disconnect
    assert 'title="The store is already Disconnected."' in html
    assert "badge-grey" in html and "Disconnected" in html
    ShopifyStore.objects.filter(pk=store.pk).update(status=StoreStatus.DELETING)
    html = admin_client.get("/integrations/shopify/").content.decode()
    assert html.count('title="This store is being deleted."') == 6


def test_integrations_page_query_count_does_not_grow_with_stores(
    admin_client, project, django_assert_max_num_queries
):
    ShopifyStore.objects.create(project=project, domain="one-store.myshopify.com")
    # 9: the page, its cards, and the live stream's starting digest (ADR 0056), whose
    # count of waiting deliveries is a query of its own (on SQLite it goes to the inbox
    # database, which this counter does not see).
    with django_assert_max_num_queries(9) as one:
        admin_client.get("/integrations/shopify/")
    for i in range(5):
        ShopifyStore.objects.create(project=project, domain=f"many-{i}.myshopify.com")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = admin_client.get("/integrations/shopify/")
    assert response.content.decode().count('class="card store-card"') == 6


def test_reconnect_asks_for_write_customers_once_a_write_toggle_is_on(admin_client, project):
    from urllib.parse import parse_qs, urlsplit

    store = ShopifyStore.objects.create(
        project=project,
        domain="writer.myshopify.com",
        push_email_consent=True,
        granted_scopes=["read_customers", "read_orders", "read_products"],
        status=StoreStatus.RECONNECT_REQUIRED,
        reconnect_reason=status.WRITE_SCOPE_REASON,
    )
    response = admin_client.post(
        f"/integrations/shopify/stores/{store.pk}/reconnect/", HTTP_HX_REQUEST="true"
    )
    query = parse_qs(urlsplit(response["HX-Redirect"]).query)
    assert query["scope"] == ["read_customers,read_orders,read_products,write_customers"]
