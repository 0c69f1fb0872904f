"""The webhook topics Shoplink handles, by the Sync settings category that needs them (D19).

Spellings are Shopify's (PLATFORM.md §2.7): ``orders/updated`` with a *d*, the
underscored consent topics (§9 trap 21). Compliance topics are app-level (TOML /
Partner Dashboard) and never subscribed per shop (§2.4).
"""

from __future__ import annotations

# Category toggle (ShopifyStore field) → the topics it needs.
CATEGORY_TOPICS: dict[str, tuple[str, ...]] = {
    "sync_customers": (
        "customers/create",
        "customers/update",
        "customers/delete",
        # Since 2025-01 customer payloads carry no tags: these topics supply them (§2.8).
        "customer.tags_added",
        "customer.tags_removed",
        "customers/purchasing_summary",
    ),
    "sync_email_consent": ("customers_email_marketing_consent/update",),
    "sync_sms_consent": ("customers_marketing_consent/update",),
    "sync_orders": (
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/cancelled",
        "orders/delete",
        "refunds/create",
        "fulfillments/create",
        "fulfillments/update",
        "fulfillment_events/create",
        "checkouts/create",
        "checkouts/update",
        "checkouts/delete",
        "carts/create",
        "carts/update",
    ),
    "sync_products": (
        "products/create",
        "products/update",
        "products/delete",
        "collections/create",
        "collections/update",
        "collections/delete",
    ),
}
# Subscribed for every store whatever its toggles (D19).
ALWAYS_TOPICS = ("app/uninstalled", "app/scopes_update", "bulk_operations/finish")
# App-level, delivered to the same receiver (§2.5); honoured for any store status.
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")

TOPIC_CATEGORY: dict[str, str] = {
    topic: category for category, topics in CATEGORY_TOPICS.items() for topic in topics
}
KNOWN_TOPICS = frozenset(TOPIC_CATEGORY) | frozenset(ALWAYS_TOPICS) | frozenset(COMPLIANCE_TOPICS)
