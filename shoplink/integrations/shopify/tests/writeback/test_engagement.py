"""Engagement metafields (D27, D28) against the real simulator."""

from __future__ import annotations

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.audience.services import update_attributes
from shoplink.integrations.shopify.jobs import writeback as tasks_writeback
from shoplink.integrations.shopify.models import ActivityEntry, StoreStatus
from shoplink.integrations.shopify.tests.writeback_support import (
    READ_SCOPES,
    connect_store,
    create_customer,
    import_contact,
    metafields_of,
)


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def record(api, *events):
    response = api.post("/api/v1/events", {"events": list(events)}, content_type="application/json")
    assert response.status_code == 200, response.content


def engaged_contacts(sim, store, n):
    """``n`` customers in Shopify and as contacts here, each with all four event kinds."""
    out = []
    for i in range(n):
        customer = create_customer(sim, store.domain, email=f"e{i}@example.com")
        out.append(
            (customer["id"], import_contact(store, customer["id"], email=f"e{i}@example.com"))
        )
    return out


def all_events(external_id):
    return [
        {"name": "email_opened", "contact": external_id, "occurred_at": "2026-11-28T09:00:00Z"},
        {"name": "email_opened", "contact": external_id, "occurred_at": "2026-11-29T10:30:00Z"},
        {"name": "email_clicked", "contact": external_id, "occurred_at": "2026-11-29T10:31:05Z"},
        {"name": "sms_clicked", "contact": external_id, "occurred_at": "2026-11-30T08:00:00+01:00"},
        {"name": "message_sent", "contact": external_id},
        {"name": "message_sent", "contact": external_id},
        {"name": "message_sent", "contact": external_id},
    ]


def test_engagement_is_written_with_the_specified_keys_types_and_values(
    shopify_sim, project, unique_shop, api
):
    store = connect_store(shopify_sim, project, unique_shop, push_engagement=True)
    [(customer_id, contact)] = engaged_contacts(shopify_sim, store, 1)
    record(api, *all_events(contact.external_id))
    update_attributes(project, {contact.pk: {"shopify_rfm_segment": "champions"}})

    assert tasks_writeback.writeback_pass.call_local() == 1

    assert metafields_of(shopify_sim, store, customer_id) == {
        "last_email_open_at": ("$app:engagement", "date_time", "2026-11-29T10:30:00"),
        "last_email_click_at": ("$app:engagement", "date_time", "2026-11-29T10:31:05"),
        "last_sms_click_at": ("$app:engagement", "date_time", "2026-11-30T07:00:00"),
        "rfm_segment": ("$app:engagement", "single_line_text_field", "champions"),
        "total_messages_sent": ("$app:engagement", "number_integer", "3"),
    }


def test_contacts_are_written_in_calls_of_at_most_25_metafields_and_only_when_changed(
    shopify_sim, project, unique_shop, api
):
    store = connect_store(shopify_sim, project, unique_shop, push_engagement=True)
    contacts = engaged_contacts(shopify_sim, store, 12)
    for _, contact in contacts:
        record(api, *all_events(contact.external_id))

    tasks_writeback.writeback_pass.call_local()

    # 12 customers x 4 metafields = 48: two calls of 24 (whole customers, <= 25 each)
    entry = ActivityEntry.objects.get(store=store, kind="writeback")
    assert entry.detail == {"contacts": 12, "calls": 2}
    for customer_id, _ in contacts:
        assert metafields_of(shopify_sim, store, customer_id)["total_messages_sent"][2] == "3"

    # a second pass with nothing new writes nothing
    tasks_writeback.writeback_pass.call_local()
    assert ActivityEntry.objects.filter(store=store, kind="writeback").count() == 1

    # one more message for one contact: only that contact is written
    changed_id, changed = contacts[3]
    record(api, {"name": "message_sent", "contact": changed.external_id})
    tasks_writeback.writeback_pass.call_local()
    latest = ActivityEntry.objects.filter(store=store, kind="writeback").first()
    assert latest.detail == {"contacts": 1, "calls": 1}
    assert metafields_of(shopify_sim, store, changed_id)["total_messages_sent"][2] == "4"


def test_a_rejected_customer_is_recorded_and_does_not_block_the_batch(
    shopify_sim, project, unique_shop, api
):
    store = connect_store(shopify_sim, project, unique_shop, push_engagement=True)
    contacts = engaged_contacts(shopify_sim, store, 3)
    for _, contact in contacts:
        record(api, *all_events(contact.external_id))
    gone_id, _ = contacts[1]
    shopify_sim.control("DELETE", f"/shops/{unique_shop}/customers/{gone_id}")

    tasks_writeback.writeback_pass.call_local()

    rejected = ActivityEntry.objects.filter(store=store, kind="writeback_rejected")
    assert [e.detail["customer_id"] for e in rejected] == [str(gone_id)]
    assert rejected[0].detail["operation"] == "metafieldsSet"
    for customer_id, _ in (contacts[0], contacts[2]):
        assert metafields_of(shopify_sim, store, customer_id)["total_messages_sent"][2] == "3"
    store.refresh_from_db()
    assert store.status == StoreStatus.CONNECTED
    # the same rejected values are not retried (and re-reported) every pass
    tasks_writeback.writeback_pass.call_local()
    assert rejected.count() == 1


def test_contacts_without_engagement_are_not_written(shopify_sim, project, unique_shop, api):
    store = connect_store(shopify_sim, project, unique_shop, push_engagement=True)
    [(customer_id, _)] = engaged_contacts(shopify_sim, store, 1)
    tasks_writeback.writeback_pass.call_local()
    assert metafields_of(shopify_sim, store, customer_id) == {}
    assert not ActivityEntry.objects.filter(store=store, kind="writeback").exists()


def test_engagement_without_write_customers_sets_reconnect_required(
    shopify_sim, project, unique_shop, api
):
    store = connect_store(
        shopify_sim, project, unique_shop, scopes=READ_SCOPES, push_engagement=True
    )
    [(customer_id, contact)] = engaged_contacts(shopify_sim, store, 1)
    record(api, *all_events(contact.external_id))

    tasks_writeback.writeback_pass.call_local()

    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert metafields_of(shopify_sim, store, customer_id) == {}
