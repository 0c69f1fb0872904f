"""Ingest functions against the database: upserts, list membership, consent, stats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shoplink.audience.models import Consent, Contact, ListMembership
from shoplink.audience.services import create_list
from shoplink.commerce.models import Checkout, Collection, Order, Product
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.sync import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(project):
    shop = ShopifyStore.objects.create(project=project, domain="ingest-shop.myshopify.com")
    shop.customer_list = create_list(project, "Ingest shop customers")
    shop.save()
    return shop


def customer_node(n: int, updated="2026-01-02T00:00:00Z", **extra) -> dict:
    node = {
        "id": f"gid://shopify/Customer/{n}",
        "firstName": f"First{n}",
        "lastName": f"Last{n}",
        "tags": ["vip", "wholesale"],
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": updated,
        "defaultEmailAddress": {
            "emailAddress": f"c{n}@example.com",
            "marketingState": "SUBSCRIBED",
            "marketingOptInLevel": "SINGLE_OPT_IN",
            "marketingUpdatedAt": "2026-01-01T00:00:00Z",
        },
        "defaultPhoneNumber": {"phoneNumber": f"+4470000000{n:02d}"},
        "smsMarketingConsent": {
            "marketingState": "NOT_SUBSCRIBED",
            "marketingOptInLevel": None,
            "consentUpdatedAt": None,
            "consentCollectedFrom": None,
        },
        "defaultAddress": {
            "address1": "1 High St",
            "address2": None,
            "city": "Leeds",
            "province": "West Yorkshire",
            "country": "United Kingdom",
            "zip": "LS1 1AA",
        },
    }
    node.update(extra)
    return node


def order_node(n: int, customer: int | None, total="10.00", updated="2026-01-03T00:00:00Z"):
    money = {"shopMoney": {"amount": total, "currencyCode": "GBP"}}
    return {
        "id": f"gid://shopify/Order/{n}",
        "name": f"#{1000 + n}",
        "email": None,
        "createdAt": "2026-01-03T00:00:00Z",
        "updatedAt": updated,
        "cancelledAt": None,
        "cancelReason": None,
        "test": False,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "currencyCode": "GBP",
        "discountCodes": [],
        "totalPriceSet": money,
        "subtotalPriceSet": money,
        "totalTaxSet": money,
        "totalDiscountsSet": money,
        "currentTotalPriceSet": money,
        "customer": {"id": f"gid://shopify/Customer/{customer}"} if customer else None,
        "shippingAddress": None,
        "fulfillments": [],
        "refunds": [],
    }


def customers(*nodes):
    return [mapping.customer_from_graphql(n) for n in nodes]


def test_customers_are_created_with_profile_and_join_the_list(store):
    """A bulk customer lands with every profile field, the Shopify id and list membership."""
    changes = ingest.ingest_customers(store, customers(customer_node(1), customer_node(2)))

    assert [c.created for c in changes] == [True, True]
    contact = Contact.objects.get(project=store.project, external_id="1")
    assert (contact.first_name, contact.last_name, contact.email) == (
        "First1",
        "Last1",
        "c1@example.com",
    )
    assert (contact.city, contact.zip, contact.country) == ("Leeds", "LS1 1AA", "United Kingdom")
    assert contact.tags == ["vip", "wholesale"]
    assert contact.source == store.source
    assert ListMembership.objects.filter(contact_list=store.customer_list).count() == 2


def test_reimport_updates_without_duplicates(store):
    """Importing the same customer again updates the one contact."""
    ingest.ingest_customers(store, customers(customer_node(1)))
    changes = ingest.ingest_customers(
        store, customers(customer_node(1, updated="2026-02-01T00:00:00Z", firstName="Renamed"))
    )

    assert changes[0].created is False
    assert Contact.objects.filter(project=store.project).count() == 1
    assert Contact.objects.get(external_id="1").first_name == "Renamed"
    assert ListMembership.objects.count() == 1


def test_older_record_does_not_overwrite_newer_contact(store):
    """A bulk line older than the stored row (a webhook got there first) changes nothing."""
    newer = customer_node(1, updated="2026-03-01T00:00:00Z", firstName="FromWebhook")
    ingest.ingest_customers(store, customers(newer))
    changes = ingest.ingest_customers(store, customers(customer_node(1)))

    assert changes[0].stale
    assert Contact.objects.get(external_id="1").first_name == "FromWebhook"


def test_customer_profiles_off_keeps_new_contacts_out_of_the_list(store):
    store.sync_customers = False
    ingest.ingest_customers(store, customers(customer_node(1)))
    assert ListMembership.objects.count() == 0


def test_switched_list_gets_only_new_customers_unless_joining_existing(store, project):
    """D14: switching lists moves nobody; a bulk re-sync (join_existing) adds everyone."""
    ingest.ingest_customers(store, customers(customer_node(1)))
    first_list = store.customer_list
    store.customer_list = create_list(project, "Second")
    ingest.ingest_customers(store, customers(customer_node(1), customer_node(2)))
    assert set(store.customer_list.memberships.values_list("contact__external_id", flat=True)) == {
        "2"
    }
    assert first_list.memberships.count() == 1

    ingest.ingest_customers(store, customers(customer_node(1)), join_existing=True)
    assert store.customer_list.memberships.count() == 2


def test_consent_applied_only_for_enabled_channels(store):
    store.sync_sms_consent = False
    changes = ingest.ingest_customers(store, customers(customer_node(1)))

    rows = {c.channel: c for c in Consent.objects.filter(contact__external_id="1")}
    assert set(rows) == {"email"}
    assert rows["email"].state == "subscribed"
    assert rows["email"].source_state == "SUBSCRIBED"
    assert [c.channel for c in changes.consent_changes] == ["email"]


def test_consent_off_for_both_channels_writes_no_consent(store):
    store.sync_email_consent = store.sync_sms_consent = False
    ingest.ingest_customers(store, customers(customer_node(1)))
    assert not Consent.objects.exists()


def test_orders_link_to_contacts_and_refresh_stats(store):
    """Orders join their contact and the contact's order count and spend follow."""
    ingest.ingest_customers(store, customers(customer_node(1)))
    orders = [
        mapping.order_from_graphql(order_node(10, 1, "12.50")),
        mapping.order_from_graphql(order_node(11, 1, "7.50")),
        mapping.order_from_graphql(order_node(12, None, "1.00")),
    ]
    ingest.ingest_orders(store, orders)

    contact = Contact.objects.get(external_id="1")
    assert Order.objects.filter(contact=contact).count() == 2
    assert Order.objects.get(external_id="12").customer_external_id == ""
    assert contact.attributes["shopify_order_count"] == 2
    assert contact.attributes["shopify_total_spent"] == "20.00"


def test_order_before_its_customer_is_linked_when_the_customer_arrives(store):
    ingest.ingest_orders(store, [mapping.order_from_graphql(order_node(10, 5, "3.00"))])
    ingest.ingest_customers(store, customers(customer_node(5)))

    contact = Contact.objects.get(external_id="5")
    assert Order.objects.get(external_id="10").contact == contact
    assert contact.attributes["shopify_order_count"] == 1


def test_arriving_customers_link_only_their_own_stores_waiting_rows(store, project):
    """Orders and checkouts waiting for a customer of this store (contact NULL) are linked
    when it arrives, the checkout's updated_at kept; rows of another store with the same
    customer id, and rows linked already, are left alone."""
    other_source = "shopify:other.myshopify.com"
    someone = Contact.objects.create(project=project, external_id="99")
    waiting = Order.objects.create(
        project=project, source=store.source, external_id="10", customer_external_id="5"
    )
    elsewhere = Order.objects.create(
        project=project, source=other_source, external_id="10", customer_external_id="5"
    )
    linked = Order.objects.create(
        project=project,
        source=store.source,
        external_id="11",
        customer_external_id="5",
        contact=someone,
    )
    checkout = Checkout.objects.create(
        project=project, source=store.source, external_id="tok", customer_external_id="6"
    )
    stamp = Checkout.objects.get(pk=checkout.pk).updated_at

    ingest.ingest_customers(store, customers(customer_node(5), customer_node(6), customer_node(7)))

    by_key = dict(Contact.objects.values_list("external_id", "id"))
    assert Order.objects.get(pk=waiting.pk).contact_id == by_key["5"]
    assert Order.objects.get(pk=elsewhere.pk).contact_id is None
    assert Order.objects.get(pk=linked.pk).contact_id == someone.pk
    assert Checkout.objects.get(pk=checkout.pk).contact_id == by_key["6"]
    assert Checkout.objects.get(pk=checkout.pk).updated_at == stamp
    assert Contact.objects.get(external_id="5").attributes["shopify_order_count"] == 1


def test_older_order_does_not_overwrite_newer(store):
    newer = order_node(10, None, "99.00", updated="2026-05-01T00:00:00Z")
    ingest.ingest_orders(store, [mapping.order_from_graphql(newer)])
    ingest.ingest_orders(store, [mapping.order_from_graphql(order_node(10, None, "1.00"))])
    assert Order.objects.get(external_id="10").total_price == Decimal("99.00")


def test_checkouts_products_and_collections(store):
    checkout = mapping.checkout_from_graphql(
        {
            "id": "gid://shopify/AbandonedCheckout/7",
            "abandonedCheckoutUrl": "https://shop.example/123/checkouts/abc123/recover?key=k",
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "completedAt": None,
            "customer": None,
            "totalPriceSet": {"shopMoney": {"amount": "5.00", "currencyCode": "GBP"}},
        },
        {},
    )
    product = mapping.product_from_graphql(
        {
            "id": "gid://shopify/Product/3",
            "title": "Mug",
            "handle": "mug",
            "status": "ACTIVE",
            "vendor": None,
            "productType": None,
            "tags": [],
            "updatedAt": "2026-01-01T00:00:00Z",
        },
        [{"id": "gid://shopify/ProductVariant/4", "sku": "M1", "title": "Blue", "price": "9.00"}],
    )
    collection = mapping.collection_from_webhook(
        {"id": 8, "title": "Kitchen", "handle": "kitchen", "updated_at": "2026-01-01T00:00:00Z"}
    )
    ingest.ingest_checkouts(store, [checkout])
    ingest.ingest_products(store, [product])
    ingest.ingest_collections(store, [collection])

    assert Checkout.objects.get(external_id="abc123").total_price == Decimal("5.00")
    assert Product.objects.get(external_id="3").variants[0]["sku"] == "M1"
    assert Collection.objects.get(external_id="8").product_ids == []

    with_products = mapping.collection_from_graphql(
        {"id": "gid://shopify/Collection/8", "title": "Kitchen", "updatedAt": "2026-01-02T00:00Z"},
        ["gid://shopify/Product/3"],
    )
    ingest.ingest_collections(store, [with_products])
    ingest.ingest_collections(store, [collection])  # older and unknown products: kept
    assert Collection.objects.get(external_id="8").product_ids == ["3"]
