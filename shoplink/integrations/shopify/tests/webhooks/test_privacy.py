"""The privacy topics (D26): what each erases or exports, and the Activity it leaves."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse

from shoplink.audience.models import Consent, Contact
from shoplink.audience.services import create_contact
from shoplink.commerce.models import Checkout, Order, Product
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import ActivityEntry
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender

SHOP = "snowdevil.myshopify.com"
JOHN = "191167"  # the customer named by the compliance samples
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project, deliver):
    store = make_store(project, SHOP)
    for cid, email in ((JOHN, "john@example.com"), ("555", "other@example.com")):
        body = dict(copy.deepcopy(load("customers/update")), id=int(cid), email=email)
        deliver("customers/create", body, SHOP)
        consent = {
            "customer_id": int(cid),
            "email_address": email,
            "email_marketing_consent": {
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": "2022-01-01T00:00:00Z",
            },
        }
        deliver("customers_email_marketing_consent/update", consent, SHOP)
    for oid, cid in ((299938, JOHN), (777, "555")):
        order = dict(load("orders/updated"), id=oid, customer={"id": int(cid)})
        deliver("orders/create", order, SHOP)
    checkout = dict(load("checkouts/update"), customer={"id": int(JOHN)})
    deliver("checkouts/create", checkout, SHOP)
    deliver("products/update", load("products/update"), SHOP)
    return store


def test_customers_redact_erases_that_customer_only(store, project, deliver):
    assert Event.objects.filter(contact__external_id=JOHN).exists()
    deliver("customers/redact", load("customers/redact", shop=SHOP), SHOP)
    john = Contact.objects.get(project=project, external_id=JOHN)
    assert (john.email, john.first_name, john.city, john.tags) == ("", "", "", [])
    assert not Consent.objects.filter(contact=john).exists()
    assert not Event.objects.filter(contact=john).exists()
    assert not Event.objects.filter(contact_external_id=JOHN).exists()
    assert Order.objects.get(external_id="299938").email == ""
    assert Order.objects.get(external_id="299938").shipping_address is None
    assert Checkout.objects.get().email == ""
    other = Contact.objects.get(project=project, external_id="555")
    assert other.email == "other@example.com"
    assert Event.objects.filter(contact=other).exists()
    assert Order.objects.get(external_id="777").email == "jon@example.com"
    entry = ActivityEntry.objects.get(store=store, kind="privacy_redact")
    assert entry.message == f"Customer {JOHN} erased (customers/redact)"


def test_shop_redact_erases_everything_from_the_store(store, project, deliver):
    mine = create_contact(project, external_id="local-1", email="local@example.com")
    deliver("shop/redact", load("shop/redact", shop=SHOP), SHOP)
    assert list(Contact.objects.filter(project=project)) == [mine]
    assert not Order.objects.exists() and not Checkout.objects.exists()
    assert not Product.objects.exists()
    assert not Event.objects.filter(source=store.source).exists()
    store.customer_list.refresh_from_db()
    assert store.customer_list.size == 0
    assert ActivityEntry.objects.filter(store=store, kind="privacy_shop_redact").exists()


def test_data_request_export_is_downloadable_by_a_project_admin_only(
    store, deliver, admin_client, editor_client
):
    deliver("customers/data_request", load("customers/data_request", shop=SHOP), SHOP)
    activity = admin_client.get(reverse("shopify:activity", args=[store.pk]))
    assert b"Data request for customer 191167: export ready" in activity.content
    entry = ActivityEntry.objects.get(store=store, kind="privacy_export")
    url = reverse("shopify:privacy_export", args=[store.pk, entry.pk])
    assert url.encode() in activity.content
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    export = json.loads(response.content)
    assert export["customer_id"] == JOHN
    assert export["profile"]["email"] == "john@example.com"
    assert [o["order_id"] for o in export["orders"]] == ["299938"]
    assert export["consent"][0]["state"] == "subscribed"
    assert {e["name"] for e in export["events"]} >= {"shopify_customer_created"}
    assert editor_client.get(url).status_code == 403


def test_an_export_of_another_project_is_not_found(store, deliver, make_user):
    from django.test import Client

    from shoplink.projects.services import create_project

    deliver("customers/data_request", load("customers/data_request", shop=SHOP), SHOP)
    entry = ActivityEntry.objects.get(kind="privacy_export")
    other = create_project("Other")
    client = Client()
    client.force_login(make_user("mallory", other, "admin"))
    url = reverse("shopify:privacy_export", args=[store.pk, entry.pk])
    assert client.get(url).status_code == 404
