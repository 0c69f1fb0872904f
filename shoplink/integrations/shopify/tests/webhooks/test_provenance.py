"""Signed bodies cannot be replayed under another shop, topic or much later (issue 12, defect 2).

Shopify signs the body only; these tests take a body correctly signed with the app's
secret and change what an attacker can change (the unsigned headers), through the
receiver's HTTP surface.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shoplink.audience.models import Contact
from shoplink.core import clock
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, post, sender
from shoplink.integrations.shopify.webhooks import provenance

SHOP = "snowdevil.myshopify.com"
VICTIM = "victim.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def stores(project):
    from shoplink.projects.services import create_project

    return make_store(project, SHOP), make_store(create_project("Victim"), VICTIM, name="V")


def _refused(webhook_id: str, note: str) -> None:
    row = WebhookDelivery.objects.get(webhook_id=webhook_id)
    assert (row.state, row.note, row.body) == (DeliveryState.REJECTED, note, None)


def test_a_compliance_body_of_one_shop_cannot_be_sent_for_another(stores, deliver):
    victim = stores[1]
    Contact.objects.create(project=victim.project, external_id="1", source=victim.source)
    body = load("shop/redact", shop=SHOP)
    response = deliver("shop/redact", body, VICTIM, webhook_id="swap-shop")
    assert response.status_code == 400
    _refused("swap-shop", provenance.MSG_SHOP_MISMATCH)
    assert Contact.objects.filter(project=victim.project).count() == 1


def test_a_customers_redact_body_cannot_pass_for_a_shop_redact(stores, deliver):
    own = stores[0]
    Contact.objects.create(project=own.project, external_id="5", source=own.source)
    body = load("customers/redact", shop=SHOP)
    response = deliver("shop/redact", body, SHOP, webhook_id="swap-topic")
    assert response.status_code == 400
    _refused("swap-topic", "Body is not a shop/redact request")
    assert Contact.objects.filter(project=own.project).count() == 1


@pytest.mark.parametrize(
    "topic, fixture",
    [
        ("shop/redact", "products/update"),
        ("customers/redact", "orders/updated"),
        ("customers/data_request", "customers/redact"),
    ],
)
def test_any_other_signed_body_cannot_pass_for_a_compliance_topic(stores, deliver, topic, fixture):
    response = deliver(topic, load(fixture, shop=SHOP), SHOP, webhook_id="other-body")
    assert response.status_code == 400
    _refused("other-body", f"Body is not a {topic} request")


def test_an_app_uninstalled_for_another_shop_is_refused(stores, deliver):
    shop_resource = {"id": 1, "domain": "shop.example.com", "myshopify_domain": SHOP}
    response = deliver("app/uninstalled", shop_resource, VICTIM, webhook_id="swap-uninstall")
    assert response.status_code == 400
    stores[1].refresh_from_db()
    assert stores[1].status == "connected"
    # The genuine one (the header's shop in the body; a custom primary domain is fine).
    assert deliver("app/uninstalled", shop_resource, SHOP).status_code == 200


@pytest.mark.parametrize(
    "age", [dt.timedelta(hours=5), dt.timedelta(days=30), -dt.timedelta(hours=1)]
)
def test_a_delivery_triggered_outside_the_retry_window_is_refused(stores, deliver, age):
    when = (clock.now() - age).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = load("shop/redact", shop=SHOP)
    response = deliver("shop/redact", body, SHOP, webhook_id="old", triggered_at=when)
    assert response.status_code == 400
    _refused("old", provenance.MSG_TOO_OLD)


def test_a_retry_inside_the_window_is_accepted(stores, deliver):
    when = (clock.now() - dt.timedelta(hours=3, minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = deliver("products/update", load("products/update"), SHOP, triggered_at=when)
    assert response.status_code == 200


def test_a_delivery_without_triggered_at_is_refused(client, stores):
    body = json.dumps(load("products/update")).encode()
    response = post(client, "products/update", body, SHOP, webhook_id="no-t", triggered_at="")
    assert response.status_code == 400
    _refused("no-t", provenance.MSG_NO_TRIGGERED_AT)


def test_the_dedupe_key_stays_the_webhook_id(stores, deliver):
    body = load("products/update")
    assert deliver("products/update", body, SHOP, webhook_id="same").status_code == 200
    assert deliver("products/update", body, SHOP, webhook_id="same").status_code == 200
    assert deliver("products/update", body, SHOP, webhook_id="other").status_code == 200
    assert WebhookDelivery.objects.filter(state=DeliveryState.PROCESSED).count() == 2


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact", "shop/redact"])
def test_the_genuine_compliance_samples_are_accepted(stores, deliver, topic):
    assert deliver(topic, load(topic, shop=SHOP), SHOP, webhook_id="ok").status_code == 200
    assert WebhookDelivery.objects.get(webhook_id="ok").state == DeliveryState.PROCESSED
