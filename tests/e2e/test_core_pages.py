"""A staff user logs in and opens every page of the marketing core in a real browser."""

import datetime as dt

import pytest

from shoplink.audience.models import Contact
from shoplink.audience.services import ConsentInput, add_to_list, apply_source_consents, create_list
from shoplink.events.services import EventInput, record_events


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_logs_in_and_opens_each_page(page, login, screenshot, make_user, project):
    make_user("alice", project, "admin")
    contact = Contact.objects.create(
        project=project,
        external_id="1001",
        email="ann@example.test",
        first_name="Ann",
        last_name="Lee",
        city="Leeds",
        country="United Kingdom",
        tags=["vip"],
        attributes={"shopify_order_count": 2, "shopify_total_spent": "88.00"},
    )
    apply_source_consents(
        [
            (
                contact.pk,
                ConsentInput(
                    "email",
                    "subscribed",
                    "SUBSCRIBED",
                    "SINGLE_OPT_IN",
                    consent_updated_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                ),
            )
        ],
        source="shopify",
    )
    add_to_list(create_list(project, "Demo store customers"), [contact.pk])
    record_events(
        project,
        [
            EventInput(
                "shopify_order_placed",
                "shopify_order_placed:1",
                dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                {"order_id": "1", "store": {"domain": "demo-store.myshopify.com", "name": "Demo"}},
                contact_id=contact.pk,
                contact_external_id="1001",
            )
        ],
    )

    login("alice", "pw-alice")
    assert page.locator("h1").inner_text() == "Contacts"
    assert page.get_by_role("link", name="Ann Lee").is_visible()
    screenshot("core-contacts")

    page.get_by_role("link", name="Ann Lee").click()
    page.wait_for_selector("text=shopify_order_placed")
    assert page.get_by_role("cell", name="SUBSCRIBED", exact=True).is_visible()
    screenshot("core-contact-detail")

    page.get_by_role("link", name="Lists", exact=True).click()
    assert page.get_by_role("link", name="Demo store customers").is_visible()
    screenshot("core-lists")

    page.get_by_role("link", name="Events", exact=True).click()
    page.wait_for_selector("td:has-text('shopify_order_placed')")
    screenshot("core-events")

    page.get_by_role("link", name="Integrations", exact=True).click()
    assert page.get_by_role("button", name="Connect platform").is_visible()
    screenshot("core-integrations")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_contact_search_filters_the_table(page, login, make_user, project):
    make_user("alice", project, "admin")
    Contact.objects.create(project=project, external_id="1", email="ann@example.test")
    Contact.objects.create(project=project, external_id="2", email="bob@example.test")
    login("alice", "pw-alice")
    page.fill("#q", "bob")
    page.wait_for_function("!document.body.innerText.includes('ann@example.test')")
    assert page.get_by_role("link", name="bob@example.test").is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_viewer_is_refused_integrations(page, login, make_user, project):
    make_user("vera", project, "viewer")
    login("vera", "pw-vera")
    response = page.goto("/integrations/shopify/")
    assert response.status == 403
    assert "Only project admins can open Integrations" in page.content()
