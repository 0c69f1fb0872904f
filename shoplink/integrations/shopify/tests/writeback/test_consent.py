"""Opt-out propagation (D21) against the real simulator, echo webhook included."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.audience.models import Consent
from shoplink.events.models import Event
from shoplink.integrations.shopify.connection.status import WRITE_SCOPE_REASON
from shoplink.integrations.shopify.models import ActivityEntry, StoreStatus, WebhookDelivery
from shoplink.integrations.shopify.tests.writeback_support import (
    READ_SCOPES,
    connect_store,
    create_customer,
    get_customer,
    import_contact,
)

EMAIL_TOPIC = "customers_email_marketing_consent/update"


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def set_consent(api, external_id, channel, state):
    response = api.post(
        f"/api/v1/contacts/{external_id}/consent",
        {"channel": channel, "state": state},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def subscribed_customer(sim, shop, **fields):
    customer = create_customer(sim, shop, email=f"c{time.monotonic_ns()}@example.com", **fields)
    sim.control(
        "POST",
        f"/shops/{shop}/customers/{customer['id']}/consent",
        {"channel": "email", "state": "subscribed", "opt_in_level": "SINGLE_OPT_IN"},
    )
    return get_customer(sim, shop, customer["id"])


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_local_email_unsubscribe_reaches_shopify_and_its_echo_emits_no_event(
    shopify_sim, project, unique_shop, api, live_server, settings
):
    from shoplink.integrations.shopify.connection import subscriptions

    settings.APP_URL = live_server.url
    store = connect_store(shopify_sim, project, unique_shop, push_email_consent=True)
    customer = subscribed_customer(shopify_sim, unique_shop)
    import_contact(store, customer["id"], email=customer["email"])
    subscriptions.sync_subscriptions(store)  # so the echo webhook comes back to us
    consent_events = Event.objects.filter(project=project, name__contains="consent")
    events_before = consent_events.count()

    set_consent(api, str(customer["id"]), "email", "unsubscribed")

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["emailMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
    row = Consent.objects.get(contact__external_id=str(customer["id"]), channel="email")
    assert (row.state, row.source_state) == ("unsubscribed", "UNSUBSCRIBED")
    assert ActivityEntry.objects.filter(store=store, kind="writeback").exists()
    # the echo arrives and is processed, and changes nothing
    assert wait_for(
        lambda: WebhookDelivery.objects.filter(
            shop_domain=unique_shop, topic=EMAIL_TOPIC, processed_at__isnull=False
        ).exists()
    ), "the consent echo webhook never arrived"
    assert consent_events.count() == events_before
    row.refresh_from_db()
    assert (row.state, row.source_state) == ("unsubscribed", "UNSUBSCRIBED")


@pytest.mark.django_db(transaction=True)
def test_a_local_sms_unsubscribe_reaches_shopify(shopify_sim, project, unique_shop, api):
    store = connect_store(shopify_sim, project, unique_shop, push_sms_consent=True)
    customer = create_customer(shopify_sim, unique_shop, phone="+14155550177")
    shopify_sim.control(
        "POST",
        f"/shops/{unique_shop}/customers/{customer['id']}/consent",
        {"channel": "sms", "state": "subscribed", "opt_in_level": "SINGLE_OPT_IN"},
    )
    import_contact(store, customer["id"], phone="+14155550177")

    set_consent(api, str(customer["id"]), "sms", "unsubscribed")

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["smsMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"


@pytest.mark.django_db(transaction=True)
def test_only_opt_outs_are_pushed(shopify_sim, project, unique_shop, api):
    store = connect_store(
        shopify_sim, project, unique_shop, push_email_consent=True, push_sms_consent=True
    )
    customer = create_customer(shopify_sim, unique_shop, email="optin@example.com")
    import_contact(store, customer["id"], email="optin@example.com")
    before = get_customer(shopify_sim, unique_shop, customer["id"])

    set_consent(api, str(customer["id"]), "email", "subscribed")

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["emailMarketingConsent"] == before["emailMarketingConsent"]
    assert not ActivityEntry.objects.filter(store=store, kind__startswith="writeback").exists()


@pytest.mark.django_db(transaction=True)
def test_with_the_toggle_off_an_unsubscribe_stays_local(shopify_sim, project, unique_shop, api):
    store = connect_store(shopify_sim, project, unique_shop, push_email_consent=False)
    customer = subscribed_customer(shopify_sim, unique_shop)
    import_contact(store, customer["id"], email=customer["email"])

    set_consent(api, str(customer["id"]), "email", "unsubscribed")

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["emailMarketingConsent"]["marketingState"] == "SUBSCRIBED"


@pytest.mark.django_db(transaction=True)
def test_a_customer_without_a_phone_is_recorded_as_rejected(shopify_sim, project, unique_shop, api):
    """Shopify takes SMS consent only for a customer with a phone (PLATFORM trap 20)."""
    store = connect_store(shopify_sim, project, unique_shop, push_sms_consent=True)
    customer = create_customer(shopify_sim, unique_shop, phone=None, email="nophone@example.com")
    # our contact has a phone Shopify does not know: Shopify's userErrors decide
    import_contact(store, customer["id"], phone="+14155550100")

    set_consent(api, str(customer["id"]), "sms", "unsubscribed")

    entry = ActivityEntry.objects.get(store=store, kind="writeback_rejected")
    assert entry.detail["operation"] == "customerSmsMarketingConsentUpdate"
    assert "phone" in entry.message
    # Shopify kept its old state, and so does our copy of it
    row = Consent.objects.get(contact__external_id=str(customer["id"]), channel="sms")
    assert (row.state, row.source_state) == ("unsubscribed", "")
    store.refresh_from_db()
    assert store.status == StoreStatus.CONNECTED  # one rejected record is not a store error


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_without_write_customers_sets_reconnect_required(
    shopify_sim, project, unique_shop, api
):
    store = connect_store(
        shopify_sim, project, unique_shop, scopes=READ_SCOPES, push_email_consent=True
    )
    customer = subscribed_customer(shopify_sim, unique_shop)
    import_contact(store, customer["id"], email=customer["email"])

    set_consent(api, str(customer["id"]), "email", "unsubscribed")

    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert store.reconnect_reason == WRITE_SCOPE_REASON
    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["emailMarketingConsent"]["marketingState"] == "SUBSCRIBED"
