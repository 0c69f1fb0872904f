"""The JSON API's store endpoints (D32) against the real simulator."""

from __future__ import annotations

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.integrations.shopify import services as shopify_services
from shoplink.integrations.shopify.models import (
    EntityState,
    EntitySync,
    ShopifyStore,
    StoreStatus,
    SyncRun,
)
from shoplink.integrations.shopify.tests.writeback_support import connect_store
from shoplink.projects.services import create_project

READINESS = [
    "OAuth connected",
    "Token valid",
    "All scopes granted",
    "API responding",
    "Initial sync complete",
]


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def store(shopify_sim, project, unique_shop):
    connected = connect_store(shopify_sim, project, unique_shop)
    shopify_services.assign_list(connected, "new")  # "<shop> customers", as a connect does (D8)
    return connected


def call(client, method, path, body=None):
    return getattr(client, method)(f"/api/v1{path}", body, content_type="application/json")


def test_stores_lists_status_settings_and_entities(api, store):
    [row] = api.get("/api/v1/stores").json()
    assert row["domain"] == store.domain
    assert (row["status"], row["status_label"]) == ("connected", "Connected")
    assert row["settings"]["push_profile"] is False and row["settings"]["sync_orders"] is True
    assert [e["entity"] for e in row["entities"]] == [
        "customers",
        "orders",
        "products",
        "collections",
    ]
    assert {e["state"] for e in row["entities"]} == {"pending"}


def test_another_projects_store_is_404_for_every_action(shopify_sim, api, unique_shop):
    theirs = connect_store(shopify_sim, create_project("Other"), unique_shop)
    assert api.get("/api/v1/stores").json() == []
    for method, path, body in [
        ("get", f"/stores/{theirs.pk}", None),
        ("post", f"/stores/{theirs.pk}/sync", None),
        ("post", f"/stores/{theirs.pk}/entities/orders/retry", None),
        ("post", f"/stores/{theirs.pk}/health-check", None),
        ("post", f"/stores/{theirs.pk}/disconnect", None),
        ("delete", f"/stores/{theirs.pk}", {"confirm_domain": theirs.domain}),
        ("patch", f"/stores/{theirs.pk}/settings", {"push_profile": True}),
        ("get", f"/stores/{theirs.pk}/writeback", None),
    ]:
        response = call(api, method, path, body)
        assert response.status_code == 404, (method, path)
        assert "No Shopify store" in response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.status == StoreStatus.CONNECTED


def test_store_actions_need_a_key(store):
    anonymous = Client()
    assert anonymous.post(f"/api/v1/stores/{store.pk}/sync").status_code == 401
    assert anonymous.post(f"/api/v1/stores/{store.pk}/disconnect").status_code == 401


def test_sync_starts_the_initial_sync_then_reruns(api, store):
    first = call(api, "post", f"/stores/{store.pk}/sync")
    assert first.status_code == 202, first.content
    assert first.json()["message"] == "Initial sync started"
    assert SyncRun.objects.filter(store=store, kind="initial").exists()

    ShopifyStore.objects.filter(pk=store.pk).update(initial_sync_completed_at=store.created_at)
    again = call(api, "post", f"/stores/{store.pk}/sync")
    assert again.json()["message"] == "Sync rerun started"
    assert SyncRun.objects.filter(store=store, kind="resync").exists()


def test_retry_reruns_one_entity_and_rejects_unknown_ones(api, store):
    bad = call(api, "post", f"/stores/{store.pk}/entities/invoices/retry")
    assert bad.status_code == 400 and "Unknown entity" in bad.json()["detail"]

    ok = call(api, "post", f"/stores/{store.pk}/entities/products/retry")
    assert ok.status_code == 202, ok.content
    assert ok.json()["message"] == "Retry of Products started"
    assert SyncRun.objects.filter(store=store, kind="retry").count() == 1


def test_actions_that_cannot_run_now_get_409_with_the_reason(api, store):
    call(api, "post", f"/stores/{store.pk}/disconnect")
    response = call(api, "post", f"/stores/{store.pk}/sync")
    assert response.status_code == 409
    assert "cannot sync now" in response.json()["detail"]


def test_health_check_reports_the_five_readiness_items(api, store):
    response = call(api, "post", f"/stores/{store.pk}/health-check")
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body["store"]["readiness"]) == READINESS
    assert body["store"]["readiness"]["API responding"] is True
    # no initial sync yet: that item fails, so the check fails
    assert body["passed"] is False and body["message"] == "Health check failed"


def test_disconnect_keeps_the_store_as_disconnected(api, store):
    response = call(api, "post", f"/stores/{store.pk}/disconnect")
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Store disconnected"
    assert response.json()["store"]["status"] == "disconnected"


def test_delete_needs_the_typed_domain(api, store, django_capture_on_commit_callbacks):
    wrong = call(api, "delete", f"/stores/{store.pk}", {"confirm_domain": "other.myshopify.com"})
    assert wrong.status_code == 400 and store.domain in wrong.json()["detail"]
    missing = call(api, "delete", f"/stores/{store.pk}", {})
    assert missing.status_code == 422
    assert ShopifyStore.objects.filter(pk=store.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = call(api, "delete", f"/stores/{store.pk}", {"confirm_domain": store.domain})
    assert done.status_code == 202, done.content
    assert not ShopifyStore.objects.filter(pk=store.pk).exists()


def test_settings_change_toggles_and_a_write_toggle_checks_the_scope(
    shopify_sim, api, project, unique_shop
):
    from shoplink.integrations.shopify.tests.writeback_support import READ_SCOPES

    store = connect_store(shopify_sim, project, unique_shop, scopes=READ_SCOPES)
    off = call(api, "patch", f"/stores/{store.pk}/settings", {"sync_products": False})
    assert off.status_code == 200, off.content
    states = dict(EntitySync.objects.filter(store=store).values_list("entity", "state"))
    assert states["products"] == EntityState.OFF and states["collections"] == EntityState.OFF

    on = call(api, "patch", f"/stores/{store.pk}/settings", {"push_engagement": True})
    assert on.json()["store"]["settings"]["push_engagement"] is True
    assert on.json()["store"]["status"] == "reconnect_required"


def test_settings_can_assign_a_new_customer_list(api, store):
    response = call(api, "patch", f"/stores/{store.pk}/settings", {"customer_list": "new"})
    assert response.status_code == 200, response.content
    list_id = response.json()["store"]["customer_list_id"]
    lists = api.get("/api/v1/lists").json()
    assert [row["name"] for row in lists if row["id"] == list_id] == [f"{store.name} customers"]
    bad = call(api, "patch", f"/stores/{store.pk}/settings", {"customer_list": "999999"})
    assert bad.status_code == 409 and "Choose a list" in bad.json()["detail"]


def test_activity_lists_store_actions_newest_first(api, store):
    call(api, "post", f"/stores/{store.pk}/disconnect")
    rows = api.get(f"/api/v1/stores/{store.pk}/activity").json()
    assert rows[0]["kind"] == "disconnect" and rows[0]["message"] == "Store disconnected"


def test_writeback_preview_through_the_api(shopify_sim, api, project, unique_shop):
    from shoplink.integrations.shopify.tests.writeback_support import (
        create_customer,
        import_contact,
    )

    store = connect_store(shopify_sim, project, unique_shop, push_engagement=True)
    customer = create_customer(shopify_sim, unique_shop, email="p@example.com")
    contact = import_contact(store, customer["id"], email="p@example.com")
    call(
        api,
        "post",
        "/events",
        {"events": [{"name": "message_sent", "contact": contact.external_id}]},
    )

    body = api.get(f"/api/v1/stores/{store.pk}/writeback").json()
    assert body["missing_scope"] is False and body["engagement_total"] == 1
    assert body["metafield_calls"] == 1
    [row] = body["engagement"]
    assert row["external_id"] == str(customer["id"])
    assert row["fields"] == {"total_messages_sent": "1"}


def test_the_store_resource_has_every_field_of_the_card_and_store_details(api, store, admin_client):
    """Issue 14 item 8: the API shows what the UI shows, in the same words."""
    api.post(f"/api/v1/stores/{store.pk}/health-check")
    row = api.get(f"/api/v1/stores/{store.pk}").json()
    store.refresh_from_db()
    html = admin_client.get(f"/integrations/shopify/stores/{store.pk}/details/").content.decode()
    assert row["email"] and row["email"] in html
    assert row["plan"] and row["plan"] in html
    assert row["currency"] and row["currency"] in html
    assert row["country"] and row["country"] in html
    assert row["custom_domain"] is None  # the simulator's shop has none: the UI says "—"
    assert 'data-field="custom_domain">—<' in html
    assert row["granted_scopes"] == store.granted_scopes and row["granted_scopes"]
    for scope in row["granted_scopes"]:
        assert f">{scope}<" in html
    assert [i["label"] for i in row["readiness_items"]] == READINESS
    for item in row["readiness_items"]:
        assert f'data-item="{item["label"]}" data-ok="{item["state"]}"' in html
    failed = [i for i in row["readiness_items"] if i["state"] == "fail"]
    assert [i["label"] for i in failed] == ["Initial sync complete"]
    assert failed[0]["fix"] == "Open Sync settings and run the initial sync."
    assert failed[0]["fix"] in html and failed[0]["detail"] in html
    assert f"Webhook subscriptions: {row['webhook_subscriptions']}" in html
    assert row["status_reason"] in html
    assert row["last_failure"]["message"] in html
    assert row["last_reconciled_at"] is None and "Last reconciliation: Never" in html
    assert row["created_at"].startswith(store.created_at.date().isoformat())


def test_a_missing_customer_list_is_shown_and_asked_for_before_a_sync(api, store):
    """Issue 14 item 4: the list was deleted; the API says so and a sync asks for one."""
    store.customer_list.delete()
    row = api.get(f"/api/v1/stores/{store.pk}").json()
    warning = "A customer list must be assigned for customer profiles to land somewhere"
    assert row["customer_list_id"] is None and row["customer_list_warning"] == warning
    response = api.post(f"/api/v1/stores/{store.pk}/sync")
    assert response.status_code == 409 and warning in response.json()["detail"]
    retry = api.post(f"/api/v1/stores/{store.pk}/entities/customers/retry")
    assert retry.status_code == 409
    assert (
        api.patch(
            f"/api/v1/stores/{store.pk}/settings",
            {"customer_list": "new"},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert api.get(f"/api/v1/stores/{store.pk}").json()["customer_list_warning"] == ""
    assert api.post(f"/api/v1/stores/{store.pk}/sync").status_code == 202
