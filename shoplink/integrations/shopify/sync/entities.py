"""The one entity table: what each Sync status row is made of, for every path that reads it.

The four entities of the Sync settings drawer (D15) in the documented order, the
toggle that enables each (D14), and the Shopify reads behind them ("parts": Orders is
orders plus abandoned checkouts). For each part the table says how a bulk JSONL group
and an incremental page node become a record, and how a batch is written: the bulk
import (``bulk.py``), reconciliation (``reconcile.py``) and the settings drawer
(``toggles.py``) all read it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.models import Entity, EntityState, EntitySync, ShopifyStore
from shoplink.integrations.shopify.sync import ingest

ORDER = [Entity.CUSTOMERS, Entity.ORDERS, Entity.PRODUCTS, Entity.COLLECTIONS]
ACTIVE = (EntityState.PENDING, EntityState.SYNCING)
TOGGLE = {
    Entity.CUSTOMERS: "sync_customers",
    Entity.ORDERS: "sync_orders",
    Entity.PRODUCTS: "sync_products",
    Entity.COLLECTIONS: "sync_products",  # "Product catalogue" covers both (2.4)
}


@dataclass(frozen=True)
class Part:
    """One Shopify read behind an entity: its query name in ``api/queries.py`` and mapping.

    ``to_record`` maps a bulk group (node + children by type), ``from_page`` a node of
    an incremental page (children nested); ``write`` ingests a bulk batch, ``repair``
    a reconciliation page.
    """

    name: str
    root_field: str
    to_record: Callable[[dict, dict[str, list[dict]]], Any]
    from_page: Callable[[dict], Any]
    write: Callable[[Any, list], Any]
    repair: Callable[[Any, list], Any]


def _customer(node, children):
    return mapping.customer_from_graphql(node)


def _product(node, children):
    return mapping.product_from_graphql(node, children.get("ProductVariant", []))


def _collection(node, children):
    # No child lines means no products (known empty), not "unknown".
    return mapping.collection_from_graphql(node, [p["id"] for p in children.get("Product", [])])


def _import_customers(store, records):
    # A bulk import adds every customer to the assigned list, so a Re-sync after a
    # list switch fills the new list (D14).
    return ingest.ingest_customers(store, records, join_existing=True)


def _import_orders(store, records):
    # Stats are rebuilt set-wise once the run ends (D24); per batch would be wasted work.
    return ingest.ingest_orders(store, records, refresh_stats=False)


PARTS = {
    "customers": Part(
        "customers",
        "customers",
        _customer,
        mapping.customer_from_graphql,
        _import_customers,
        ingest.ingest_customers,
    ),
    "orders": Part(
        "orders",
        "orders",
        mapping.order_from_graphql,
        mapping.order_from_graphql,
        _import_orders,
        ingest.ingest_orders,
    ),
    "abandoned_checkouts": Part(
        "abandoned_checkouts",
        "abandonedCheckouts",
        mapping.checkout_from_graphql,
        mapping.checkout_from_graphql,
        ingest.ingest_checkouts,
        ingest.ingest_checkouts,
    ),
    "products": Part(
        "products",
        "products",
        _product,
        mapping.product_from_graphql,
        ingest.ingest_products,
        ingest.ingest_products,
    ),
    "collections": Part(
        "collections",
        "collections",
        _collection,
        mapping.collection_from_graphql,
        ingest.ingest_collections,
        ingest.ingest_collections,
    ),
}
# The Shopify reads behind each entity of the Sync status list (D15), by part name.
ENTITY_PARTS = {
    Entity.CUSTOMERS: ("customers",),
    Entity.ORDERS: ("orders", "abandoned_checkouts"),
    Entity.PRODUCTS: ("products",),
    Entity.COLLECTIONS: ("collections",),
}


def entity_enabled(store: ShopifyStore, entity: str) -> bool:
    """Whether the toggles of ``store`` include ``entity`` in syncs (D14/D15)."""
    return bool(getattr(store, TOGGLE[Entity(entity)]))


def enabled_entities(store: ShopifyStore) -> list[str]:
    """The entities ``store`` syncs, in the documented order."""
    return [entity for entity in ORDER if entity_enabled(store, entity)]


def entity_rows(store: ShopifyStore) -> list[EntitySync]:
    """The four EntitySync rows of ``store`` in display order (created as needed)."""
    rows = {es.entity: es for es in EntitySync.objects.filter(store=store)}
    out = []
    for entity in ORDER:
        es = rows.get(entity)
        if es is None:
            state = EntityState.PENDING if entity_enabled(store, entity) else EntityState.OFF
            es, _ = EntitySync.objects.get_or_create(
                store=store, entity=entity, defaults={"state": state}
            )
        out.append(es)
    return out
