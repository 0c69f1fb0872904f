"""Handlers for checkouts (keyed by ``token`` since 2026-04, PLATFORM.md §2.8) and carts.

``shopify_checkout_started`` follows ``checkouts/create`` once per token; abandonment is
not decided here but by the minute sweep in ``abandonment.py`` (D23).
"""

from __future__ import annotations

from shoplink.audience.models import Contact
from shoplink.commerce import services as commerce
from shoplink.commerce.models import Checkout
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.sync import ingest


def _upsert(store, payload: dict, ctx):
    record = mapping.checkout_from_webhook(payload)
    customer_id = record.customer_external_id
    if (
        customer_id
        and store.sync_customers
        and not Contact.objects.filter(project=store.project, external_id=customer_id).exists()
    ):
        # The buyer's customers/create may still be on its way (no ordering, §2.3).
        ctx.wait_for(f"customer {customer_id}")
    stored_at = (
        Checkout.objects.filter(
            project=store.project, source=store.source, external_id=record.token
        )
        .values_list("source_updated_at", flat=True)
        .first()
    )
    if not ctx.is_superseded(f"checkout:{record.token}", stored_at, record.source_updated_at):
        ingest.ingest_checkouts(store, [record])
    return record


def handle_checkouts_create(store, payload: dict, ctx) -> None:
    record = _upsert(store, payload, ctx)
    events.emit(store, [events.checkout_started(store, record)])


def handle_checkouts_update(store, payload: dict, ctx) -> None:
    _upsert(store, payload, ctx)


def handle_checkouts_delete(store, payload: dict, ctx) -> None:
    # 2026-04 payloads key checkouts by token; older samples still show only ``id``.
    token = payload.get("token") or payload.get("id")
    if token is not None:
        commerce.delete_by_external_id(Checkout, store.project, store.source, [str(token)])


def handle_carts(store, payload: dict, ctx) -> None:
    """Carts carry no customer (§2.9): stored for checkouts to match by cart token."""
    ingest.ingest_carts(store, [mapping.cart_from_webhook(payload)])
