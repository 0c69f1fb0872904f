"""A shop that changes hands (D2: disconnect there, connect here) loses nothing (issue 12).

Project A connects shop X through the simulator's install page, disconnects it, and
project B connects X. Every action that touches a shop is then run on one side and the
other side's card, data, inbox and Shopify install are checked untouched.
"""

from __future__ import annotations

import json

import pytest

from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.integrations.shopify.connection import subscriptions
from shoplink.integrations.shopify.models import (
    DeliveryState,
    ShopifyStore,
    StoreStatus,
    WebhookDelivery,
)
from shoplink.integrations.shopify.tests.connect_helpers import connect
from shoplink.integrations.shopify.tests.webhook_helpers import load, post, sender

pytestmark = [pytest.mark.simulator, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01


@pytest.fixture
def second(make_user):
    """Project B and its admin's browser."""
    from django.test import Client

    from shoplink.projects.services import create_project

    project_b = create_project("Project B")
    client = Client()
    client.force_login(make_user("bob", project_b, "admin"))
    return project_b, client


@pytest.fixture
def moved(admin_client, second, shopify_sim, unique_shop):
    """X connected to A, disconnected there, then connected to B; both hold data from X."""
    shopify_sim.control("POST", "/shops", {"domain": unique_shop, "customers": 2, "orders": 1})
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"webhooks": {"drop_rate": 1.0}})
    connect(admin_client, unique_shop)
    old = ShopifyStore.objects.get(domain=unique_shop)
    admin_client.post(f"/integrations/shopify/stores/{old.pk}/disconnect/", HTTP_HX_REQUEST="true")
    project_b, client_b = second
    connect(client_b, unique_shop)
    new = ShopifyStore.objects.get(domain=unique_shop, project=project_b)
    subscriptions.sync_subscriptions(new)
    for store in (old, new):
        Contact.objects.create(
            project=store.project, external_id="191167", source=store.source, email="j@x.test"
        )
        Contact.objects.create(
            project=store.project, external_id="555", source=store.source, email="k@x.test"
        )
        Order.objects.create(project=store.project, source=store.source, external_id="299938")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (StoreStatus.DISCONNECTED, StoreStatus.CONNECTED)
    return old, new


def _b_is_whole(new, shopify_sim, *, contacts: int = 2) -> None:
    new.refresh_from_db()
    assert new.status == StoreStatus.CONNECTED, new.reconnect_reason
    shop = shopify_sim.control("GET", f"/shops/{new.domain}")
    assert shop["installed"] is True
    assert {s["topic"] for s in subscriptions.list_subscriptions(new)} >= (
        subscriptions.expected_topics(new)
    )
    assert Contact.objects.filter(project=new.project, source=new.source).count() == contacts
    assert Order.objects.filter(project=new.project).count() == 1


def test_deleting_the_old_card_leaves_the_new_owner_whole(
    admin_client, client, moved, shopify_sim, django_capture_on_commit_callbacks
):
    old, new = moved
    # A customers/redact for B, received but not yet processed when A deletes its card.
    body = json.dumps(load("customers/redact", shop=new.domain)).encode()
    assert (
        post(client, "customers/redact", body, new.domain, webhook_id="pending").status_code == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/integrations/shopify/stores/{old.pk}/delete/",
            {"confirm_domain": old.domain},
            HTTP_HX_REQUEST="true",
        )
    assert not ShopifyStore.objects.filter(pk=old.pk).exists()
    assert not Contact.objects.filter(project=old.project).exists()
    _b_is_whole(new, shopify_sim)
    # B's delivery is still there (processed for B, or waiting for its drain).
    assert WebhookDelivery.objects.get(webhook_id="pending").state in (
        DeliveryState.RECEIVED,
        DeliveryState.PROCESSED,
    )


def test_disconnect_and_reconnect_attempts_of_the_old_card_leave_the_new_owner_whole(
    admin_client, moved, shopify_sim
):
    old, new = moved
    admin_client.post(f"/integrations/shopify/stores/{old.pk}/disconnect/", HTTP_HX_REQUEST="true")
    answer = admin_client.post(
        f"/integrations/shopify/stores/{old.pk}/reconnect/", HTTP_HX_REQUEST="true"
    )
    assert "HX-Redirect" not in answer  # the shop is linked elsewhere
    _b_is_whole(new, shopify_sim)
    old.refresh_from_db()
    assert old.status == StoreStatus.DISCONNECTED


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact", "shop/redact"])
def test_a_compliance_topic_for_another_shop_leaves_both_cards_whole(
    client, moved, shopify_sim, django_capture_on_commit_callbacks, topic
):
    old, new = moved
    send = sender(client, django_capture_on_commit_callbacks)
    other = "someone-else.myshopify.com"
    assert send(topic, load(topic, shop=other), other).status_code == 200
    _b_is_whole(new, shopify_sim)
    assert Contact.objects.filter(project=old.project, source=old.source).count() == 2
    assert not new.activity.filter(kind__startswith="privacy").exists()


def test_customers_redact_erases_that_customer_only_wherever_the_shop_left_it(
    client, moved, shopify_sim, django_capture_on_commit_callbacks
):
    old, new = moved
    send = sender(client, django_capture_on_commit_callbacks)
    assert send("customers/redact", load("customers/redact", shop=new.domain), new.domain)
    for store in (old, new):
        redacted = Contact.objects.get(project=store.project, external_id="191167")
        assert redacted.email == ""
        assert Contact.objects.get(project=store.project, external_id="555").email == "k@x.test"
    new.refresh_from_db()
    assert new.status == StoreStatus.CONNECTED
    assert shopify_sim.control("GET", f"/shops/{new.domain}")["installed"] is True


def test_the_json_api_delete_of_the_old_card_leaves_the_new_owner_whole(
    moved, shopify_sim, django_capture_on_commit_callbacks
):
    from django.test import Client

    from shoplink.api.models import ApiKey

    old, new = moved
    _, raw = ApiKey.issue(old.project, "tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.delete(
            f"/api/v1/stores/{old.pk}",
            {"confirm_domain": old.domain},
            content_type="application/json",
        )
    assert answer.status_code in (200, 202), answer.content
    assert not ShopifyStore.objects.filter(pk=old.pk).exists()
    _b_is_whole(new, shopify_sim)


def test_the_reconciliation_pass_touches_only_the_live_connection(moved, shopify_sim):
    """The 30-minute pass (D18) reconciles B's store from the shop; A's card keeps its
    own rows and is not reconciled, and B's install and subscriptions stay."""
    from shoplink.integrations.shopify.jobs.sync import reconcile_all

    old, new = moved
    ShopifyStore.objects.filter(pk=new.pk).update(initial_sync_completed_at=old.created_at)
    a_before = sorted(Contact.objects.filter(project=old.project).values_list("pk", "email"))
    reconcile_all.call_local()
    old.refresh_from_db()
    assert old.last_reconciled_at is None
    assert sorted(Contact.objects.filter(project=old.project).values_list("pk", "email")) == (
        a_before
    )
    assert Order.objects.filter(project=old.project).count() == 1
    new.refresh_from_db()
    assert new.last_reconciled_at is not None
    assert shopify_sim.control("GET", f"/shops/{new.domain}")["installed"] is True
    assert {s["topic"] for s in subscriptions.list_subscriptions(new)} >= (
        subscriptions.expected_topics(new)
    )


def test_a_health_check_of_the_old_card_makes_no_shopify_call(admin_client, moved, shopify_sim):
    old, new = moved
    calls = shopify_sim.control("GET", f"/shops/{new.domain}/tokens")["issued"]
    shopify_sim.control("POST", f"/shops/{new.domain}/faults", {"error_rate": 1.0})
    try:
        admin_client.post(f"/integrations/shopify/stores/{old.pk}/health/", HTTP_HX_REQUEST="true")
    finally:
        shopify_sim.control("POST", f"/shops/{new.domain}/faults", {"error_rate": 0.0})
    old.refresh_from_db()
    assert old.last_failure["technical"]["shopify_code"] == "NOT_LIVE"
    assert "now connected to another project" in str(old.last_failure)
    assert shopify_sim.control("GET", f"/shops/{new.domain}/tokens")["issued"] == calls
    _b_is_whole(new, shopify_sim)
