"""The Sync settings drawer over HTTP: defaults, saving toggles, list picker rules, roles."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shoplink.audience.services import create_list
from shoplink.integrations.shopify.connection.status import WRITE_SCOPE_REASON
from shoplink.integrations.shopify.models import ShopifyStore

pytestmark = pytest.mark.django_db

READ = ["read_customers", "read_orders", "read_products"]
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


@pytest.fixture
def store(project):
    return ShopifyStore.objects.create(
        project=project, domain="drawer-shop.myshopify.com", name="Drawer Shop", granted_scopes=READ
    )


def drawer(client, store):
    response = client.get(reverse("shopify:sync_settings", args=[store.pk]))
    assert response.status_code == 200
    return response.content.decode()


def toggle_checked(html: str, field: str) -> bool:
    tag = re.search(rf'<input[^>]*data-field="{field}"[^>]*>', html).group(0)
    return " checked" in tag


def toggle(client, store, field, on):
    data = {"field": field, **({"value": "on"} if on else {})}
    return client.post(
        reverse("shopify:sync_toggle", args=[store.pk]), data, HTTP_HX_REQUEST="true"
    )


def test_drawer_shows_exact_labels_and_defaults(admin_client, store):
    html = drawer(admin_client, store)
    assert "Sync data from Shopify" in html and "Sync data to Shopify" in html
    for label in INBOUND + OUTBOUND:
        assert label in html
    for field in ("sync_customers", "sync_email_consent", "sync_sms_consent", "sync_orders"):
        assert toggle_checked(html, field)
    assert toggle_checked(html, "sync_products")
    for field in ("push_profile", "push_email_consent", "push_sms_consent", "push_engagement"):
        assert not toggle_checked(html, field)
    assert "Sync status" in html and "Start initial sync" in html
    for entity in ("Customers", "Orders", "Products", "Collections"):
        assert f"<td>{entity}</td>" in html


def test_only_admins_open_the_drawer(editor_client, viewer_client, store):
    url = reverse("shopify:sync_settings", args=[store.pk])
    assert editor_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert editor_client.post(reverse("shopify:sync_start", args=[store.pk])).status_code == 403


def test_toggle_saves_on_change_and_hides_the_picker(admin_client, store, project):
    other = ShopifyStore.objects.create(project=project, domain="other-shop.myshopify.com")
    assert 'name="customer_list"' in drawer(admin_client, store)

    response = toggle(admin_client, store, "sync_customers", False)

    assert response.status_code == 200
    assert 'name="customer_list"' not in response.content.decode()
    assert "toast" in response.headers["HX-Trigger"]
    store.refresh_from_db()
    assert store.sync_customers is False
    html = drawer(admin_client, store)  # reopened: the saved state
    assert not toggle_checked(html, "sync_customers")
    assert 'name="customer_list"' not in html
    assert re.search(r'data-entity="customers" data-state="off"', html)
    other.refresh_from_db()
    assert other.sync_customers is True  # other stores are untouched

    toggle(admin_client, store, "sync_customers", True)
    assert 'name="customer_list"' in drawer(admin_client, store)


def test_lists_of_other_stores_are_greyed_out(admin_client, store, project):
    taken = create_list(project, "Taken list")
    free = create_list(project, "Free list")
    ShopifyStore.objects.create(
        project=project, domain="owner-shop.myshopify.com", customer_list=taken
    )
    html = drawer(admin_client, store)

    assert re.search(rf'<option value="{taken.pk}"[^>]* disabled>Taken list', html)
    assert re.search(rf'<option value="{free.pk}">Free list', html)
    assert "Create a new list" in html

    url = reverse("shopify:sync_list", args=[store.pk])
    refused = admin_client.post(url, {"customer_list": str(taken.pk)})
    assert "another store" in refused.headers["HX-Trigger"]
    store.refresh_from_db()
    assert store.customer_list_id is None

    admin_client.post(url, {"customer_list": str(free.pk)})
    store.refresh_from_db()
    assert store.customer_list == free


def test_create_a_new_list_is_named_after_the_store(admin_client, store):
    admin_client.post(reverse("shopify:sync_list", args=[store.pk]), {"customer_list": "new"})
    store.refresh_from_db()
    assert store.customer_list.name == "Drawer Shop customers"
    assert re.search(
        rf'<option value="{store.customer_list.pk}" selected>Drawer Shop customers',
        drawer(admin_client, store),
    )


def test_write_toggle_without_write_scope_warns_before_saving(admin_client, store):
    # Turning it on first asks (issue 17): nothing is saved, no "Sync settings saved".
    response = toggle(admin_client, store, "push_profile", True)
    html = response.content.decode()
    assert "HX-Trigger" not in response.headers
    assert "Shopify will ask for permission to update customers (write_customers)" in html
    assert ">Turn on and reconnect</button>" in html and ">Keep it off</button>" in html
    assert not toggle_checked(html, "push_profile")
    store.refresh_from_db()
    assert store.push_profile is False and store.status == "connected"

    # "Turn on, reconnect later" saves it; the store then waits for the Reconnect (D7).
    response = admin_client.post(
        reverse("shopify:sync_toggle", args=[store.pk]),
        {"field": "push_profile", "value": "on", "confirm": "later"},
        HTTP_HX_REQUEST="true",
    )
    assert "Sync settings saved" in response.headers["HX-Trigger"]
    store.refresh_from_db()
    assert store.push_profile is True
    assert store.status == "reconnect_required"
    assert store.reconnect_reason == WRITE_SCOPE_REASON


def test_write_toggle_turn_on_and_reconnect_leaves_for_shopify(admin_client, store):
    response = admin_client.post(
        reverse("shopify:sync_toggle", args=[store.pk]),
        {"field": "push_profile", "value": "on", "confirm": "reconnect"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "/admin/oauth/authorize" in response["HX-Redirect"]
    assert "write_customers" in response["HX-Redirect"]
    store.refresh_from_db()
    assert store.push_profile is True


def test_write_toggle_with_the_scope_saves_at_once(admin_client, store):
    store.granted_scopes = [*READ, "write_customers"]
    store.save(update_fields=["granted_scopes"])
    response = toggle(admin_client, store, "push_profile", True)
    assert "Sync settings saved" in response.headers["HX-Trigger"]
    store.refresh_from_db()
    assert store.push_profile is True and store.status == "connected"


def test_resync_disabled_says_why_and_offers_reconnect(admin_client, store):
    store.reconnect_reason = WRITE_SCOPE_REASON
    store.status = "reconnect_required"
    store.save(update_fields=["reconnect_reason", "status"])
    html = drawer(admin_client, store)
    button = re.search(r'<button[^>]*id="sync-start-[^>]*>', html).group(0)
    assert "disabled" in button
    assert f'aria-describedby="sync-blocked-{store.pk}"' in button
    reason = re.search(r'<p class="sync-blocked meta"[^>]*>([^<]*)</p>', html).group(1)
    assert "Use Reconnect, here or in the card menu." in reason
    assert "sync-reconnect" in html


def test_resync_disabled_while_unavailable_says_check_health(admin_client, store):
    store.unavailable_reason = "Store unavailable in Shopify (payment required / locked)"
    store.status = "error"
    store.save(update_fields=["unavailable_reason", "status"])
    html = drawer(admin_client, store)
    reason = re.search(r'<p class="sync-blocked meta"[^>]*>([^<]*)</p>', html).group(1)
    assert "payment required or locked" in reason and "Check health" in reason
    assert "sync-reconnect" not in html


def test_unknown_toggle_is_refused(admin_client, store):
    response = toggle(admin_client, store, "access_token_enc", True)
    assert "Unknown sync setting" in response.headers["HX-Trigger"]


def test_data_to_shopify_section_opens_the_dry_run_drawer(admin_client, store):
    html = drawer(admin_client, store)
    outbound = html.split("Sync data to Shopify", 1)[1]
    url = reverse("shopify:writeback_preview", args=[store.pk])
    button = re.search(r"<button[^>]*>Preview what will be written</button>", outbound).group(0)
    assert f'hx-get="{url}"' in button and 'hx-target="#drawer-root"' in button
    response = admin_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Data to Shopify dry run" in response.content.decode()


def test_each_synced_row_counts_its_records_and_links_to_them(admin_client, store, project):
    """Issue 16 item 2: from a Synced row to the store's records (the guide's "Missing data")."""
    from shoplink.commerce.models import Order
    from shoplink.integrations.shopify.models import EntitySync

    store.customer_list = create_list(project, "Drawer Shop customers")
    store.save()
    for n in range(3):
        Order.objects.create(project=project, source=store.source, external_id=str(n))
    Order.objects.create(project=project, source="shopify:other.myshopify.com", external_id="9")
    for entity in ("customers", "orders", "products", "collections"):
        EntitySync.objects.create(store=store, entity=entity, state="synced", done=3)
    html = drawer(admin_client, store)
    orders = re.search(r'data-entity="orders".*?</tr>', html, re.S).group(0)
    assert (
        '<a class="sync-held small" href="/commerce/orders/?store=drawer-shop.myshopify.com">'
        "3 in Shoplink</a>"
    ) in orders
    customers = re.search(r'data-entity="customers".*?</tr>', html, re.S).group(0)
    assert f'href="/lists/{store.customer_list_id}/">0 in Shoplink</a>' in customers
    # The link lands on that store's orders only.
    page = admin_client.get("/commerce/orders/?store=drawer-shop.myshopify.com").content.decode()
    assert "3 in all" in page
