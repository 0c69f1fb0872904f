"""Promises of the guide and reference that were implemented but unproven (issue 14 item 9).

Through the public surface: the Integrations page and the JSON API over the Django
client, the simulator over real HTTP (through a small recording proxy where the test
must see every request), Huey's schedule for the periodic jobs, and the GraphQL
documents themselves for the "never writes products" rule.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from graphql import OperationType, parse

from shoplink.audience.models import Contact
from shoplink.audience.services import add_to_list, create_list
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.connection import health
from shoplink.integrations.shopify.jobs.connection import check_all_stores_health
from shoplink.integrations.shopify.jobs.sync import reconcile_all
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore, StoreStatus
from shoplink.integrations.shopify.sync import reconcile
from shoplink.integrations.shopify.sync import runs as sync
from shoplink.integrations.shopify.tests.connect_helpers import connect, decide, follow_callback
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    entity_states,
)

pytestmark = [pytest.mark.simulator, pytest.mark.django_db]
PROFILE = {"customers": 5, "orders": 6, "products": 3, "collections": 1, "checkouts": 1}


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01


def quiet(sim, shop):
    # No live server here: drop the shop's webhooks rather than retry them into other tests.
    sim.control("POST", f"/shops/{shop}/faults", {"webhooks": {"drop_rate": 1.0}})


def test_a_second_store_stays_connected_while_the_first_needs_reconnect(
    admin_client, shopify_sim, unique_shop
):
    second = "b" + unique_shop
    for shop in (unique_shop, second):
        create_shop(shopify_sim, shop, customers=1, orders=0, products=0, collections=0)
        quiet(shopify_sim, shop)
        connect(admin_client, shop)
    first = ShopifyStore.objects.get(domain=unique_shop)
    shopify_sim.control("POST", f"/shops/{unique_shop}/revoke-tokens")
    admin_client.post(f"/integrations/shopify/stores/{first.pk}/health/", HTTP_HX_REQUEST="true")
    html = admin_client.get("/integrations/shopify/").content.decode()
    assert ShopifyStore.objects.get(domain=unique_shop).status == StoreStatus.RECONNECT_REQUIRED
    assert ShopifyStore.objects.get(domain=second).status == StoreStatus.CONNECTED
    assert html.count('data-status="reconnect_required"') == 1
    assert html.count('data-status="connected"') == 1


def test_created_is_the_first_connection_time_and_a_reconnect_keeps_it(
    admin_client, shopify_sim, unique_shop
):
    create_shop(shopify_sim, unique_shop, customers=1, orders=0, products=0, collections=0)
    quiet(shopify_sim, unique_shop)
    connect(admin_client, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    created = store.created_at
    started = admin_client.post(
        f"/integrations/shopify/stores/{store.pk}/reconnect/", HTTP_HX_REQUEST="true"
    )
    follow_callback(admin_client, decide(started["HX-Redirect"]))
    store.refresh_from_db()
    assert store.created_at == created
    details = admin_client.get(f"/integrations/shopify/stores/{store.pk}/details/")
    assert created.strftime("%-d %b %Y, %H:%M") in details.content.decode()
    api_created = store.created_at.isoformat()
    assert api_created.startswith(created.date().isoformat())


def test_last_synced_moves_only_on_bulk_syncs(
    shopify_sim, project, unique_shop, django_capture_on_commit_callbacks
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    quiet(shopify_sim, unique_shop)
    store = connect_store(shopify_sim, project, unique_shop)
    store.customer_list = create_list(project, "Promise customers")
    store.save()
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(store, "initial")
    assert set(entity_states(store).values()) == {"synced"}

    def last_synced():
        return dict(EntitySync.objects.filter(store=store).values_list("entity", "last_synced_at"))

    after_import = last_synced()
    shopify_sim.control("POST", f"/shops/{unique_shop}/customers", {"first_name": "Later"})
    store.refresh_from_db()
    assert reconcile.reconcile_store(store, since=store.created_at) >= 1  # repairs a record
    health.run_health_check(store)
    assert last_synced() == after_import
    with django_capture_on_commit_callbacks(execute=True):
        sync.start_sync(ShopifyStore.objects.get(pk=store.pk), "resync")
    assert all(last_synced()[e] > after_import[e] for e in after_import)


class _Recorder(BaseHTTPRequestHandler):
    """Forwards every request to the simulator and records its method and path."""

    target = ""
    seen: list[tuple[str, str]] = []

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        answer = httpx.request(
            self.command, self.target + self.path, content=body, headers=headers, timeout=30
        )
        self.send_response(answer.status_code)
        for k, v in answer.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _forward

    def log_message(self, *args):
        return


def test_every_admin_api_request_carries_the_pinned_version(
    shopify_sim, project, unique_shop, settings, django_capture_on_commit_callbacks
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    quiet(shopify_sim, unique_shop)
    store = connect_store(shopify_sim, project, unique_shop)
    store.customer_list = create_list(project, "Pinned customers")
    store.save()
    _Recorder.target, _Recorder.seen = shopify_sim.url, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SHOPIFY_BASE_URL = f"http://127.0.0.1:{server.server_port}/{{shop}}"
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sync.start_sync(store, "initial")
        health.run_health_check(store)
        reconcile.reconcile_store(ShopifyStore.objects.get(pk=store.pk))
    finally:
        server.shutdown()
    api_calls = [p for _, p in _Recorder.seen if "/admin/api/" in p]
    assert len(api_calls) > 10
    assert all(
        p == f"/{unique_shop}/admin/api/{settings.SHOPIFY_API_VERSION}/graphql.json"
        for p in api_calls
    ), set(api_calls)
    assert settings.SHOPIFY_API_VERSION == "2026-10"  # D33


def test_the_product_never_sends_a_product_inventory_or_price_write():
    """Only customer, consent, metafield, webhook, bulk and app mutations exist (D28)."""
    allowed = {
        "webhookSubscriptionCreate",
        "webhookSubscriptionDelete",
        "appUninstall",
        "bulkOperationRunQuery",
        "bulkOperationCancel",
        "customerUpdate",
        "customerEmailMarketingConsentUpdate",
        "customerSmsMarketingConsentUpdate",
        "metafieldsSet",
    }
    roots = set()
    for name in dir(queries):
        text = getattr(queries, name)
        if not isinstance(text, str) or "mutation" not in text or "{" not in text:
            continue
        try:
            document = parse(text)
        except Exception:
            continue
        for op in document.definitions:
            if getattr(op, "operation", None) == OperationType.MUTATION:
                roots |= {s.name.value for s in op.selection_set.selections}
    assert roots and roots <= allowed, roots - allowed
    assert not [r for r in roots if any(w in r.lower() for w in ("product", "inventory", "price"))]


def test_the_six_hourly_health_check_and_the_30_minute_reconciliation_are_scheduled():
    day = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    minutes = [day + dt.timedelta(minutes=m) for m in range(24 * 60)]
    health_runs = [t for t in minutes if check_all_stores_health.task_class().validate_datetime(t)]
    reconcile_runs = [t for t in minutes if reconcile_all.task_class().validate_datetime(t)]
    assert [t.hour for t in health_runs] == [0, 6, 12, 18]
    assert len(reconcile_runs) == 48
    assert {t.minute for t in reconcile_runs} == {0, 30}


def test_a_connect_after_delete_starts_fresh_and_does_not_merge_kept_contacts_back(
    admin_client, shopify_sim, project, unique_shop, django_capture_on_commit_callbacks
):
    """D30: contacts kept as independent lose the Shopify id they were keyed by."""
    create_shop(shopify_sim, unique_shop, **PROFILE)
    quiet(shopify_sim, unique_shop)

    def connect_and_import() -> ShopifyStore:
        connect(admin_client, unique_shop)
        store = ShopifyStore.objects.get(domain=unique_shop)
        store.customer_list = create_list(project, f"Customers {store.pk}")
        store.save()
        with django_capture_on_commit_callbacks(execute=True):
            sync.start_sync(store, "initial")
        assert set(entity_states(store).values()) == {"synced"}
        return store

    first = connect_and_import()
    imported = Contact.objects.filter(project=project, source=first.source).order_by("pk")
    assert imported.count() == PROFILE["customers"]
    kept, dropped = imported[0], imported[1]
    shopify_id = kept.external_id
    newsletter = create_list(project, "Newsletter")
    add_to_list(newsletter, [kept.pk])  # used elsewhere: Delete keeps it as independent

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/integrations/shopify/stores/{first.pk}/delete/",
            {"confirm_domain": unique_shop},
            HTTP_HX_REQUEST="true",
        )
    assert not ShopifyStore.objects.filter(pk=first.pk).exists()
    kept.refresh_from_db()
    assert (kept.source, kept.external_id) == ("", None)
    assert not Contact.objects.filter(pk=dropped.pk).exists()

    second = connect_and_import()
    assert second.pk != first.pk
    again = Contact.objects.get(project=project, external_id=shopify_id)
    assert again.pk != kept.pk and again.source == second.source
    kept.refresh_from_db()
    assert (kept.source, kept.external_id) == ("", None)
    assert list(newsletter.memberships.values_list("contact_id", flat=True)) == [kept.pk]
    assert Contact.objects.filter(project=project, source=second.source).count() == (
        PROFILE["customers"]
    )
