"""Shopify shapes → our records, from the recorded 2026-07 samples and GraphQL nodes."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from shoplink.integrations.shopify.api import mapping as m

FIXTURES = Path(__file__).parents[1] / "fixtures"
SAMPLES = json.loads((FIXTURES / "shopify_webhook_samples_2026-07.json").read_text())
EST = timezone(timedelta(hours=-5))
NEW_YEAR = datetime(2021, 12, 31, 19, 0, tzinfo=EST)

# Every sample topic and the mapping function that handles it.
WEBHOOK_MAPPERS = {
    "customers/update": m.customer_from_webhook,
    "customers_email_marketing_consent/update": lambda p: m.consent_from_webhook(
        "customers_email_marketing_consent/update", p
    ),
    "customers_marketing_consent/update": lambda p: m.consent_from_webhook(
        "customers_marketing_consent/update", p
    ),
    "customer.tags_added": lambda p: m.tag_change_from_webhook("customer.tags_added", p),
    "customers/purchasing_summary": m.purchasing_summary_from_webhook,
    "customers/delete": m.deleted_id_from_webhook,
    "orders/updated": m.order_from_webhook,
    "orders/delete": m.deleted_id_from_webhook,
    "checkouts/update": m.checkout_from_webhook,
    "carts/update": m.cart_from_webhook,
    "products/update": m.product_from_webhook,
    "products/delete": m.deleted_id_from_webhook,
    "app/scopes_update": m.scopes_from_webhook,
    "bulk_operations/finish": m.bulk_finish_from_webhook,
}


def test_every_sample_topic_has_a_mapper():
    topics = {k for k in SAMPLES if not k.startswith("_") and k != "headers_example"}
    assert topics == set(WEBHOOK_MAPPERS)


@pytest.mark.parametrize("topic", sorted(WEBHOOK_MAPPERS))
def test_every_sample_maps_without_error(topic):
    assert WEBHOOK_MAPPERS[topic](SAMPLES[topic]) is not None


# --- customers -------------------------------------------------------------------------


def test_customer_webhook_sample():
    record = m.customer_from_webhook(SAMPLES["customers/update"])
    assert record == m.CustomerRecord(
        external_id="706405506930370084",
        email="bob@biller.com",
        phone="",  # present and null: known empty
        first_name="Bob",
        last_name="Biller",
        address1="151 O'Connor Street",
        address2="",
        city="Ottawa",
        province="ON",
        country="CA",
        zip="K2P 2L8",
        tags=None,  # not in 2025-01+ payloads: unknown, never []
        source_updated_at=NEW_YEAR,
        source_created_at=NEW_YEAR,
        email_consent=None,
        sms_consent=None,
    )
    assert record.source_updated_at.utcoffset() is not None


def test_customer_webhook_from_older_api_versions_keeps_tags_and_consent():
    payload = {
        **SAMPLES["customers/update"],
        "tags": "vip, newsletter",
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": "2024-01-01T00:00:00Z",
        },
    }
    record = m.customer_from_webhook(payload)
    assert record.tags == ["vip", "newsletter"]
    assert record.email_consent.state == "opted_in"
    assert record.sms_consent is None


def test_customer_webhook_without_address_keys_is_unknown():
    record = m.customer_from_webhook({"id": 5, "updated_at": "2026-01-01T00:00:00Z"})
    assert (record.email, record.city, record.tags) == (None, None, None)
    record = m.customer_from_webhook({"id": 5, "default_address": None})
    assert record.city == ""


CUSTOMER_NODE = {
    "id": "gid://shopify/Customer/706405506930370084",
    "firstName": "Bob",
    "lastName": "Biller",
    "tags": ["vip", "wholesale"],
    "createdAt": "2025-01-02T03:04:05Z",
    "updatedAt": "2026-11-30T10:00:00Z",
    "defaultEmailAddress": {
        "emailAddress": "bob@biller.com",
        "marketingState": "SUBSCRIBED",
        "marketingOptInLevel": "SINGLE_OPT_IN",
        "marketingUpdatedAt": "2026-06-01T00:00:00Z",
    },
    "defaultPhoneNumber": {"phoneNumber": "+15555555555"},
    "smsMarketingConsent": {
        "marketingState": "UNSUBSCRIBED",
        "marketingOptInLevel": "UNKNOWN",
        "consentUpdatedAt": "2026-07-01T00:00:00Z",
        "consentCollectedFrom": "OTHER",
    },
    "defaultAddress": {
        "address1": "151 O'Connor Street",
        "address2": None,
        "city": "Ottawa",
        "province": "Ontario",
        "country": "Canada",
        "zip": "K2P 2L8",
    },
}


def test_customer_graphql_node():
    record = m.customer_from_graphql(CUSTOMER_NODE)
    assert record.external_id == "706405506930370084"
    assert (record.email, record.phone) == ("bob@biller.com", "+15555555555")
    assert (record.address1, record.address2, record.province) == (
        "151 O'Connor Street",
        "",
        "Ontario",
    )
    assert record.tags == ["vip", "wholesale"]
    assert record.source_updated_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert record.email_consent == m.ConsentRecord(
        channel="email",
        shopify_state="SUBSCRIBED",
        state="subscribed",
        opt_in_level="SINGLE_OPT_IN",
        collected_from=None,
        consent_updated_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    assert record.sms_consent == m.ConsentRecord(
        channel="sms",
        shopify_state="UNSUBSCRIBED",
        state="unsubscribed",
        opt_in_level="UNKNOWN",
        collected_from="OTHER",
        consent_updated_at=datetime(2026, 7, 1, tzinfo=UTC),
    )


def test_customer_graphql_node_without_email_or_address():
    node = {
        **CUSTOMER_NODE,
        "defaultEmailAddress": None,
        "defaultPhoneNumber": None,
        "defaultAddress": None,
        "smsMarketingConsent": None,
        "tags": [],
    }
    record = m.customer_from_graphql(node)
    assert (record.email, record.phone, record.city) == ("", "", "")
    assert record.tags == []  # GraphQL always returns tags: [] really means none
    assert record.email_consent is None and record.sms_consent is None


# --- consent ---------------------------------------------------------------------------


def test_email_consent_webhook_sample():
    update = m.consent_from_webhook(
        "customers_email_marketing_consent/update",
        SAMPLES["customers_email_marketing_consent/update"],
    )
    assert update.customer_external_id == "706405506930370084"
    assert update.address == "bob@biller.com"
    assert update.consent == m.ConsentRecord(
        channel="email",
        shopify_state="NOT_SUBSCRIBED",
        state="not_subscribed",
        opt_in_level=None,
        collected_from=None,
        consent_updated_at=None,
    )


def test_sms_consent_webhook_sample_with_null_state():
    update = m.consent_from_webhook(
        "customers_marketing_consent/update", SAMPLES["customers_marketing_consent/update"]
    )
    customer_id, consent, phone = update
    assert (customer_id, phone) == ("706405506930370084", None)
    assert consent.channel == "sms"
    assert consent.shopify_state is None
    assert consent.state == "not_subscribed"
    assert consent.collected_from == "OTHER"


def test_sms_consent_webhook_subscribed():
    payload = {
        "id": 7,
        "phone": "+15550001111",
        "sms_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": "2026-11-01T08:00:00.000Z",
            "consent_collected_from": "shopify",
        },
    }
    consent = m.consent_from_webhook("customers_marketing_consent/update", payload).consent
    assert (consent.shopify_state, consent.state, consent.opt_in_level) == (
        "SUBSCRIBED",
        "opted_in",
        "CONFIRMED_OPT_IN",
    )
    assert consent.consent_updated_at == datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_consent_from_graphql_shapes():
    assert m.consent_from_graphql("email", None) is None
    assert m.consent_from_graphql("email", {"emailAddress": "x@y"}) is None
    consent = m.consent_from_graphql("email", {"marketingState": "REDACTED"})
    assert (consent.state, consent.shopify_state) == ("unsubscribed", "REDACTED")
    with pytest.raises(ValueError):
        m.consent_from_webhook("customers/update", {})


# --- other customer topics -------------------------------------------------------------


def test_tags_added_sample():
    change = m.tag_change_from_webhook("customer.tags_added", SAMPLES["customer.tags_added"])
    assert change == m.TagChange("1", ["tag1", "tag2"], [], datetime(2005, 5, 5, 5, tzinfo=UTC))
    removed = m.tag_change_from_webhook("customer.tags_removed", SAMPLES["customer.tags_added"])
    assert removed.removed == ["tag1", "tag2"] and removed.added == []


def test_purchasing_summary_sample():
    summary = m.purchasing_summary_from_webhook(SAMPLES["customers/purchasing_summary"])
    assert summary == m.PurchasingSummary(
        "1", 1, Decimal("100.00"), "USD", "1", datetime(2005, 5, 5, 5, tzinfo=UTC)
    )
    as_string = {**SAMPLES["customers/purchasing_summary"], "numberOfOrders": "12"}
    assert m.purchasing_summary_from_webhook(as_string).number_of_orders == 12


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("customers/delete", "706405506930370084"),
        ("orders/delete", "820982911946154508"),
        ("products/delete", "788032119674292922"),
    ],
)
def test_delete_samples(topic, expected):
    assert m.deleted_id_from_webhook(SAMPLES[topic]) == expected


def test_scopes_and_bulk_finish_samples():
    assert m.scopes_from_webhook(SAMPLES["app/scopes_update"]) == (
        ["read_products"],
        ["read_products", "write_products"],
    )
    finish = m.bulk_finish_from_webhook(SAMPLES["bulk_operations/finish"])
    assert finish.operation_gid == "gid://shopify/BulkOperation/147595010"
    assert (finish.status, finish.error_code, finish.type) == ("COMPLETED", None, "QUERY")


# --- orders ----------------------------------------------------------------------------


def test_order_webhook_sample():
    order = m.order_from_webhook(SAMPLES["orders/updated"])
    assert order.external_id == "820982911946154508"
    assert order.customer_external_id == "115310627314723954"
    assert (order.number, order.name, order.email) == (1234, "#9999", "jon@example.com")
    assert order.currency == "USD"
    assert (order.total_price, order.subtotal_price, order.total_tax) == (
        Decimal("404.95"),
        Decimal("404.95"),
        Decimal("0.00"),
    )
    assert (order.total_discounts, order.current_total_price) == (
        Decimal("20.00"),
        Decimal("414.95"),
    )
    assert (order.financial_status, order.fulfillment_status) == ("voided", None)
    assert (order.cancelled_at, order.cancel_reason) == (NEW_YEAR, "customer")
    assert order.test is True
    assert order.checkout_token is None
    assert order.discount_codes == []
    assert order.line_items == [
        {
            "id": "487817672276298554",
            "product_id": "788032119674292922",
            "variant_id": None,
            "sku": "SKU2006-001",
            "title": "Aviator sunglasses",
            "variant_title": None,
            "quantity": 1,
            "price": "89.99",
        }
    ]
    assert order.shipping_address == {
        "address1": "123 Shipping Street",
        "address2": None,
        "city": "Shippington",
        "province": "Kentucky",
        "country": "United States",
        "zip": "40003",
    }
    assert (order.fulfillments, order.refunds) == ([], [])
    assert order.source_created_at == order.source_updated_at == NEW_YEAR


def test_order_webhook_with_fulfillments_refunds_and_codes():
    payload = {
        **SAMPLES["orders/updated"],
        "fulfillment_status": "partial",
        "financial_status": "partially_refunded",
        "checkout_token": "tok123",
        "discount_codes": [{"code": "SUMMER", "amount": "5.00", "type": "fixed_amount"}],
        "fulfillments": [
            {
                "id": 255858046,
                "status": "success",
                "shipment_status": "in_transit",
                "tracking_company": "UPS",
                "tracking_numbers": ["1Z1"],
                "tracking_urls": ["https://ups.test/1Z1"],
                "updated_at": "2026-11-02T10:00:00-05:00",
                "line_items": [{"id": 487817672276298554, "quantity": 1}],
            }
        ],
        "refunds": [
            {
                "id": 509562969,
                "created_at": "2026-11-03T10:00:00Z",
                "transactions": [
                    {"amount": "10.00", "kind": "refund", "status": "success"},
                    {"amount": "99.00", "kind": "refund", "status": "failure"},
                ],
            }
        ],
    }
    order = m.order_from_webhook(payload)
    assert (order.fulfillment_status, order.financial_status) == ("partial", "partially_refunded")
    assert order.checkout_token == "tok123"
    assert order.discount_codes == ["SUMMER"]
    assert order.fulfillments == [
        {
            "id": "255858046",
            "status": "success",
            "shipment_status": "in_transit",
            "tracking_company": "UPS",
            "tracking_numbers": ["1Z1"],
            "tracking_urls": ["https://ups.test/1Z1"],
            "updated_at": "2026-11-02T10:00:00-05:00",
            "line_items": [{"id": "487817672276298554", "quantity": 1}],
        }
    ]
    assert order.refunds == [
        {"id": "509562969", "amount": "10.00", "created_at": "2026-11-03T10:00:00+00:00"}
    ]


def _money(amount, currency="EUR"):
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


ORDER_NODE = {
    "id": "gid://shopify/Order/42",
    "name": "#1042",
    "email": "ann@example.com",
    "createdAt": "2026-11-01T09:00:00Z",
    "updatedAt": "2026-11-02T09:00:00Z",
    "cancelledAt": None,
    "cancelReason": None,
    "test": False,
    "displayFinancialStatus": "PAID",
    "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
    "currencyCode": "EUR",
    "discountCodes": ["WELCOME10"],
    "totalPriceSet": _money("90.00"),
    "subtotalPriceSet": _money("100.00"),
    "totalTaxSet": _money("0.00"),
    "totalDiscountsSet": _money("10.00"),
    "currentTotalPriceSet": _money("80.00"),
    "customer": {"id": "gid://shopify/Customer/7"},
    "shippingAddress": {
        "address1": "1 Rue",
        "address2": None,
        "city": "Paris",
        "province": None,
        "country": "France",
        "zip": "75001",
    },
    "fulfillments": [
        {
            "id": "gid://shopify/Fulfillment/5",
            "status": "SUCCESS",
            "displayStatus": "IN_TRANSIT",
            "updatedAt": "2026-11-02T08:00:00Z",
            "trackingInfo": [{"company": "DHL", "number": "JD1", "url": "https://dhl.test/JD1"}],
        }
    ],
    "refunds": [
        {
            "id": "gid://shopify/Refund/3",
            "createdAt": "2026-11-02T09:00:00Z",
            "totalRefundedSet": _money("10.00"),
        }
    ],
    "lineItems": {
        "edges": [
            {
                "node": {
                    "id": "gid://shopify/LineItem/11",
                    "sku": "MUG",
                    "title": "Mug",
                    "variantTitle": "Blue",
                    "quantity": 2,
                    "product": {"id": "gid://shopify/Product/1"},
                    "variant": {"id": "gid://shopify/ProductVariant/2"},
                    "originalUnitPriceSet": _money("50.00"),
                }
            }
        ],
        "pageInfo": {"hasNextPage": False},
    },
}


def test_order_graphql_node_with_nested_line_items():
    order = m.order_from_graphql(ORDER_NODE)
    assert (order.external_id, order.customer_external_id, order.number) == ("42", "7", 1042)
    assert (order.financial_status, order.fulfillment_status) == ("paid", "partial")
    assert order.current_total_price == Decimal("80.00")
    assert order.discount_codes == ["WELCOME10"]
    assert order.line_items[0] == {
        "id": "11",
        "product_id": "1",
        "variant_id": "2",
        "sku": "MUG",
        "title": "Mug",
        "variant_title": "Blue",
        "quantity": 2,
        "price": "50.00",
    }
    assert order.fulfillments[0]["shipment_status"] == "in_transit"
    assert order.fulfillments[0]["tracking_numbers"] == ["JD1"]
    assert order.refunds == [
        {"id": "3", "amount": "10.00", "created_at": "2026-11-02T09:00:00+00:00"}
    ]
    assert order.checkout_token is None


def test_order_graphql_children_override_nested():
    children = {"LineItem": [{"id": "gid://shopify/LineItem/99", "quantity": 1}]}
    order = m.order_from_graphql({**ORDER_NODE, "lineItems": None}, children)
    assert [li["id"] for li in order.line_items] == ["99"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("FULFILLED", "fulfilled"), ("PARTIALLY_FULFILLED", "partial"), ("UNFULFILLED", None)],
)
def test_order_graphql_fulfillment_status(status, expected):
    node = {**ORDER_NODE, "displayFulfillmentStatus": status}
    assert m.order_from_graphql(node).fulfillment_status == expected


@pytest.mark.parametrize(("name", "number"), [("#1001", 1001), ("SHOP-77-EU", 77), ("X", None)])
def test_order_number_from_name(name, number):
    assert m.order_from_graphql({**ORDER_NODE, "name": name}).number == number


# --- checkouts and carts ---------------------------------------------------------------


def test_checkout_webhook_sample():
    checkout = m.checkout_from_webhook(SAMPLES["checkouts/update"])
    assert checkout.token == "123123123"
    assert checkout.customer_external_id == "603851970716743426"
    assert checkout.email == "example@email.com"
    assert (checkout.currency, checkout.total_price) == ("USD", Decimal("421.88"))
    assert checkout.line_items == [
        {
            "id": "139cb5712fb4c8d9957dcfad9a3028da",  # checkout lines have a key, no id
            "product_id": "632910392",
            "variant_id": "808950810",
            "sku": "IPOD2008PINK",
            "title": "IPod Nano - 8GB",
            "variant_title": "Pink",
            "quantity": 1,
            "price": "199.00",
        }
    ]
    assert checkout.abandoned_checkout_url.endswith("/123123123/recover?key=example-secret-token")
    assert checkout.completed_at is None
    assert checkout.source_updated_at == NEW_YEAR


def test_checkout_graphql_node_token_from_url():
    node = {
        "id": "gid://shopify/AbandonedCheckout/555",
        "abandonedCheckoutUrl": "https://shop.test/1/checkouts/ac/tok-abc/recover?key=k",
        "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T01:00:00Z",
        "completedAt": None,
        "customer": {
            "id": "gid://shopify/Customer/7",
            "defaultEmailAddress": {"emailAddress": "ann@example.com"},
        },
        "totalPriceSet": _money("12.00", "GBP"),
        "lineItems": {"edges": [{"node": {"id": "gid://shopify/AbandonedCheckoutLineItem/1"}}]},
    }
    checkout = m.checkout_from_graphql(node)
    assert (checkout.token, checkout.customer_external_id, checkout.email) == (
        "tok-abc",
        "7",
        "ann@example.com",
    )
    assert (checkout.currency, checkout.total_price) == ("GBP", Decimal("12.00"))
    assert [li["id"] for li in checkout.line_items] == ["1"]
    no_url = m.checkout_from_graphql({**node, "abandonedCheckoutUrl": None})
    assert no_url.token == "555"


def test_cart_webhook_sample():
    cart = m.cart_from_webhook(SAMPLES["carts/update"])
    assert cart.token == "exampleCartId"
    assert (cart.total_price, cart.currency) == (Decimal("59.97"), "USD")
    assert cart.line_items[0]["quantity"] == 3
    assert cart.line_items[0]["price"] == "19.99"
    assert cart.source_updated_at == datetime(2022, 1, 1, tzinfo=UTC)


# --- catalogue -------------------------------------------------------------------------


def test_product_webhook_sample():
    product = m.product_from_webhook(SAMPLES["products/update"])
    assert product == m.ProductRecord(
        external_id="788032119674292922",
        title="Example T-Shirt",
        handle="example-t-shirt",
        status="active",
        vendor="Acme",
        product_type="Shirts",
        tags=["example", "mens", "t-shirt"],
        price_min=Decimal("19.99"),
        price_max=Decimal("19.99"),
        image_url=None,
        variants=[
            {"id": "642667041472713922", "sku": None, "title": "Small", "price": "19.99"},
            {"id": "757650484644203962", "sku": None, "title": "Medium", "price": "19.99"},
        ],
        source_updated_at=NEW_YEAR,
    )


def test_product_graphql_node():
    node = {
        "id": "gid://shopify/Product/1",
        "title": "Mug",
        "handle": "mug",
        "status": "DRAFT",
        "vendor": "Acme",
        "productType": "Kitchen",
        "tags": ["gift"],
        "updatedAt": "2026-11-01T00:00:00Z",
        "priceRangeV2": {
            "minVariantPrice": {"amount": "5.0", "currencyCode": "EUR"},
            "maxVariantPrice": {"amount": "9.5", "currencyCode": "EUR"},
        },
        "featuredMedia": {"preview": {"image": {"url": "https://cdn.test/mug.png"}}},
    }
    variants = [{"id": "gid://shopify/ProductVariant/2", "sku": "M1", "title": "S", "price": "5.0"}]
    product = m.product_from_graphql(node, variants)
    assert (product.status, product.price_min, product.price_max) == (
        "draft",
        Decimal("5.0"),
        Decimal("9.5"),
    )
    assert product.image_url == "https://cdn.test/mug.png"
    assert product.variants == [{"id": "2", "sku": "M1", "title": "S", "price": "5.0"}]
    nested = {**node, "variants": {"edges": [{"node": variants[0]}]}}
    assert m.product_from_graphql(nested).variants == product.variants


def test_collection_webhook_has_unknown_products():
    payload = {"id": 482865238, "title": "Smartphones", "handle": "smartphones", "updated_at": None}
    collection = m.collection_from_webhook(payload)
    assert collection == m.CollectionRecord("482865238", "Smartphones", "smartphones", None, None)


def test_collection_graphql_product_ids():
    node = {"id": "gid://shopify/Collection/9", "title": "Sale", "handle": "sale"}
    ids = ["gid://shopify/Product/1", "gid://shopify/Product/2"]
    assert m.collection_from_graphql(node, ids).product_ids == ["1", "2"]
    assert m.collection_from_graphql(node).product_ids is None
    complete = {**node, "products": {"edges": [{"node": {"id": ids[0]}}], "pageInfo": {}}}
    assert m.collection_from_graphql(complete).product_ids == ["1"]
    partial = {**complete, "products": {**complete["products"], "pageInfo": {"hasNextPage": True}}}
    assert m.collection_from_graphql(partial).product_ids is None


# --- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gid://shopify/Customer/123", "123"),
        ("gid://shopify/Order/820982911946154508", "820982911946154508"),
        ("gid://shopify/LineItem/5?foo=bar", "5"),
        (820982911946154508, "820982911946154508"),
        ("77", "77"),
        (None, None),
        ("", None),
    ],
)
def test_gid_to_id(value, expected):
    assert m.gid_to_id(value) == expected


def test_gid_type_and_datetimes():
    assert m.gid_type("gid://shopify/ProductVariant/1") == "ProductVariant"
    assert m.gid_type("nope") is None
    assert m.parse_datetime("2025-07-10T16:15:47.000000Z") == datetime(
        2025, 7, 10, 16, 15, 47, tzinfo=UTC
    )
    assert m.parse_datetime("2026-01-01T00:00:00").tzinfo is UTC
    assert m.parse_datetime(None) is None


@pytest.mark.parametrize(
    ("url", "token"),
    [
        ("https://checkout.local/548380009/checkouts/123123123/recover?key=x", "123123123"),
        ("https://s.test/1/checkouts/ac/abc/recover", "abc"),
        ("https://s.test/nothing", None),
        (None, None),
    ],
)
def test_checkout_token_from_url(url, token):
    assert m.checkout_token_from_url(url) == token
