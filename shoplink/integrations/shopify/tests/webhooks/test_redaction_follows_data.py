"""Redaction follows the data, not only the first source (issue 12, defect 4).

Each case is a record the previous redaction left behind: an export made earlier, a
guest checkout or order matched only by email or phone, fulfillment tracking, and a
contact first created through the JSON API and then merged with the shop's customer.
"""

from __future__ import annotations

import copy

import pytest
from django.test import Client
from django.urls import reverse

from shoplink.api.models import ApiKey
from shoplink.audience.models import Contact
from shoplink.commerce.models import Checkout, Order
from shoplink.integrations.shopify.models import ActivityEntry
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender

SHOP = "snowdevil.myshopify.com"
JOHN = 191167  # the compliance samples' customer (john@example.com)
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def _order(order_id: int, **fields) -> dict:
    return dict(copy.deepcopy(load("orders/updated")), id=order_id, **fields)


def test_an_earlier_export_is_erased_by_customers_redact(store, admin_client, deliver):
    deliver("customers/data_request", load("customers/data_request", shop=SHOP), SHOP)
    entry = ActivityEntry.objects.get(kind="privacy_export")
    url = reverse("shopify:privacy_export", args=[store.pk, entry.pk])
    assert admin_client.get(url).status_code == 200
    deliver("customers/redact", load("customers/redact", shop=SHOP), SHOP)
    assert admin_client.get(url).status_code == 404
    entry.refresh_from_db()
    assert "export" not in entry.detail and entry.detail["erased"] is True


def test_guest_checkouts_and_orders_with_the_email_are_redacted(store, deliver):
    guest_checkout = dict(
        copy.deepcopy(load("checkouts/update")), customer=None, email="John@Example.com"
    )
    deliver("checkouts/create", guest_checkout, SHOP)
    deliver("orders/create", _order(4001, customer=None, email="john@example.COM"), SHOP)
    deliver("orders/create", _order(4002, customer=None, email="someone@else.test"), SHOP)
    deliver("customers/redact", load("customers/redact", shop=SHOP), SHOP)
    assert Checkout.objects.get().email == ""
    guest = Order.objects.get(external_id="4001")
    assert (guest.email, guest.shipping_address) == ("", None)
    kept = Order.objects.get(external_id="4002")
    assert kept.email == "someone@else.test" and kept.shipping_address is not None


def test_fulfillment_tracking_goes_and_amounts_stay(store, deliver):
    fulfillment = {
        "id": 1,
        "status": "success",
        "tracking_company": "UPS",
        "tracking_numbers": ["1Z999AA10123456784"],
        "tracking_urls": ["https://www.ups.com/track?tracknum=1Z999AA10123456784"],
        "line_items": [],
    }
    john = dict(copy.deepcopy(load("customers/update")), id=JOHN, email="john@example.com")
    deliver("customers/create", john, SHOP)
    deliver(
        "orders/create", _order(299938, customer={"id": JOHN}, fulfillments=[fulfillment]), SHOP
    )
    before = Order.objects.get(external_id="299938")
    assert before.fulfillments[0]["tracking_numbers"]
    deliver("customers/redact", load("customers/redact", shop=SHOP), SHOP)
    order = Order.objects.get(external_id="299938")
    assert order.fulfillments[0]["tracking_numbers"] == []
    assert order.fulfillments[0]["tracking_urls"] == []
    assert order.fulfillments[0]["tracking_company"] is None
    assert "1Z999" not in str(order.fulfillments)
    assert (order.total_price, order.currency) == (before.total_price, before.currency)
    assert order.line_items == before.line_items


@pytest.fixture
def api_contact(project, store, deliver):
    """John created through the JSON API first, then the shop's customer merged into him."""
    _, raw = ApiKey.issue(project, "crm")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answer = api.post(
        "/api/v1/contacts",
        {"contacts": [{"external_id": str(JOHN), "email": "john@example.com", "zip": "K2P"}]},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = dict(copy.deepcopy(load("customers/update")), id=JOHN, email="john@example.com")
    deliver("customers/update", body, SHOP)
    contact = Contact.objects.get(project=project, external_id=str(JOHN))
    assert contact.source != store.source and contact.last_name == "Biller"  # merged
    return contact


def test_customers_redact_erases_a_contact_first_created_through_the_api(
    api_contact, deliver, store
):
    deliver("customers/redact", load("customers/redact", shop=SHOP), SHOP)
    api_contact.refresh_from_db()
    assert (api_contact.email, api_contact.last_name, api_contact.city) == ("", "", "")
    entry = ActivityEntry.objects.get(store=store, kind="privacy_redact")
    assert "contacts 1" in entry.message and entry.detail["contacts"] == 1


def test_shop_redact_anonymises_a_contact_first_created_through_the_api(
    api_contact, deliver, store
):
    deliver("orders/create", _order(299938, customer={"id": JOHN}), SHOP)
    assert Order.objects.filter(external_id="299938").exists()
    deliver("shop/redact", load("shop/redact", shop=SHOP), SHOP)
    api_contact.refresh_from_db()
    assert (api_contact.email, api_contact.last_name, api_contact.city) == ("", "", "")
    entry = ActivityEntry.objects.get(store=store, kind="privacy_shop_redact")
    assert "contacts anonymised 1" in entry.message
