"""Pure translation of Shopify shapes into Shoplink records (HOUSE_STYLE "mapping.py").

Owns every read of raw Shopify JSON field names. Two input shapes per entity:

* **GraphQL nodes** (bulk JSONL lines and incremental pages): camelCase, GIDs such as
  ``gid://shopify/Customer/123``, money as ``{shopMoney {amount currencyCode}}``.
  Children arrive either nested (``lineItems.edges[].node``, incremental pages) or as
  separate JSONL lines joined by :class:`~.jsonl.JsonlJoiner` (``children`` argument).
* **REST webhook payloads** (2026-07 shapes, PLATFORM.md §2.8–2.9): snake_case,
  numeric ids (above 2^53, kept as strings), money as decimal strings.

"Unknown" vs "empty": a field whose key is absent from the payload maps to ``None``
(unknown: an upsert must not touch it); a key that is present with ``null`` maps to
``""`` (known to be empty). Customer webhooks have carried no tags and no consent
since 2025-01 (§2.8, §9 trap 9), so from them ``tags``, ``email_consent`` and
``sms_consent`` are ``None``. Ids are numeric strings, money is ``Decimal``, times are
timezone-aware ``datetime``; values inside JSON-bound lists/dicts (line items,
fulfillments, refunds, variants) are JSON-safe (money and times as strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from shoplink.audience.consent import map_shopify_state

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>[^/?#]+)")
_ORDER_NUMBER = re.compile(r"^\D*(\d+)\D*$")
_FULFILLMENT_STATUS = {
    "fulfilled": "fulfilled",
    "partial": "partial",
    "partially_fulfilled": "partial",
}
# FulfillmentDisplayStatus values that are also REST ``shipment_status`` values.
_SHIPMENT_STATUSES = frozenset(
    {
        "label_printed",
        "label_purchased",
        "attempted_delivery",
        "ready_for_pickup",
        "picked_up",
        "confirmed",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failure",
        "delayed",
        "not_delivered",
    }
)
_ADDRESS_FIELDS = ("address1", "address2", "city", "province", "country", "zip")


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentRecord:
    """One channel's marketing consent: our state plus Shopify's raw provenance (D20)."""

    channel: str  # "email" | "sms"
    shopify_state: str | None  # upper-case, e.g. "SUBSCRIBED"; None when Shopify sent null
    state: str  # ours: subscribed | opted_in | unsubscribed | not_subscribed | pending
    opt_in_level: str | None
    collected_from: str | None
    consent_updated_at: datetime | None


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province: str | None
    country: str | None
    zip: str | None
    tags: list[str] | None  # None = unknown (webhooks since 2025-01)
    source_updated_at: datetime | None
    source_created_at: datetime | None
    email_consent: ConsentRecord | None  # None = unknown
    sms_consent: ConsentRecord | None  # None = unknown


@dataclass(frozen=True)
class OrderRecord:
    external_id: str
    customer_external_id: str | None
    number: int | None
    name: str | None
    email: str | None
    currency: str | None
    total_price: Decimal | None
    subtotal_price: Decimal | None
    total_tax: Decimal | None
    total_discounts: Decimal | None
    current_total_price: Decimal | None
    financial_status: str | None
    fulfillment_status: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    test: bool
    checkout_token: str | None  # webhooks only; GraphQL Order has no checkout token
    discount_codes: list[str]
    line_items: list[dict]
    shipping_address: dict | None
    fulfillments: list[dict]
    refunds: list[dict]
    source_created_at: datetime | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CheckoutRecord:
    token: str
    customer_external_id: str | None
    email: str | None
    currency: str | None
    total_price: Decimal | None
    line_items: list[dict]
    abandoned_checkout_url: str | None
    completed_at: datetime | None
    source_created_at: datetime | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CartRecord:
    token: str
    line_items: list[dict]
    total_price: Decimal | None
    currency: str | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class ProductRecord:
    external_id: str
    title: str | None
    handle: str | None
    status: str | None
    vendor: str | None
    product_type: str | None
    tags: list[str]
    price_min: Decimal | None
    price_max: Decimal | None
    image_url: str | None
    variants: list[dict]
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CollectionRecord:
    external_id: str
    title: str | None
    handle: str | None
    product_ids: list[str] | None  # None = unknown (collection webhooks list no products)
    source_updated_at: datetime | None


class ConsentUpdate(NamedTuple):
    """What a consent webhook says: whose consent, the new consent, the address it is for."""

    customer_external_id: str
    consent: ConsentRecord
    address: str | None  # the email address or phone number the consent belongs to


class TagChange(NamedTuple):
    """``customer.tags_added`` / ``customer.tags_removed``: a delta, not the full list."""

    customer_external_id: str
    added: list[str]
    removed: list[str]
    occurred_at: datetime | None


class PurchasingSummary(NamedTuple):
    customer_external_id: str
    number_of_orders: int | None
    amount_spent: Decimal | None
    currency: str | None
    last_order_external_id: str | None
    occurred_at: datetime | None


class BulkFinish(NamedTuple):
    """``bulk_operations/finish``: which operation, and how it ended (upper-case enums)."""

    operation_gid: str
    status: str | None
    error_code: str | None
    type: str | None
    completed_at: datetime | None


# --- scalar helpers --------------------------------------------------------------------


def gid_to_id(gid: Any) -> str | None:
    """Return the numeric id of a GID (``gid://shopify/Order/1`` → ``"1"``); ids pass through."""
    if gid is None or gid == "":
        return None
    if isinstance(gid, int):
        return str(gid)
    match = _GID.match(str(gid))
    return match.group("id") if match else str(gid)


def gid_type(gid: str) -> str | None:
    """Return the type of a GID (``gid://shopify/LineItem/1`` → ``"LineItem"``)."""
    match = _GID.match(gid or "")
    return match.group("type") if match else None


def parse_datetime(value: Any) -> datetime | None:
    """Parse Shopify's ISO 8601 timestamps into aware datetimes (naive ones are UTC)."""
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _money(bag: Any) -> Decimal | None:
    """Amount of a GraphQL ``MoneyBag`` (shop currency) or ``MoneyV2``."""
    if not bag:
        return None
    money = bag.get("shopMoney", bag)
    return _decimal(money.get("amount"))


def _money_currency(bag: Any) -> str | None:
    if not bag:
        return None
    return bag.get("shopMoney", bag).get("currencyCode")


def _text(payload: dict, key: str) -> str | None:
    """Absent key → None (unknown); present null → "" (known empty); else the string."""
    if key not in payload:
        return None
    value = payload[key]
    return "" if value is None else str(value)


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _upper(value: Any) -> str | None:
    return str(value).upper() if value else None


def _iso(value: Any) -> str | None:
    parsed = parse_datetime(value)
    return parsed.isoformat() if parsed else None


def _str_amount(value: Any) -> str | None:
    amount = _decimal(value)
    return str(amount) if amount is not None else None


def _split_tags(value: Any) -> list[str]:
    """REST tags are one comma-separated string; GraphQL tags are a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in str(value).split(",") if t.strip()]


def _address(payload: dict, key: str) -> dict[str, str | None] | None:
    """Address fields from ``payload[key]``; None when the key is absent."""
    if key not in payload:
        return None
    address = payload[key] or {}
    return {name: _text(address, name) if address else "" for name in _ADDRESS_FIELDS}


def _shipping_address(address: Any) -> dict | None:
    if not address:
        return None
    return {name: address.get(name) for name in _ADDRESS_FIELDS}


def _nested_nodes(node: dict, key: str) -> list[dict]:
    """Nodes of a nested connection, selected as ``edges { node }`` or ``nodes``."""
    connection = node.get(key) or {}
    if "nodes" in connection:
        return list(connection["nodes"] or [])
    return [edge["node"] for edge in connection.get("edges") or []]


def _children(node: dict, children: dict | None, type_name: str, key: str) -> list[dict]:
    if children is not None and type_name in children:
        return list(children[type_name])
    return _nested_nodes(node, key)


# --- consent ---------------------------------------------------------------------------


def _consent(channel, state, level, collected_from, updated_at) -> ConsentRecord:
    return ConsentRecord(
        channel=channel,
        shopify_state=_upper(state),
        state=map_shopify_state(state, level),
        opt_in_level=_upper(level),
        collected_from=_upper(collected_from),
        consent_updated_at=parse_datetime(updated_at),
    )


def consent_from_graphql(channel: str, consent: dict | None) -> ConsentRecord | None:
    """Map ``CustomerEmailAddress`` / ``Customer*MarketingConsentState`` to a record.

    Email consent comes from ``defaultEmailAddress`` (``marketingUpdatedAt``), SMS from
    ``smsMarketingConsent`` (``consentUpdatedAt``, ``consentCollectedFrom``); both
    field spellings are accepted. ``None`` in, ``None`` out (unknown).
    """
    if not consent or "marketingState" not in consent:
        return None
    return _consent(
        channel,
        consent.get("marketingState"),
        consent.get("marketingOptInLevel"),
        consent.get("consentCollectedFrom") or consent.get("marketingCollectedFrom"),
        consent.get("consentUpdatedAt") or consent.get("marketingUpdatedAt"),
    )


def _consent_from_rest(channel: str, consent: dict | None) -> ConsentRecord | None:
    if consent is None:
        return None
    return _consent(
        channel,
        consent.get("state"),
        consent.get("opt_in_level"),
        consent.get("consent_collected_from"),
        consent.get("consent_updated_at"),
    )


CONSENT_TOPICS = {
    "customers_email_marketing_consent/update": "email",
    "customers_marketing_consent/update": "sms",  # the SMS topic (§2.7)
}


def consent_from_webhook(topic: str, payload: dict) -> ConsentUpdate:
    """Map the two consent topics' payloads (shapes differ, §2.9)."""
    channel = CONSENT_TOPICS.get(topic)
    if channel == "email":
        customer_id = gid_to_id(payload["customer_id"])
        consent = _consent_from_rest("email", payload.get("email_marketing_consent") or {})
        address = payload.get("email_address")
    elif channel == "sms":
        customer_id = gid_to_id(payload["id"])
        consent = _consent_from_rest("sms", payload.get("sms_marketing_consent") or {})
        address = payload.get("phone")
    else:
        raise ValueError(f"not a consent topic: {topic!r}")
    return ConsentUpdate(customer_id, consent, address)


# --- customers -------------------------------------------------------------------------


def customer_from_graphql(node: dict) -> CustomerRecord:
    """Map a GraphQL ``Customer`` node (bulk line or incremental page)."""
    email_address = node.get("defaultEmailAddress")
    phone_number = node.get("defaultPhoneNumber")
    email = email_address.get("emailAddress") if email_address else _text(node, "email")
    phone = phone_number.get("phoneNumber") if phone_number else _text(node, "phone")
    if email is None and "defaultEmailAddress" in node:
        email = ""
    if phone is None and "defaultPhoneNumber" in node:
        phone = ""
    address = _address(node, "defaultAddress") or dict.fromkeys(_ADDRESS_FIELDS)
    email_consent = consent_from_graphql("email", email_address) or consent_from_graphql(
        "email", node.get("emailMarketingConsent")
    )
    return CustomerRecord(
        external_id=gid_to_id(node["id"]),
        email=email,
        phone=phone,
        first_name=_text(node, "firstName"),
        last_name=_text(node, "lastName"),
        **address,
        tags=_split_tags(node["tags"]) if "tags" in node else None,
        source_updated_at=parse_datetime(node.get("updatedAt")),
        source_created_at=parse_datetime(node.get("createdAt")),
        email_consent=email_consent,
        sms_consent=consent_from_graphql("sms", node.get("smsMarketingConsent")),
    )


def customer_from_webhook(payload: dict) -> CustomerRecord:
    """Map a ``customers/create|update`` payload (or an order's nested customer)."""
    address = _address(payload, "default_address") or dict.fromkeys(_ADDRESS_FIELDS)
    return CustomerRecord(
        external_id=gid_to_id(payload["id"]),
        email=_text(payload, "email"),
        phone=_text(payload, "phone"),
        first_name=_text(payload, "first_name"),
        last_name=_text(payload, "last_name"),
        **address,
        # Absent since 2025-01: unknown, so the upsert keeps what the tag topics wrote.
        tags=_split_tags(payload["tags"]) if "tags" in payload else None,
        source_updated_at=parse_datetime(payload.get("updated_at")),
        source_created_at=parse_datetime(payload.get("created_at")),
        email_consent=_consent_from_rest("email", payload.get("email_marketing_consent")),
        sms_consent=_consent_from_rest("sms", payload.get("sms_marketing_consent")),
    )


def tag_change_from_webhook(topic: str, payload: dict) -> TagChange:
    """Map ``customer.tags_added`` / ``customer.tags_removed`` (camelCase, GIDs)."""
    if topic not in ("customer.tags_added", "customer.tags_removed"):
        raise ValueError(f"not a tag topic: {topic!r}")
    tags = _split_tags(payload.get("tags"))
    added = tags if topic == "customer.tags_added" else []
    removed = tags if topic == "customer.tags_removed" else []
    occurred_at = parse_datetime(payload.get("occurredAt"))
    return TagChange(gid_to_id(payload["customerId"]), added, removed, occurred_at)


def purchasing_summary_from_webhook(payload: dict) -> PurchasingSummary:
    """Map ``customers/purchasing_summary`` (numberOfOrders may be a string, §9 trap 18)."""
    count = payload.get("numberOfOrders")
    return PurchasingSummary(
        customer_external_id=gid_to_id(payload["customerId"]),
        number_of_orders=int(count) if count is not None else None,
        amount_spent=_money(payload.get("amountSpent")),
        currency=_money_currency(payload.get("amountSpent")),
        last_order_external_id=gid_to_id(payload.get("lastOrderId")),
        occurred_at=parse_datetime(payload.get("occurredAt")),
    )


def deleted_id_from_webhook(payload: dict) -> str:
    """Return the numeric id of a ``*/delete`` payload (customers, orders, products, ...)."""
    return gid_to_id(payload["id"])


def bulk_finish_from_webhook(payload: dict) -> BulkFinish:
    """Map ``bulk_operations/finish`` (lower-case status/type in the payload, §2.9)."""
    return BulkFinish(
        operation_gid=payload["admin_graphql_api_id"],
        status=_upper(payload.get("status")),
        error_code=_upper(payload.get("error_code")),
        type=_upper(payload.get("type")),
        completed_at=parse_datetime(payload.get("completed_at")),
    )


def scopes_from_webhook(payload: dict) -> tuple[list[str], list[str]]:
    """Return ``(previous, current)`` scope handles from ``app/scopes_update``."""
    return list(payload.get("previous") or []), list(payload.get("current") or [])


# --- orders ----------------------------------------------------------------------------


def _order_number_from_name(name: str | None) -> int | None:
    """GraphQL ``Order`` has no order-number field; ``#1001`` → 1001 (prefix/suffix ok)."""
    match = _ORDER_NUMBER.match(name or "")
    return int(match.group(1)) if match else None


def _rest_line_item(item: dict) -> dict:
    return {
        "id": gid_to_id(item.get("id")) or item.get("key"),
        "product_id": gid_to_id(item.get("product_id")),
        "variant_id": gid_to_id(item.get("variant_id")),
        "sku": item.get("sku"),
        "title": item.get("title"),
        "variant_title": item.get("variant_title"),
        "quantity": item.get("quantity"),
        "price": _str_amount(item.get("price")),
    }


def _graphql_line_item(item: dict) -> dict:
    return {
        "id": gid_to_id(item.get("id")),
        "product_id": gid_to_id((item.get("product") or {}).get("id")),
        "variant_id": gid_to_id((item.get("variant") or {}).get("id")),
        "sku": item.get("sku"),
        "title": item.get("title"),
        "variant_title": item.get("variantTitle"),
        "quantity": item.get("quantity"),
        "price": _str_amount(_money(item.get("originalUnitPriceSet"))),
    }


def _rest_fulfillment(fulfillment: dict) -> dict:
    return {
        "id": gid_to_id(fulfillment.get("id")),
        "status": _lower(fulfillment.get("status")),
        "shipment_status": _lower(fulfillment.get("shipment_status")),
        "tracking_company": fulfillment.get("tracking_company"),
        "tracking_numbers": list(fulfillment.get("tracking_numbers") or []),
        "tracking_urls": list(fulfillment.get("tracking_urls") or []),
        "updated_at": _iso(fulfillment.get("updated_at")),
        "line_items": [
            {"id": gid_to_id(li.get("id")), "quantity": li.get("quantity")}
            for li in fulfillment.get("line_items") or []
        ],
    }


def _graphql_fulfillment(fulfillment: dict) -> dict:
    tracking = fulfillment.get("trackingInfo") or []
    display = _lower(fulfillment.get("displayStatus"))
    fulfillment_line_items = _nested_nodes(fulfillment, "fulfillmentLineItems")
    return {
        "id": gid_to_id(fulfillment.get("id")),
        "status": _lower(fulfillment.get("status")),
        # REST shipment_status has no GraphQL twin; displayStatus carries the same
        # carrier states (in_transit, delivered, ...) when the fulfillment has them.
        "shipment_status": display if display in _SHIPMENT_STATUSES else None,
        "tracking_company": tracking[0].get("company") if tracking else None,
        "tracking_numbers": [t["number"] for t in tracking if t.get("number")],
        "tracking_urls": [t["url"] for t in tracking if t.get("url")],
        "updated_at": _iso(fulfillment.get("updatedAt")),
        "line_items": [
            {
                "id": gid_to_id((fli.get("lineItem") or {}).get("id")),
                "quantity": fli.get("quantity"),
            }
            for fli in fulfillment_line_items
        ],
    }


def _rest_refund(refund: dict) -> dict:
    transactions = refund.get("transactions") or []
    amounts = [
        _decimal(t.get("amount"))
        for t in transactions
        if t.get("kind", "refund") == "refund" and t.get("status", "success") == "success"
    ]
    total = sum((a for a in amounts if a is not None), Decimal("0"))
    return {
        "id": gid_to_id(refund.get("id")),
        "amount": str(total),
        "created_at": _iso(refund.get("created_at")),
    }


def _graphql_refund(refund: dict) -> dict:
    return {
        "id": gid_to_id(refund.get("id")),
        "amount": _str_amount(_money(refund.get("totalRefundedSet"))),
        "created_at": _iso(refund.get("createdAt")),
    }


def order_from_webhook(payload: dict) -> OrderRecord:
    """Map an ``orders/*`` payload (2026-07: key checkouts by ``checkout_token``, §2.8)."""
    customer = payload.get("customer") or {}
    return OrderRecord(
        external_id=gid_to_id(payload["id"]),
        customer_external_id=gid_to_id(customer.get("id")),
        number=payload.get("order_number"),
        name=payload.get("name"),
        email=payload.get("email") or payload.get("contact_email"),
        currency=payload.get("currency"),
        total_price=_decimal(payload.get("total_price")),
        subtotal_price=_decimal(payload.get("subtotal_price")),
        total_tax=_decimal(payload.get("total_tax")),
        total_discounts=_decimal(payload.get("total_discounts")),
        current_total_price=_decimal(payload.get("current_total_price")),
        financial_status=_lower(payload.get("financial_status")),
        fulfillment_status=_FULFILLMENT_STATUS.get(_lower(payload.get("fulfillment_status"))),
        cancelled_at=parse_datetime(payload.get("cancelled_at")),
        cancel_reason=_lower(payload.get("cancel_reason")),
        test=bool(payload.get("test")),
        checkout_token=payload.get("checkout_token"),
        discount_codes=[d.get("code") for d in payload.get("discount_codes") or []],
        line_items=[_rest_line_item(li) for li in payload.get("line_items") or []],
        shipping_address=_shipping_address(payload.get("shipping_address")),
        fulfillments=[_rest_fulfillment(f) for f in payload.get("fulfillments") or []],
        refunds=[_rest_refund(r) for r in payload.get("refunds") or []],
        source_created_at=parse_datetime(payload.get("created_at")),
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def order_from_graphql(node: dict, children: dict | None = None) -> OrderRecord:
    """Map a GraphQL ``Order``; line items from ``children["LineItem"]`` or nested."""
    line_items = _children(node, children, "LineItem", "lineItems")
    return OrderRecord(
        external_id=gid_to_id(node["id"]),
        customer_external_id=gid_to_id((node.get("customer") or {}).get("id")),
        number=_order_number_from_name(node.get("name")),
        name=node.get("name"),
        email=node.get("email"),
        currency=node.get("currencyCode") or _money_currency(node.get("totalPriceSet")),
        total_price=_money(node.get("totalPriceSet")),
        subtotal_price=_money(node.get("subtotalPriceSet")),
        total_tax=_money(node.get("totalTaxSet")),
        total_discounts=_money(node.get("totalDiscountsSet")),
        current_total_price=_money(node.get("currentTotalPriceSet")),
        financial_status=_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_FULFILLMENT_STATUS.get(_lower(node.get("displayFulfillmentStatus"))),
        cancelled_at=parse_datetime(node.get("cancelledAt")),
        cancel_reason=_lower(node.get("cancelReason")),
        test=bool(node.get("test")),
        checkout_token=None,
        discount_codes=list(node.get("discountCodes") or []),
        line_items=[_graphql_line_item(li) for li in line_items],
        shipping_address=_shipping_address(node.get("shippingAddress")),
        fulfillments=[_graphql_fulfillment(f) for f in node.get("fulfillments") or []],
        refunds=[_graphql_refund(r) for r in node.get("refunds") or []],
        source_created_at=parse_datetime(node.get("createdAt")),
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )


# --- checkouts and carts ---------------------------------------------------------------


def checkout_token_from_url(url: str | None) -> str | None:
    """Return the checkout token in an ``abandonedCheckoutUrl`` (``…/<token>/recover``).

    GraphQL ``AbandonedCheckout`` exposes no token, but webhooks key on it (§2.8, §9
    trap 10) and the recovery URL carries it as the segment before ``recover``.
    """
    if not url:
        return None
    segments = [s for s in url.split("?", 1)[0].split("/") if s]
    if "recover" in segments:
        index = segments.index("recover")
        return segments[index - 1] if index > 0 else None
    return None


def checkout_from_webhook(payload: dict) -> CheckoutRecord:
    """Map ``checkouts/create|update`` (no ``id`` since 2026-04: key on ``token``)."""
    customer = payload.get("customer") or {}
    return CheckoutRecord(
        token=str(payload["token"]),
        customer_external_id=gid_to_id(customer.get("id")),
        email=payload.get("email") or customer.get("email"),
        currency=payload.get("currency"),
        total_price=_decimal(payload.get("total_price")),
        line_items=[_rest_line_item(li) for li in payload.get("line_items") or []],
        abandoned_checkout_url=payload.get("abandoned_checkout_url"),
        completed_at=parse_datetime(payload.get("completed_at")),
        source_created_at=parse_datetime(payload.get("created_at")),
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def checkout_from_graphql(node: dict, children: dict | None = None) -> CheckoutRecord:
    """Map a GraphQL ``AbandonedCheckout``; line items from children or nested."""
    customer = node.get("customer") or {}
    email_address = customer.get("defaultEmailAddress") or {}
    line_items = _children(node, children, "AbandonedCheckoutLineItem", "lineItems")
    url = node.get("abandonedCheckoutUrl")
    return CheckoutRecord(
        token=checkout_token_from_url(url) or gid_to_id(node["id"]),
        customer_external_id=gid_to_id(customer.get("id")),
        email=email_address.get("emailAddress") or customer.get("email"),
        currency=_money_currency(node.get("totalPriceSet")),
        total_price=_money(node.get("totalPriceSet")),
        line_items=[_graphql_line_item(li) for li in line_items],
        abandoned_checkout_url=url,
        completed_at=parse_datetime(node.get("completedAt")),
        source_created_at=parse_datetime(node.get("createdAt")),
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )


def cart_from_webhook(payload: dict) -> CartRecord:
    """Map ``carts/create|update``; carts carry no total, so it is the sum of line prices."""
    items = payload.get("line_items") or []
    line_prices = [_decimal(li.get("line_price")) for li in items]
    total = sum((p for p in line_prices if p is not None), Decimal("0")) if items else None
    currency = None
    for item in items:
        money = (item.get("line_price_set") or item.get("price_set") or {}).get("shop_money")
        if money and money.get("currency_code"):
            currency = money["currency_code"]
            break
    return CartRecord(
        token=str(payload.get("token") or payload["id"]),
        line_items=[_rest_line_item(li) for li in items],
        total_price=total,
        currency=currency,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


# --- catalogue -------------------------------------------------------------------------


def _variant(variant: dict) -> dict:
    return {
        "id": gid_to_id(variant.get("id")),
        "sku": variant.get("sku"),
        "title": variant.get("title"),
        "price": _str_amount(variant.get("price")),
    }


def product_from_webhook(payload: dict) -> ProductRecord:
    """Map ``products/create|update``; tags arrive as one comma-separated string."""
    variants = [_variant(v) for v in payload.get("variants") or []]
    prices = [Decimal(v["price"]) for v in variants if v["price"] is not None]
    image = payload.get("image") or next(iter(payload.get("images") or []), None)
    return ProductRecord(
        external_id=gid_to_id(payload["id"]),
        title=payload.get("title"),
        handle=payload.get("handle"),
        status=_lower(payload.get("status")),
        vendor=payload.get("vendor"),
        product_type=payload.get("product_type"),
        tags=_split_tags(payload.get("tags")),
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        image_url=(image or {}).get("src"),
        variants=variants,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def product_from_graphql(node: dict, variants: list[dict] | None = None) -> ProductRecord:
    """Map a GraphQL ``Product``; variants from JSONL children or nested ``variants``."""
    if variants is None:
        variants = _nested_nodes(node, "variants")
    price_range = node.get("priceRangeV2") or {}
    media = node.get("featuredMedia") or {}
    image = ((media.get("preview") or {}).get("image") or {}).get("url")
    image = image or (node.get("featuredImage") or {}).get("url")
    return ProductRecord(
        external_id=gid_to_id(node["id"]),
        title=node.get("title"),
        handle=node.get("handle"),
        status=_lower(node.get("status")),
        vendor=node.get("vendor"),
        product_type=node.get("productType"),
        tags=_split_tags(node.get("tags")),
        price_min=_money(price_range.get("minVariantPrice")),
        price_max=_money(price_range.get("maxVariantPrice")),
        image_url=image,
        variants=[_variant(v) for v in variants],
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )


def collection_from_webhook(payload: dict) -> CollectionRecord:
    """Map ``collections/create|update``; the payload lists no products (unknown)."""
    return CollectionRecord(
        external_id=gid_to_id(payload["id"]),
        title=payload.get("title"),
        handle=payload.get("handle"),
        product_ids=None,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def collection_from_graphql(node: dict, product_ids: list[str] | None = None) -> CollectionRecord:
    """Map a GraphQL ``Collection``; product ids (GIDs or numeric) from JSONL or nested.

    With nested products, a page that says ``pageInfo.hasNextPage`` is a partial
    membership, so ``product_ids`` is None (unknown) rather than a truncated list.
    """
    if product_ids is None and "products" in node:
        products = node["products"] or {}
        if not (products.get("pageInfo") or {}).get("hasNextPage"):
            product_ids = [p["id"] for p in _nested_nodes(node, "products")]
    return CollectionRecord(
        external_id=gid_to_id(node["id"]),
        title=node.get("title"),
        handle=node.get("handle"),
        product_ids=[gid_to_id(p) for p in product_ids] if product_ids is not None else None,
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )
