"""Pure translation of Shopify shapes into Shoplink records (HOUSE_STYLE "mapping").

Owns every read of raw Shopify JSON field names, one module per entity (``customers``,
``orders``, ``checkouts``, ``catalog``, ``consent``, ``app``) over shared ``scalars`` and
``records``; this package exposes the public functions, so callers write
``mapping.order_from_graphql``. Two input shapes per entity:

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

from shoplink.integrations.shopify.api.mapping.app import (
    bulk_finish_from_webhook,
    scopes_from_webhook,
)
from shoplink.integrations.shopify.api.mapping.catalog import (
    collection_from_graphql,
    collection_from_webhook,
    product_from_graphql,
    product_from_webhook,
)
from shoplink.integrations.shopify.api.mapping.checkouts import (
    cart_from_webhook,
    checkout_from_graphql,
    checkout_from_webhook,
    checkout_token_from_url,
)
from shoplink.integrations.shopify.api.mapping.consent import (
    CONSENT_TOPICS,
    consent_from_graphql,
    consent_from_webhook,
    is_opted_out,
    map_shopify_state,
)
from shoplink.integrations.shopify.api.mapping.customers import (
    customer_from_graphql,
    customer_from_webhook,
    deleted_id_from_webhook,
    purchasing_summary_from_webhook,
    tag_change_from_webhook,
)
from shoplink.integrations.shopify.api.mapping.orders import (
    fulfillment_from_webhook,
    order_from_graphql,
    order_from_webhook,
    refund_from_webhook,
)
from shoplink.integrations.shopify.api.mapping.records import (
    BulkFinish,
    CartRecord,
    CheckoutRecord,
    CollectionRecord,
    ConsentRecord,
    ConsentUpdate,
    CustomerRecord,
    OrderRecord,
    ProductRecord,
    PurchasingSummary,
    TagChange,
)
from shoplink.integrations.shopify.api.mapping.scalars import gid_to_id, gid_type, parse_datetime

__all__ = [
    "CONSENT_TOPICS",
    "BulkFinish",
    "CartRecord",
    "CheckoutRecord",
    "CollectionRecord",
    "ConsentRecord",
    "ConsentUpdate",
    "CustomerRecord",
    "OrderRecord",
    "ProductRecord",
    "PurchasingSummary",
    "TagChange",
    "bulk_finish_from_webhook",
    "cart_from_webhook",
    "checkout_from_graphql",
    "checkout_from_webhook",
    "checkout_token_from_url",
    "collection_from_graphql",
    "collection_from_webhook",
    "consent_from_graphql",
    "consent_from_webhook",
    "customer_from_graphql",
    "customer_from_webhook",
    "deleted_id_from_webhook",
    "fulfillment_from_webhook",
    "gid_to_id",
    "gid_type",
    "is_opted_out",
    "map_shopify_state",
    "order_from_graphql",
    "order_from_webhook",
    "parse_datetime",
    "product_from_graphql",
    "product_from_webhook",
    "purchasing_summary_from_webhook",
    "refund_from_webhook",
    "scopes_from_webhook",
    "tag_change_from_webhook",
]
