"""Every recorded sample (2026-07 reference + compliance) posted signed, and what it stored."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from shoplink.audience.models import Consent, Contact, ListMembership
from shoplink.commerce.models import Cart, Checkout, Order, Product
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import (
    ActivityEntry,
    DeliveryState,
    ShopifyStore,
    StoreStatus,
    WebhookDelivery,
)
from shoplink.integrations.shopify.tests.webhook_helpers import (
    fixture_names,
    load,
    make_store,
    sender,
    topic_of,
)

SHOP = "snowdevil.myshopify.com"
BOB = "706405506930370084"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def names(**filters) -> list[str]:
    return sorted(Event.objects.filter(**filters).values_list("name", flat=True))


def customer(id_: int | str = BOB, **fields) -> dict:
    body = copy.deepcopy(load("customers/update"))
    body.update(id=int(id_), admin_graphql_api_id=f"gid://shopify/Customer/{id_}", **fields)
    return body


@pytest.mark.parametrize("fixture", fixture_names())
def test_every_recorded_sample_is_accepted_and_ends_in_a_final_state(fixture, store, deliver):
    """No sample is left unprocessed or fails, once the customers it names exist."""
    for known in (BOB, 1, "115310627314723954", "603851970716743426"):
        deliver("customers/create", customer(known), SHOP)
    topic = topic_of(fixture)
    response = deliver(topic, load(topic, shop=SHOP), SHOP, webhook_id=fixture)
    assert response.status_code == 200
    row = WebhookDelivery.objects.get(webhook_id=fixture)
    assert row.state == DeliveryState.PROCESSED, row.note


def test_customers_update_creates_the_contact_in_the_store_list(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    contact = Contact.objects.get(external_id=BOB)
    assert (contact.email, contact.first_name, contact.city, contact.zip) == (
        "bob@biller.com",
        "Bob",
        "Ottawa",
        "K2P 2L8",
    )
    assert contact.source == store.source
    assert ListMembership.objects.filter(contact=contact, contact_list=store.customer_list).exists()
    event = Event.objects.get(name="shopify_customer_created")
    assert event.contact == contact
    assert event.data == {
        "store": {"domain": SHOP, "name": "Snow Devil"},
        "customer_id": BOB,
        "email": "bob@biller.com",
        "phone": "",
        "first_name": "Bob",
        "last_name": "Biller",
    }
    assert event.idempotency_key == f"shopify_customer_created:{BOB}"


def test_customers_update_with_a_change_emits_updated_with_the_changed_fields(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    deliver(
        "customers/update", customer(first_name="Robert", updated_at="2022-01-02T00:00:00Z"), SHOP
    )
    event = Event.objects.get(name="shopify_customer_updated")
    assert event.data["changed"] == ["first_name"] and event.data["first_name"] == "Robert"
    assert event.idempotency_key == f"shopify_customer_updated:{BOB}:2022-01-02T00:00:00Z"


def test_an_older_or_repeated_customer_payload_changes_nothing_and_emits_nothing(store, deliver):
    deliver("customers/update", customer(first_name="New", updated_at="2022-06-01T00:00:00Z"), SHOP)
    deliver("customers/update", customer(first_name="Old", updated_at="2022-01-01T00:00:00Z"), SHOP)
    deliver("customers/update", customer(first_name="New", updated_at="2022-06-01T00:00:00Z"), SHOP)
    assert Contact.objects.get(external_id=BOB).first_name == "New"
    assert names() == ["shopify_customer_created"]


def test_customer_webhooks_never_erase_tags_and_tag_topics_supply_them(store, deliver):
    deliver("customers/update", customer(1), SHOP)
    deliver("customer.tags_added", load("customer.tags_added"), SHOP)
    deliver("customers/update", customer(1, updated_at="2022-02-01T00:00:00Z", note="x"), SHOP)
    assert Contact.objects.get(external_id="1").tags == ["tag1", "tag2"]
    updated = Event.objects.get(name="shopify_customer_updated")
    assert updated.data["changed"] == ["tags"]
    deliver(
        "customer.tags_removed",
        {
            "customerId": "gid://shopify/Customer/1",
            "tags": ["tag1"],
            "occurredAt": "2005-05-06T05:00:00.000Z",
        },
        SHOP,
    )
    assert Contact.objects.get(external_id="1").tags == ["tag2"]


def test_purchasing_summary_refreshes_the_computed_properties(store, deliver):
    deliver("customers/update", customer(1), SHOP)
    deliver("customers/purchasing_summary", load("customers/purchasing_summary"), SHOP)
    attrs = Contact.objects.get(external_id="1").attributes
    assert attrs["shopify_order_count"] == 0 and attrs["shopify_total_spent"] == "0.00"


def test_email_consent_topic_sets_consent_with_provenance_and_emits_once(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    body = {
        "customer_id": int(BOB),
        "email_address": "bob@biller.com",
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": "2022-03-01T00:00:00Z",
        },
    }
    deliver("customers_email_marketing_consent/update", body, SHOP)
    deliver("customers_email_marketing_consent/update", body, SHOP)  # an echo: same facts
    consent = Consent.objects.get(contact__external_id=BOB, channel="email")
    assert (consent.state, consent.source_state, consent.opt_in_level) == (
        "opted_in",
        "SUBSCRIBED",
        "CONFIRMED_OPT_IN",
    )
    event = Event.objects.get(name="shopify_email_consent_updated")
    assert event.data == {
        "store": {"domain": SHOP, "name": "Snow Devil"},
        "state": "opted_in",
        "previous_state": None,
        "shopify_state": "SUBSCRIBED",
        "opt_in_level": "CONFIRMED_OPT_IN",
        "consent_updated_at": "2022-03-01T00:00:00Z",
    }
    assert event.idempotency_key == f"shopify_email_consent_updated:{BOB}:2022-03-01T00:00:00Z"


def test_the_echo_of_our_own_opt_out_emits_nothing(store, deliver):
    """D21: we unsubscribed locally and pushed it; Shopify's echo changes nothing of ours."""
    from shoplink.audience.services import set_local_consent

    deliver("customers/update", load("customers/update"), SHOP)
    subscribed = {
        "customer_id": int(BOB),
        "email_address": "bob@biller.com",
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2022-03-01T00:00:00Z",
        },
    }
    deliver("customers_email_marketing_consent/update", subscribed, SHOP)
    contact = Contact.objects.get(external_id=BOB)
    set_local_consent(contact, "email", "unsubscribed")
    echo = copy.deepcopy(subscribed)
    echo["email_marketing_consent"].update(
        state="unsubscribed", consent_updated_at="2099-01-01T00:00:00Z"
    )
    deliver("customers_email_marketing_consent/update", echo, SHOP)
    consent = Consent.objects.get(contact=contact, channel="email")
    assert (consent.state, consent.source_state) == ("unsubscribed", "UNSUBSCRIBED")
    assert Event.objects.filter(name="shopify_email_consent_updated").count() == 1


def test_a_shopify_unsubscribe_that_loses_to_a_newer_local_state_still_emits(store, deliver):
    """Our state stays, but Shopify's opt-out makes the contact unmarketable (D20)."""
    from shoplink.audience.services import set_local_consent

    deliver("customers/update", load("customers/update"), SHOP)
    contact = Contact.objects.get(external_id=BOB)
    set_local_consent(contact, "email", "subscribed")
    old_opt_out = {
        "customer_id": int(BOB),
        "email_address": "bob@biller.com",
        "email_marketing_consent": {
            "state": "unsubscribed",
            "opt_in_level": None,
            "consent_updated_at": "2001-01-01T00:00:00Z",
        },
    }
    deliver("customers_email_marketing_consent/update", old_opt_out, SHOP)
    event = Event.objects.get(name="shopify_email_consent_updated")
    assert (event.data["state"], event.data["shopify_state"]) == ("subscribed", "UNSUBSCRIBED")


def test_email_consent_sample_maps_not_subscribed(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    deliver(
        "customers_email_marketing_consent/update",
        load("customers_email_marketing_consent/update"),
        SHOP,
    )
    assert Consent.objects.get(contact__external_id=BOB, channel="email").state == "not_subscribed"


def test_sms_consent_sample_sets_sms_consent_and_emits(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    deliver("customers_marketing_consent/update", load("customers_marketing_consent/update"), SHOP)
    consent = Consent.objects.get(contact__external_id=BOB, channel="sms")
    assert (consent.state, consent.collected_from) == ("not_subscribed", "OTHER")
    assert Event.objects.get(name="shopify_sms_consent_updated").data["phone"] is None


def test_consent_topics_are_skipped_when_their_toggle_is_off(store, deliver):
    ShopifyStore.objects.filter(pk=store.pk).update(sync_email_consent=False)
    deliver("customers/update", load("customers/update"), SHOP)
    deliver(
        "customers_email_marketing_consent/update",
        load("customers_email_marketing_consent/update"),
        SHOP,
        webhook_id="off",
    )
    row = WebhookDelivery.objects.get(webhook_id="off")
    assert (row.state, row.note) == (DeliveryState.SKIPPED, "Category turned off")
    assert not Consent.objects.exists()


def test_customers_delete_keeps_the_contact_marks_it_and_leaves_the_list(store, deliver):
    deliver("customers/update", load("customers/update"), SHOP)
    deliver("customers/delete", load("customers/delete"), SHOP)
    contact = Contact.objects.get(external_id=BOB)
    assert contact.deleted_in_source
    assert not ListMembership.objects.filter(contact=contact).exists()
    event = Event.objects.get(name="shopify_customer_deleted")
    assert event.data["customer_id"] == BOB and event.contact == contact


def test_an_order_before_its_customer_waits_then_lands_linked(store, deliver):
    order = load("orders/updated")
    deliver("orders/create", order, SHOP, webhook_id="order-first")
    assert WebhookDelivery.objects.get(webhook_id="order-first").state == DeliveryState.RECEIVED
    assert not Order.objects.exists()
    deliver("customers/create", customer("115310627314723954", email="john@example.com"), SHOP)
    assert WebhookDelivery.objects.get(webhook_id="order-first").state == DeliveryState.PROCESSED
    row = Order.objects.get(external_id="820982911946154508")
    assert row.contact.external_id == "115310627314723954"
    placed = Event.objects.get(name="shopify_order_placed")
    assert placed.contact == row.contact


def test_a_refund_before_its_order_waits_then_lands(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    refund = {
        "id": 929361462,
        "order_id": 820982911946154508,
        "created_at": "2022-01-04T00:00:00Z",
        "transactions": [{"kind": "refund", "status": "success", "amount": "10.00"}],
    }
    deliver("refunds/create", refund, SHOP, webhook_id="refund-first")
    row = WebhookDelivery.objects.get(webhook_id="refund-first")
    assert (row.state, row.note) == (DeliveryState.RECEIVED, "Waiting for order 820982911946154508")
    deliver("orders/create", load("orders/updated"), SHOP)
    assert WebhookDelivery.objects.get(webhook_id="refund-first").state == DeliveryState.PROCESSED
    assert Event.objects.get(name="shopify_order_refunded").data["order_number"] == 1234


def test_orders_create_stores_the_order_and_emits_placed_and_one_per_line(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    order = load("orders/updated")
    order["line_items"].append(dict(order["line_items"][0], id=1071823199, title="Second"))
    deliver("orders/create", order, SHOP)
    deliver("orders/create", order, SHOP)  # a second delivery of the same order
    row = Order.objects.get(external_id="820982911946154508")
    assert (row.number, row.total_price, row.checkout_token) == (1234, Decimal("404.95"), None)
    placed = Event.objects.get(name="shopify_order_placed")
    data = placed.data
    assert (data["order_number"], data["total_price"], data["currency"]) == (1234, "404.95", "USD")
    assert data["shipping_address"]["city"] == "Shippington"
    assert [li["quantity"] for li in data["line_items"]] == [1, 1]
    assert set(data) == {
        "store",
        "order_id",
        "order_number",
        "order_name",
        "total_price",
        "subtotal_price",
        "total_tax",
        "total_discounts",
        "currency",
        "financial_status",
        "fulfillment_status",
        "discount_codes",
        "line_items",
        "shipping_address",
        "checkout_token",
    }
    assert placed.idempotency_key == "shopify_order_placed:820982911946154508"
    assert Event.objects.filter(name="shopify_ordered_product").count() == 2


def test_orders_updated_emits_only_when_a_kept_field_changed(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    order = load("orders/updated")
    deliver("orders/create", order, SHOP)
    deliver("orders/updated", order, SHOP)  # nothing new
    assert names(name="shopify_order_updated") == []
    changed = dict(order, financial_status="refunded", updated_at="2022-01-05T00:00:00Z")
    deliver("orders/updated", changed, SHOP)
    event = Event.objects.get(name="shopify_order_updated")
    assert event.data["changed"] == ["financial_status"]
    stale = dict(order, financial_status="paid", updated_at="2021-06-01T00:00:00Z")
    deliver("orders/updated", stale, SHOP)
    assert Order.objects.get().financial_status == "refunded"
    assert Event.objects.filter(name="shopify_order_updated").count() == 1


def test_order_topic_events_paid_fulfilled_partial_cancelled(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    order = dict(load("orders/updated"), cancelled_at=None, cancel_reason=None)
    deliver("orders/create", order, SHOP)
    deliver("orders/paid", dict(order, financial_status="paid"), SHOP)
    line = order["line_items"][0]
    partial = dict(
        order,
        fulfillment_status="partial",
        updated_at="2022-01-02T00:00:00Z",
        line_items=[dict(line, quantity=3)],
        fulfillments=[
            {"id": 55, "status": "success", "line_items": [{"id": line["id"], "quantity": 1}]}
        ],
    )
    deliver("orders/partially_fulfilled", partial, SHOP)
    deliver("orders/fulfilled", dict(partial, fulfillment_status="fulfilled"), SHOP)
    deliver(
        "orders/cancelled",
        dict(
            partial,
            cancelled_at="2022-01-03T00:00:00Z",
            cancel_reason="customer",
            updated_at="2022-01-03T00:00:00Z",
        ),
        SHOP,
    )
    assert set(names()) >= {
        "shopify_order_paid",
        "shopify_order_partially_fulfilled",
        "shopify_order_fulfilled",
        "shopify_order_cancelled",
    }
    pf = Event.objects.get(name="shopify_order_partially_fulfilled").data
    assert (pf["fulfilled_quantity"], pf["total_quantity"]) == (1, 3)
    cancelled = Event.objects.get(name="shopify_order_cancelled").data
    assert (cancelled["cancel_reason"], cancelled["cancelled_at"]) == (
        "customer",
        "2022-01-03T00:00:00Z",
    )


def test_refunds_and_fulfilments_emit_their_events(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    deliver("orders/create", load("orders/updated"), SHOP)
    oid = 820982911946154508
    deliver(
        "refunds/create",
        {
            "id": 929361462,
            "order_id": oid,
            "created_at": "2022-01-04T00:00:00Z",
            "transactions": [{"kind": "refund", "status": "success", "amount": "10.00"}],
        },
        SHOP,
    )
    refund = Event.objects.get(name="shopify_order_refunded").data
    assert (refund["refund_id"], refund["amount"], refund["order_number"]) == (
        "929361462",
        "10.00",
        1234,
    )
    ful = {
        "id": 255858046,
        "order_id": oid,
        "status": "success",
        "created_at": "2022-01-04T00:00:00Z",
        "updated_at": "2022-01-04T00:00:00Z",
        "tracking_company": "UPS",
        "tracking_numbers": ["1Z1"],
        "tracking_urls": ["https://ups.test/1Z1"],
        "shipment_status": "confirmed",
    }
    deliver("fulfillments/create", ful, SHOP)
    deliver(
        "fulfillments/update",
        dict(ful, shipment_status="in_transit", updated_at="2022-01-05T00:00:00Z"),
        SHOP,
    )
    deliver(
        "fulfillment_events/create",
        {
            "id": 1,
            "fulfillment_id": 255858046,
            "order_id": oid,
            "status": "in_transit",
            "happened_at": "2022-01-05T00:00:00Z",
        },
        SHOP,
    )
    deliver(
        "fulfillment_events/create",
        {
            "id": 2,
            "fulfillment_id": 255858046,
            "order_id": oid,
            "status": "delivered",
            "happened_at": "2022-01-06T00:00:00Z",
        },
        SHOP,
    )
    assert Event.objects.get(name="shopify_fulfillment_created").data["tracking_numbers"] == ["1Z1"]
    assert Event.objects.filter(name="shopify_fulfillment_updated").count() == 1
    statuses = list(Event.objects.filter(name="shopify_shipment_status").order_by("id"))
    assert [e.data["status"] for e in statuses] == ["in_transit", "delivered"]
    assert statuses[0].data["tracking_number"] == "1Z1"


def test_orders_delete_removes_the_order(project, deliver):
    make_store(project, SHOP, sync_customers=False)
    deliver("orders/create", load("orders/updated"), SHOP)
    deliver("orders/delete", load("orders/delete"), SHOP)
    assert not Order.objects.exists()


def test_checkouts_are_keyed_by_token_and_started_emits_once(store, deliver):
    body = load("checkouts/update")
    deliver("customers/create", customer("603851970716743426"), SHOP)
    deliver("checkouts/create", body, SHOP)
    deliver("checkouts/update", body, SHOP)
    row = Checkout.objects.get()
    assert (row.external_id, row.email, row.contact.external_id) == (
        "123123123",
        "example@email.com",
        "603851970716743426",
    )
    started = Event.objects.get(name="shopify_checkout_started")
    assert started.data["abandoned_checkout_url"].endswith("/recover?key=example-secret-token")
    deliver("checkouts/delete", {"token": "123123123"}, SHOP)
    assert not Checkout.objects.exists()


def test_carts_are_stored_by_token(store, deliver):
    deliver("carts/update", load("carts/update"), SHOP)
    cart = Cart.objects.get()
    assert (cart.external_id, cart.total_price) == ("exampleCartId", Decimal("59.97"))


def test_products_update_emits_only_for_a_change(store, deliver):
    body = load("products/update")
    deliver("products/update", body, SHOP)
    assert names() == []  # new to us: history, not a change
    deliver(
        "products/update",
        dict(body, title="Better T-Shirt", updated_at="2022-01-01T00:00:00Z"),
        SHOP,
    )
    event = Event.objects.get(name="shopify_product_updated")
    assert event.data["changed"] == ["title"] and event.data["price_min"] == "19.99"
    deliver("products/delete", load("products/delete"), SHOP)
    assert not Product.objects.exists()


def test_deliveries_for_a_disconnected_store_are_skipped(store, deliver):
    ShopifyStore.objects.filter(pk=store.pk).update(status=StoreStatus.DISCONNECTED)
    deliver("customers/update", load("customers/update"), SHOP, webhook_id="dc")
    row = WebhookDelivery.objects.get(webhook_id="dc")
    assert (row.state, row.note) == (DeliveryState.SKIPPED, "Store is Disconnected")
    assert not Contact.objects.exists() and not Event.objects.exists()


def test_orders_are_skipped_when_orders_are_turned_off(store, deliver):
    ShopifyStore.objects.filter(pk=store.pk).update(sync_orders=False)
    deliver("checkouts/update", load("checkouts/update"), SHOP, webhook_id="off")
    assert WebhookDelivery.objects.get(webhook_id="off").state == DeliveryState.SKIPPED
    assert not Checkout.objects.exists()


def test_app_uninstalled_and_scopes_update_reach_the_lifecycle(store, deliver):
    deliver("app/scopes_update", load("app/scopes_update"), SHOP)
    store.refresh_from_db()
    assert store.granted_scopes == ["read_products", "write_products"]
    assert store.status == StoreStatus.RECONNECT_REQUIRED  # read_customers/read_orders gone
    deliver("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP}, SHOP)
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED


def test_every_processed_delivery_moves_last_webhook_at(store, deliver):
    deliver("carts/update", load("carts/update"), SHOP)
    store.refresh_from_db()
    assert store.last_webhook_at is not None


def test_compliance_samples_are_logged_in_activity(store, deliver):
    for topic in ("customers/data_request", "customers/redact", "shop/redact"):
        deliver(topic, load(topic, shop=SHOP), SHOP)
    kinds = set(ActivityEntry.objects.filter(store=store).values_list("kind", flat=True))
    assert {"privacy_export", "privacy_redact", "privacy_shop_redact"} <= kinds
