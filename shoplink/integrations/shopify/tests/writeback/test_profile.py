"""Profile fill-in (D27) against the real simulator: only missing fields, never overwrite."""

from __future__ import annotations

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.integrations.shopify.connection.status import WRITE_SCOPE_REASON
from shoplink.integrations.shopify.jobs import writeback as tasks_writeback
from shoplink.integrations.shopify.models import ActivityEntry, StoreStatus
from shoplink.integrations.shopify.tests.writeback_support import (
    READ_SCOPES,
    connect_store,
    create_customer,
    get_customer,
    import_contact,
)


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def upsert(api, **contact):
    response = api.post(
        "/api/v1/contacts", {"contacts": [contact]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()[0]


def test_a_local_profile_change_fills_only_the_fields_missing_in_shopify(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    customer = create_customer(
        shopify_sim,
        unique_shop,
        first_name="  ",
        last_name="Shopify-Last",
        phone=None,
        email="ada@example.com",
    )
    import_contact(store, customer["id"], email="ada@example.com", last_name="Shopify-Last")

    # when the project changes the contact through the API
    with django_capture_on_commit_callbacks(execute=True):
        upsert(
            api,
            external_id=str(customer["id"]),
            first_name="Ada",
            last_name="Local-Last",
            phone="+14155550123",
        )

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert after["firstName"] == "Ada"  # was whitespace: missing
    assert after["phone"] == "+14155550123"  # was absent
    assert after["lastName"] == "Shopify-Last"  # a Shopify value is never overwritten
    entry = ActivityEntry.objects.get(store=store, kind="writeback")
    assert entry.message == "Filled in missing profile data for 1 customer"


def test_nothing_is_written_when_shopify_already_has_every_field(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    customer = create_customer(
        shopify_sim, unique_shop, first_name="Grace", last_name="Hopper", phone="+14155550999"
    )
    import_contact(store, customer["id"], first_name="Grace", last_name="Hopper")
    before = get_customer(shopify_sim, unique_shop, customer["id"])

    with django_capture_on_commit_callbacks(execute=True):
        upsert(api, external_id=str(customer["id"]), first_name="G.", phone="+4930123456")

    after = get_customer(shopify_sim, unique_shop, customer["id"])
    assert (after["firstName"], after["phone"]) == ("Grace", "+14155550999")
    assert after["updatedAt"] == before["updatedAt"]  # no write at all
    assert not ActivityEntry.objects.filter(store=store, kind="writeback").exists()


def test_with_the_toggle_off_no_profile_is_written(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, push_profile=False)
    customer = create_customer(shopify_sim, unique_shop, first_name="", last_name="X")
    import_contact(store, customer["id"], last_name="X")
    with django_capture_on_commit_callbacks(execute=True):
        upsert(api, external_id=str(customer["id"]), first_name="Ada")
    assert get_customer(shopify_sim, unique_shop, customer["id"])["firstName"] in ("", None)


def test_the_fifteen_minute_pass_retries_contacts_a_failed_write_left_pending(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks, settings
):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01
    settings.SHOPIFY_RETRY_ATTEMPTS = 2
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    customer = create_customer(shopify_sim, unique_shop, first_name="", last_name="Y")
    import_contact(store, customer["id"], last_name="Y")
    # given Shopify answers 5xx while the change is made
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"error_rate": 1.0})
    with django_capture_on_commit_callbacks(execute=True):
        upsert(api, external_id=str(customer["id"]), first_name="Lin")
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"reset": True})
    assert get_customer(shopify_sim, unique_shop, customer["id"])["firstName"] in ("", None)

    # when the 15-minute pass runs
    assert tasks_writeback.writeback_pass.call_local() == 1

    assert get_customer(shopify_sim, unique_shop, customer["id"])["firstName"] == "Lin"


def test_a_write_without_write_customers_sets_reconnect_required(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, scopes=READ_SCOPES, push_profile=True)
    customer = create_customer(shopify_sim, unique_shop, first_name="", last_name="Z")
    import_contact(store, customer["id"], last_name="Z")
    with django_capture_on_commit_callbacks(execute=True):
        upsert(api, external_id=str(customer["id"]), first_name="Zed")
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert store.reconnect_reason == WRITE_SCOPE_REASON
    assert get_customer(shopify_sim, unique_shop, customer["id"])["firstName"] in ("", None)


def test_shopify_refusing_the_scope_also_sets_reconnect_required(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    """Our record says write_customers, but Shopify has since dropped it (ACCESS_DENIED)."""
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    customer = create_customer(shopify_sim, unique_shop, first_name="", last_name="Q")
    import_contact(store, customer["id"], last_name="Q")
    shopify_sim.control("POST", f"/shops/{unique_shop}/scopes", {"scopes": READ_SCOPES})
    with django_capture_on_commit_callbacks(execute=True):
        upsert(api, external_id=str(customer["id"]), first_name="Quinn")
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED


def test_a_customer_missing_in_shopify_is_recorded_and_others_still_fill(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    gone = create_customer(shopify_sim, unique_shop, first_name="", last_name="Gone")
    kept = create_customer(shopify_sim, unique_shop, first_name="", last_name="Kept")
    import_contact(store, gone["id"], last_name="Gone")
    import_contact(store, kept["id"], last_name="Kept")
    shopify_sim.control("DELETE", f"/shops/{unique_shop}/customers/{gone['id']}")

    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/contacts",
            {
                "contacts": [
                    {"external_id": str(gone["id"]), "first_name": "A"},
                    {"external_id": str(kept["id"]), "first_name": "B"},
                ]
            },
            content_type="application/json",
        )

    assert get_customer(shopify_sim, unique_shop, kept["id"])["firstName"] == "B"
    rejected = ActivityEntry.objects.get(store=store, kind="writeback_rejected")
    assert rejected.detail["customer_id"] == str(gone["id"])


@pytest.mark.django_db(transaction=True)
def test_the_echo_of_a_fill_in_changes_nothing_and_emits_no_event(
    shopify_sim, project, unique_shop, api, live_server, settings
):
    """Shopify echoes our customerUpdate as customers/update; it holds our values now."""
    import time

    from shoplink.events.models import Event
    from shoplink.integrations.shopify.connection import subscriptions
    from shoplink.integrations.shopify.models import WebhookDelivery

    settings.APP_URL = live_server.url
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    customer = create_customer(
        shopify_sim,
        unique_shop,
        first_name="",
        last_name="Echo",
        phone=None,
        email="echo@example.com",
        default_address=None,
        addresses=[],
    )
    contact = import_contact(
        store,
        customer["id"],
        email="echo@example.com",
        last_name="Echo",
        **dict.fromkeys(("address1", "address2", "city", "province", "country", "zip"), ""),
    )
    subscriptions.sync_subscriptions(store)

    upsert(api, external_id=contact.external_id, first_name="Ada", phone="+14155550142")

    assert get_customer(shopify_sim, unique_shop, customer["id"])["firstName"] == "Ada"
    deadline = time.monotonic() + 10
    updates = WebhookDelivery.objects.filter(
        shop_domain=unique_shop, topic="customers/update", processed_at__isnull=False
    )
    while not updates.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert updates.exists(), "the customers/update echo never arrived"
    assert not Event.objects.filter(project=project, name="shopify_customer_updated").exists()
    contact.refresh_from_db()
    assert (contact.first_name, contact.phone) == ("Ada", "+14155550142")


def test_the_default_address_is_filled_only_when_shopify_has_none(
    shopify_sim, project, unique_shop, api, django_capture_on_commit_callbacks
):
    store = connect_store(shopify_sim, project, unique_shop, push_profile=True)
    bare = create_customer(
        shopify_sim,
        unique_shop,
        first_name="No",
        last_name="Address",
        defaultAddress=None,
        addresses=[],
        addressesV2=[],
    )
    housed = create_customer(shopify_sim, unique_shop, first_name="Has", last_name="Address")
    theirs = get_customer(shopify_sim, unique_shop, housed["id"])["defaultAddress"]
    assert theirs and theirs["address1"]
    ours = {"address1": "1 Rideau St", "city": "Ottawa", "zip": "K1N 8S7", "country": "CA"}
    for customer in (bare, housed):
        import_contact(store, customer["id"], first_name="No", last_name="Address")

    with django_capture_on_commit_callbacks(execute=True):
        for customer in (bare, housed):
            upsert(api, external_id=str(customer["id"]), **ours)

    filled = get_customer(shopify_sim, unique_shop, bare["id"])["defaultAddress"]
    assert {k: filled[k] for k in ("address1", "city", "zip", "countryCode")} == {
        "address1": "1 Rideau St",
        "city": "Ottawa",
        "zip": "K1N 8S7",
        "countryCode": "CA",
    }
    kept = get_customer(shopify_sim, unique_shop, housed["id"])
    assert kept["defaultAddress"] == theirs  # a Shopify address is never touched
    assert len(kept["addresses"]) == 1
