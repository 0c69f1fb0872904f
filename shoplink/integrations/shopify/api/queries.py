"""Every Admin GraphQL document Shoplink sends to Shopify, as text.

This module owns operation *text* only (HOUSE_STYLE: ``client.py`` sends, ``mapping.py``
translates). Constants are complete documents; the two builders, :func:`bulk_query`
and :func:`incremental_query`, return documents per entity; the ``*_variables``
helpers build the variables for the parameterised operations. Names are a contract:
the client, sync code and the simulator all key on them.

Every field was checked against the 2025-01 introspection schema plus the SDL
extension for later versions (``simulator/shopsim/data/admin_extensions.graphql``);
``tests/test_queries_schema.py`` validates every document here, counts bulk
connections and computes requested cost, so a typo or an over-budget page fails CI.

Deliberate choices (PLATFORM.md section in brackets):
* Customer email and email consent come from ``defaultEmailAddress`` (2025-04+;
  ``Customer.email`` / ``emailMarketingConsent`` are deprecated) [§5.1].
* Webhook subscriptions use the unified ``uri`` (2025-04+; ``callbackUrl`` is
  deprecated) [§2.4].
* Bulk runs pass ``groupObjects: false`` explicitly: the 2026-01 default, and faster;
  the JSONL reader never assumes order [§4, §9 trap 17].
* GraphQL ``Order`` has no checkout token and no order number field: ``number`` is
  read from ``name`` by mapping, and ``checkout_token`` arrives only by webhook.
* ``AbandonedCheckout`` has no token field and no ``UPDATED_AT`` sort key: the token is
  the path segment of ``abandonedCheckoutUrl`` (mapping) and reconciliation pages by ID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

# --- shared selections -----------------------------------------------------------------

_MONEY = "shopMoney { amount currencyCode }"
_ADDRESS = "address1 address2 city province country zip"

_CUSTOMER_FIELDS = f"""
  id firstName lastName tags createdAt updatedAt
  defaultEmailAddress {{ emailAddress marketingState marketingOptInLevel marketingUpdatedAt }}
  defaultPhoneNumber {{ phoneNumber }}
  smsMarketingConsent {{ marketingState marketingOptInLevel consentUpdatedAt consentCollectedFrom }}
  defaultAddress {{ {_ADDRESS} }}
"""

_ORDER_FIELDS = f"""
  id name email createdAt updatedAt cancelledAt cancelReason test
  displayFinancialStatus displayFulfillmentStatus currencyCode discountCodes
  totalPriceSet {{ {_MONEY} }}
  subtotalPriceSet {{ {_MONEY} }}
  totalTaxSet {{ {_MONEY} }}
  totalDiscountsSet {{ {_MONEY} }}
  currentTotalPriceSet {{ {_MONEY} }}
  customer {{ id }}
  shippingAddress {{ {_ADDRESS} }}
  fulfillments{{fulfillments_args}} {{
    id status displayStatus updatedAt
    trackingInfo {{ company number url }}
  }}
  refunds{{refunds_args}} {{ id createdAt totalRefundedSet {{ {_MONEY} }} }}
"""

_LINE_ITEM_FIELDS = f"""
  id sku title variantTitle quantity
  product {{ id }}
  variant {{ id }}
  originalUnitPriceSet {{ {_MONEY} }}
"""

_CHECKOUT_FIELDS = f"""
  id abandonedCheckoutUrl createdAt updatedAt completedAt
  customer {{ id defaultEmailAddress {{ emailAddress }} }}
  totalPriceSet {{ {_MONEY} }}
"""

_CHECKOUT_LINE_ITEM_FIELDS = f"""
  id sku title variantTitle quantity
  product {{ id }}
  variant {{ id }}
  originalUnitPriceSet {{ {_MONEY} }}
"""

_PRODUCT_FIELDS = """
  id title handle status vendor productType tags updatedAt
  priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
  featuredMedia { preview { image { url } } }
"""

_VARIANT_FIELDS = "id sku title price"

_COLLECTION_FIELDS = "id title handle updatedAt"

_BULK_OPERATION_FIELDS = """
  id status errorCode createdAt completedAt objectCount rootObjectCount fileSize
  url partialDataUrl type
"""

# --- shop, scopes, webhooks ------------------------------------------------------------

SHOP_INFO = """
query ShopInfo {
  shop {
    name email myshopifyDomain ianaTimezone currencyCode
    primaryDomain { host }
    plan { displayName }
    billingAddress { countryCodeV2 country }
  }
  currentAppInstallation { accessScopes { handle } }
}
"""

ACCESS_SCOPES = """
query AccessScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    edges { node { id topic uri format includeFields filter } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
WEBHOOK_SUBSCRIPTIONS_PAGE_SIZE = 100

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri, format: JSON }) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

APP_UNINSTALL = """
mutation AppUninstall {
  appUninstall {
    app { id }
    userErrors { code field message }
  }
}
"""

# --- bulk operations (§4) --------------------------------------------------------------

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { code field message }
  }
}
"""

# ``bulkOperation(id:)`` is 2026-01+; ``currentBulkOperation`` is the fallback for
# operations started before we knew the id (it is being deprecated, §4).
BULK_OPERATION_STATUS = f"""
query BulkOperationStatus($id: ID!) {{
  bulkOperation(id: $id) {{ {_BULK_OPERATION_FIELDS} }}
}}
"""

CURRENT_BULK_OPERATION = f"""
query CurrentBulkOperation {{
  currentBulkOperation(type: QUERY) {{ {_BULK_OPERATION_FIELDS} }}
}}
"""

# 2026-01+: the app's bulk operations, newest first (PLATFORM §4). Used when Shopify says
# OPERATION_IN_PROGRESS, to find operations of attempts we no longer track.
BULK_OPERATIONS_RECENT = f"""
query BulkOperationsRecent {{
  bulkOperations(first: 25, query: "operation_type:query") {{
    nodes {{ {_BULK_OPERATION_FIELDS} }}
  }}
}}
"""

BULK_OPERATION_CANCEL = """
mutation BulkOperationCancel($id: ID!) {
  bulkOperationCancel(id: $id) {
    bulkOperation { id status }
    userErrors { field message }
  }
}
"""

# --- write-back (§5.2) -----------------------------------------------------------------

CUSTOMER_FOR_FILL_IN = f"""
query CustomerForFillIn($id: ID!) {{
  customer(id: $id) {{
    id firstName lastName updatedAt
    defaultPhoneNumber {{ phoneNumber }}
    defaultAddress {{ id {_ADDRESS} }}
  }}
}}
"""

CUSTOMER_UPDATE = """
mutation CustomerUpdate($input: CustomerInput!) {
  customerUpdate(input: $input) {
    customer { id updatedAt }
    userErrors { field message }
  }
}
"""

CUSTOMER_EMAIL_CONSENT_UPDATE = """
mutation CustomerEmailConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer {
      id
      defaultEmailAddress { marketingState marketingOptInLevel marketingUpdatedAt }
    }
    userErrors { code field message }
  }
}
"""

CUSTOMER_SMS_CONSENT_UPDATE = """
mutation CustomerSmsConsentUpdate($input: CustomerSmsMarketingConsentUpdateInput!) {
  customerSmsMarketingConsentUpdate(input: $input) {
    customer {
      id
      smsMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt }
    }
    userErrors { code field message }
  }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { code elementIndex field message }
  }
}
"""
METAFIELDS_SET_MAX = 25  # §5.2: at most 25 metafields per call

# --- entity documents ------------------------------------------------------------------

BULK_ENTITIES = ("customers", "orders", "abandoned_checkouts", "products", "collections")
# Carts have no Admin query (§5.3); they arrive only by webhook.
INCREMENTAL_ENTITIES = BULK_ENTITIES

# Root field, node fields, (child connection, child fields) per entity.
_ENTITY_SHAPES: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "customers": ("customers", _CUSTOMER_FIELDS, None),
    "orders": ("orders", _ORDER_FIELDS, ("lineItems", _LINE_ITEM_FIELDS)),
    "abandoned_checkouts": (
        "abandonedCheckouts",
        _CHECKOUT_FIELDS,
        ("lineItems", _CHECKOUT_LINE_ITEM_FIELDS),
    ),
    "products": ("products", _PRODUCT_FIELDS, ("variants", _VARIANT_FIELDS)),
    "collections": ("collections", _COLLECTION_FIELDS, ("products", "id")),
}

# Page sizes for reconciliation, chosen so each page's requested cost stays well
# under the 1000-point single-query cap (§3); the schema test computes the real cost.
INCREMENTAL_PAGE_SIZES = {
    "customers": 100,
    "orders": 5,
    "abandoned_checkouts": 5,
    "products": 25,
    "collections": 3,
}
# ``first`` on nested connections/lists inside an incremental page. Collections take a
# large page of product ids; when the nested ``pageInfo.hasNextPage`` is true the
# membership is incomplete and sync must not replace it from this page.
INCREMENTAL_CHILD_FIRST = {
    "orders": 20,
    "abandoned_checkouts": 20,
    "products": 20,
    "collections": 250,
}
_INCREMENTAL_LIST_FIRST = 5  # Order.fulfillments / Order.refunds (plain lists with ``first``)

# Reconciliation sorts by UPDATED_AT where Shopify offers it (D18).
_INCREMENTAL_SORT_KEYS = {
    "customers": "UPDATED_AT",
    "orders": "UPDATED_AT",
    "abandoned_checkouts": "ID",  # AbandonedCheckoutSortKeys has no UPDATED_AT
    "products": "UPDATED_AT",
    "collections": "UPDATED_AT",
}


def _entity(entity: str) -> tuple[str, str, tuple[str, str] | None]:
    try:
        return _ENTITY_SHAPES[entity]
    except KeyError:
        raise ValueError(f"unknown Shopify entity {entity!r}") from None


def _node_fields(fields: str, *, list_args: str) -> str:
    return fields.replace("{fulfillments_args}", list_args).replace("{refunds_args}", list_args)


def updated_since_filter(since: datetime) -> str:
    """Return the search term ``updated_at:>='<ISO UTC>'`` for a ``query:`` argument."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"updated_at:>='{stamp}'"


def bulk_query(entity: str, updated_since: datetime | None = None) -> str:
    """Return the inner bulk query (the ``$query`` of :data:`BULK_OPERATION_RUN_QUERY`).

    One root connection plus at most one child connection: within Shopify's limit of
    five connections nested two deep (§4). Nested lists that are not connections
    (fulfillments, refunds) stay inline on the parent line of the JSONL.
    """
    root, fields, child = _entity(entity)
    arguments = ""
    if updated_since is not None:
        arguments = "(query: " + _quote(updated_since_filter(updated_since)) + ")"
    child_selection = ""
    if child is not None:
        child_name, child_fields = child
        child_selection = f"{child_name} {{ edges {{ node {{ {child_fields} }} }} }}"
    node = _node_fields(fields, list_args="")
    return (
        f"{{\n  {root}{arguments} {{\n"
        f"    edges {{ node {{ {node} {child_selection} }} }}\n"
        f"  }}\n}}\n"
    )


def incremental_query(entity: str) -> str:
    """Return the paginated reconciliation query for ``entity`` (D18).

    Variables: ``$first`` (use :data:`INCREMENTAL_PAGE_SIZES`), ``$after`` (cursor) and
    ``$query`` (:func:`updated_since_filter`). Nested connections are small so the
    requested cost of one page stays under 1000 (§3).
    """
    root, fields, child = _entity(entity)
    name = "Incremental" + "".join(part.title() for part in entity.split("_"))
    child_selection = ""
    if child is not None:
        child_name, child_fields = child
        child_selection = (
            f"{child_name}(first: {INCREMENTAL_CHILD_FIRST[entity]}) {{"
            f" edges {{ node {{ {child_fields} }} }} pageInfo {{ hasNextPage }} }}"
        )
    node = _node_fields(fields, list_args=f"(first: {_INCREMENTAL_LIST_FIRST})")
    sort_key = _INCREMENTAL_SORT_KEYS[entity]
    return (
        f"query {name}($first: Int!, $after: String, $query: String) {{\n"
        f"  {root}(first: $first, after: $after, query: $query, sortKey: {sort_key}) {{\n"
        f"    edges {{ node {{ {node} {child_selection} }} }}\n"
        f"    pageInfo {{ hasNextPage endCursor }}\n"
        f"  }}\n}}\n"
    )


def _quote(text: str) -> str:
    """Quote ``text`` as a GraphQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Every document builder and the arguments it is called with; the schema test walks
# this table, and fails when a ``*_query`` function is added without an entry.
DOCUMENT_BUILDERS = {
    bulk_query: BULK_ENTITIES,
    incremental_query: INCREMENTAL_ENTITIES,
}

# --- variables -------------------------------------------------------------------------


def incremental_variables(entity: str, since: datetime, after: str | None = None) -> dict[str, Any]:
    """Return variables for one page of :func:`incremental_query`."""
    return {
        "first": INCREMENTAL_PAGE_SIZES[entity],
        "after": after,
        "query": updated_since_filter(since),
    }


def webhook_subscriptions_variables(after: str | None = None) -> dict[str, Any]:
    """Return variables for one page of :data:`WEBHOOK_SUBSCRIPTIONS`."""
    return {"first": WEBHOOK_SUBSCRIPTIONS_PAGE_SIZE, "after": after}


def webhook_subscription_create_variables(topic: str, uri: str) -> dict[str, Any]:
    """Return variables for :data:`WEBHOOK_SUBSCRIPTION_CREATE`.

    ``topic`` may be the TOML/header form (``orders/updated``) or the enum
    (``ORDERS_UPDATED``); ``customer.tags_added`` becomes ``CUSTOMER_TAGS_ADDED`` (§2.7).
    """
    return {"topic": topic_enum(topic), "uri": uri}


def topic_enum(topic: str) -> str:
    """Return the ``WebhookSubscriptionTopic`` enum value for a topic string."""
    return topic.replace("/", "_").replace(".", "_").upper()


def bulk_run_variables(entity: str, updated_since: datetime | None = None) -> dict[str, Any]:
    """Return variables for :data:`BULK_OPERATION_RUN_QUERY`."""
    return {"query": bulk_query(entity, updated_since)}


def id_variables(gid: str) -> dict[str, Any]:
    """Return ``{"id": gid}`` for the operations that take a single ID."""
    return {"id": gid}


def customer_update_variables(gid: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return variables for :data:`CUSTOMER_UPDATE` (``fields`` in CustomerInput names)."""
    return {"input": {"id": gid, **fields}}


def email_consent_variables(
    gid: str, marketing_state: str, consent_updated_at: datetime | None = None
) -> dict[str, Any]:
    """Return variables for :data:`CUSTOMER_EMAIL_CONSENT_UPDATE`.

    Only ``SUBSCRIBED``, ``UNSUBSCRIBED`` and ``PENDING`` are writable (§9 trap 20).
    """
    return {
        "input": {
            "customerId": gid,
            "emailMarketingConsent": _consent(marketing_state, consent_updated_at),
        }
    }


def sms_consent_variables(
    gid: str, marketing_state: str, consent_updated_at: datetime | None = None
) -> dict[str, Any]:
    """Return variables for :data:`CUSTOMER_SMS_CONSENT_UPDATE` (same writable states)."""
    return {
        "input": {
            "customerId": gid,
            "smsMarketingConsent": _consent(marketing_state, consent_updated_at),
        }
    }


WRITABLE_CONSENT_STATES = frozenset({"SUBSCRIBED", "UNSUBSCRIBED", "PENDING"})


def _consent(marketing_state: str, consent_updated_at: datetime | None) -> dict[str, Any]:
    state = marketing_state.upper()
    if state not in WRITABLE_CONSENT_STATES:
        raise ValueError(f"Shopify rejects marketingState {state!r} as input")
    consent: dict[str, Any] = {"marketingState": state}
    if consent_updated_at is not None:
        consent["consentUpdatedAt"] = consent_updated_at.astimezone(UTC).isoformat()
    return consent


def metafields_set_variables(metafields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return variables for :data:`METAFIELDS_SET`; at most 25 entries (§5.2)."""
    if len(metafields) > METAFIELDS_SET_MAX:
        raise ValueError(f"metafieldsSet takes at most {METAFIELDS_SET_MAX} metafields")
    return {"metafields": [dict(m) for m in metafields]}
