"""Customers: GraphQL nodes and customer webhooks (create/update, tags, summary, delete)."""

from __future__ import annotations

from shoplink.integrations.shopify.api.mapping.consent import (
    consent_from_graphql,
    consent_from_rest,
)
from shoplink.integrations.shopify.api.mapping.records import (
    CustomerRecord,
    PurchasingSummary,
    TagChange,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    ADDRESS_FIELDS,
    as_address,
    as_money,
    as_text,
    gid_to_id,
    money_currency,
    parse_datetime,
    split_tags,
)


def customer_from_graphql(node: dict) -> CustomerRecord:
    """Map a GraphQL ``Customer`` node (bulk line or incremental page)."""
    email_address = node.get("defaultEmailAddress")
    phone_number = node.get("defaultPhoneNumber")
    email = email_address.get("emailAddress") if email_address else as_text(node, "email")
    phone = phone_number.get("phoneNumber") if phone_number else as_text(node, "phone")
    if email is None and "defaultEmailAddress" in node:
        email = ""
    if phone is None and "defaultPhoneNumber" in node:
        phone = ""
    address = as_address(node, "defaultAddress") or dict.fromkeys(ADDRESS_FIELDS)
    email_consent = consent_from_graphql("email", email_address) or consent_from_graphql(
        "email", node.get("emailMarketingConsent")
    )
    return CustomerRecord(
        external_id=gid_to_id(node["id"]),
        email=email,
        phone=phone,
        first_name=as_text(node, "firstName"),
        last_name=as_text(node, "lastName"),
        **address,
        tags=split_tags(node["tags"]) if "tags" in node else None,
        source_updated_at=parse_datetime(node.get("updatedAt")),
        source_created_at=parse_datetime(node.get("createdAt")),
        email_consent=email_consent,
        sms_consent=consent_from_graphql("sms", node.get("smsMarketingConsent")),
    )


def customer_from_webhook(payload: dict) -> CustomerRecord:
    """Map a ``customers/create|update`` payload (or an order's nested customer)."""
    address = as_address(payload, "default_address") or dict.fromkeys(ADDRESS_FIELDS)
    return CustomerRecord(
        external_id=gid_to_id(payload["id"]),
        email=as_text(payload, "email"),
        phone=as_text(payload, "phone"),
        first_name=as_text(payload, "first_name"),
        last_name=as_text(payload, "last_name"),
        **address,
        # Absent since 2025-01: unknown, so the upsert keeps what the tag topics wrote.
        tags=split_tags(payload["tags"]) if "tags" in payload else None,
        source_updated_at=parse_datetime(payload.get("updated_at")),
        source_created_at=parse_datetime(payload.get("created_at")),
        email_consent=consent_from_rest("email", payload.get("email_marketing_consent")),
        sms_consent=consent_from_rest("sms", payload.get("sms_marketing_consent")),
    )


def tag_change_from_webhook(topic: str, payload: dict) -> TagChange:
    """Map ``customer.tags_added`` / ``customer.tags_removed`` (camelCase, GIDs)."""
    if topic not in ("customer.tags_added", "customer.tags_removed"):
        raise ValueError(f"not a tag topic: {topic!r}")
    tags = split_tags(payload.get("tags"))
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
        amount_spent=as_money(payload.get("amountSpent")),
        currency=money_currency(payload.get("amountSpent")),
        last_order_external_id=gid_to_id(payload.get("lastOrderId")),
        occurred_at=parse_datetime(payload.get("occurredAt")),
    )


def deleted_id_from_webhook(payload: dict) -> str:
    """Return the numeric id of a ``*/delete`` payload (customers, orders, products, ...)."""
    return gid_to_id(payload["id"])
