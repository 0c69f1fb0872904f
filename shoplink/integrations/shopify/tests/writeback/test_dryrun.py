"""The Data to Shopify dry run (D28): lists pending writes, writes nothing, admin only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shoplink.api.models import ApiKey
from shoplink.integrations.shopify.connection.status import WRITE_SCOPE_REASON
from shoplink.integrations.shopify.tests.writeback_support import (
    READ_SCOPES,
    connect_store,
    create_customer,
    get_customer,
    import_contact,
    metafields_of,
)
from shoplink.projects.services import create_project


@pytest.fixture
def store(shopify_sim, project, unique_shop):
    return connect_store(shopify_sim, project, unique_shop, push_profile=True, push_engagement=True)


def pending_profile(sim, store):
    """A customer missing a first name in Shopify whose contact has one here, marked pending."""
    customer = create_customer(sim, store.domain, first_name="", last_name="Dry")
    contact = import_contact(store, customer["id"], first_name="Rune", last_name="Dry")
    # the contact changed locally while no worker ran: the pass still owes it a fill-in
    from shoplink.integrations.shopify.writeback.profile import mark_profiles_pending

    mark_profiles_pending(store, [contact.pk])
    return customer, contact


def pending_engagement(sim, store, project):
    customer = create_customer(sim, store.domain, email="dry@example.com")
    contact = import_contact(store, customer["id"], email="dry@example.com")
    _, raw = ApiKey.issue(project, "dry")
    Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/events",
        {"events": [{"name": "message_sent", "contact": contact.external_id}]},
        content_type="application/json",
    )
    return customer, contact


def test_dry_run_lists_pending_profile_and_engagement_writes_without_writing(
    shopify_sim, store, project, admin_client
):
    profile_customer, _ = pending_profile(shopify_sim, store)
    engaged_customer, _ = pending_engagement(shopify_sim, store, project)

    response = admin_client.get(reverse("shopify:writeback_preview", args=[store.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Data to Shopify dry run" in html
    assert f"Shopify #{profile_customer['id']}" in html and "firstName" in html and "Rune" in html
    assert f"Shopify #{engaged_customer['id']}" in html and "total_messages_sent" in html
    assert "1 customer changed, in 1 metafieldsSet call" in html
    # nothing was written
    assert get_customer(shopify_sim, store.domain, profile_customer["id"])["firstName"] == ""
    assert metafields_of(shopify_sim, store, engaged_customer["id"]) == {}


def test_dry_run_as_an_htmx_drawer(shopify_sim, store, admin_client):
    response = admin_client.get(
        reverse("shopify:writeback_preview", args=[store.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'class="drawer"' in html and "<html" not in html
    assert "No missing profile fields to fill." in html
    assert "No engagement changes to write." in html


def test_dry_run_warns_when_write_customers_is_missing(
    shopify_sim, project, unique_shop, admin_client
):
    store = connect_store(shopify_sim, project, unique_shop, scopes=READ_SCOPES, push_profile=True)
    html = admin_client.get(reverse("shopify:writeback_preview", args=[store.pk])).content.decode()
    assert WRITE_SCOPE_REASON.replace("'", "&#x27;") in html


def test_dry_run_is_for_project_admins_of_that_store_only(
    shopify_sim, store, editor_client, admin_client, unique_shop
):
    url = reverse("shopify:writeback_preview", args=[store.pk])
    assert editor_client.get(url).status_code == 403
    theirs = connect_store(
        shopify_sim, create_project("Other"), "o" + unique_shop, push_profile=True
    )
    assert (
        admin_client.get(reverse("shopify:writeback_preview", args=[theirs.pk])).status_code == 404
    )


def test_dry_run_matches_what_the_pass_then_writes(shopify_sim, store, project, admin_client):
    from shoplink.integrations.shopify.jobs import writeback as tasks_writeback

    profile_customer, _ = pending_profile(shopify_sim, store)
    tasks_writeback.writeback_pass.call_local()
    assert get_customer(shopify_sim, store.domain, profile_customer["id"])["firstName"] == "Rune"
    html = admin_client.get(reverse("shopify:writeback_preview", args=[store.pk])).content.decode()
    assert "No missing profile fields to fill." in html
