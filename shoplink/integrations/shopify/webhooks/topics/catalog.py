"""Handlers for the product catalogue: products and collections (read-only, never written back)."""

from __future__ import annotations

from shoplink.commerce import services as commerce
from shoplink.commerce.models import Collection, Product
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.sync import ingest


def handle_products_create(store, payload: dict, ctx) -> None:
    ingest.ingest_products(store, [mapping.product_from_webhook(payload)])


def handle_products_update(store, payload: dict, ctx) -> None:
    """Emit ``shopify_product_updated`` only when a field we keep changed (EVENTS.md)."""
    record = mapping.product_from_webhook(payload)
    stored_at = (
        Product.objects.filter(
            project=store.project, source=store.source, external_id=record.external_id
        )
        .values_list("source_updated_at", flat=True)
        .first()
    )
    if ctx.is_superseded(f"product:{record.external_id}", stored_at, record.source_updated_at):
        return  # same second, triggered earlier than what wrote the row: older
    change = ingest.ingest_products(store, [record])[0]
    if change.created or change.stale or not change.changed:
        return
    events.emit(store, [events.product_updated(store, record, change.changed)])


def handle_products_delete(store, payload: dict, ctx) -> None:
    product_id = mapping.deleted_id_from_webhook(payload)
    commerce.delete_by_external_id(Product, store.project, store.source, [product_id])


def handle_collections(store, payload: dict, ctx) -> None:
    ingest.ingest_collections(store, [mapping.collection_from_webhook(payload)])


def handle_collections_delete(store, payload: dict, ctx) -> None:
    collection_id = mapping.deleted_id_from_webhook(payload)
    commerce.delete_by_external_id(Collection, store.project, store.source, [collection_id])
