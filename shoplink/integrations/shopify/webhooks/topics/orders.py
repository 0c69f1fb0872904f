"""Handlers for order topics: orders/*, refunds, fulfilments and fulfilment events.

Every ``orders/*`` payload is the whole Order, so each one upserts it through
``ingest.ingest_orders`` (which never lets an older payload overwrite a newer row and
refreshes the buyer's computed properties, D24). Topic events (placed, paid,
fulfilled, cancelled, refunded, …) are facts about the order whatever order the
deliveries arrive in, so they are emitted by topic and deduplicated by their
idempotency keys; ``shopify_order_updated`` follows a real change of a kept field only.
"""

from __future__ import annotations

from decimal import Decimal

from shoplink.audience.models import Contact
from shoplink.commerce import services as commerce
from shoplink.commerce.models import Order
from shoplink.core.upsert import RowChange
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.sync import ingest


def _wait_for_customer(store, customer_id: str | None, ctx) -> None:
    """An order can arrive before its buyer's customers/create (§2.3): wait a little."""
    if not customer_id or not store.sync_customers:
        return
    if not Contact.objects.filter(project=store.project, external_id=customer_id).exists():
        ctx.wait_for(f"customer {customer_id}")


def _upsert(store, payload: dict, ctx):
    record = mapping.order_from_webhook(payload)
    _wait_for_customer(store, record.customer_external_id, ctx)
    stored_at = (
        Order.objects.filter(
            project=store.project, source=store.source, external_id=record.external_id
        )
        .values_list("source_updated_at", flat=True)
        .first()
    )
    if ctx.is_superseded(f"order:{record.external_id}", stored_at, record.source_updated_at):
        # Same second as the stored version but triggered earlier: older, write nothing.
        return record, RowChange(pk=0, external_id=record.external_id, stale=True)
    change = ingest.ingest_orders(store, [record])[0]
    return record, change


def _order_row(store, order_id: str, ctx) -> Order | None:
    row = Order.objects.filter(
        project=store.project, source=store.source, external_id=order_id
    ).first()
    if row is None:
        # The orders/create carrying this order has not been processed yet.
        ctx.wait_for(f"order {order_id}")
    return row


def handle_orders_create(store, payload: dict, ctx) -> None:
    record, _ = _upsert(store, payload, ctx)
    _emit_placed(store, [record])


def orders_created(store, records: list) -> None:
    """New orders, set-wise: upsert them and emit placed + ordered products.

    What :func:`handle_orders_create` does for one order, for a batch the drain has
    already checked (buyers held, no equal-second tie-break, one delivery per order).
    """
    ingest.ingest_orders(store, records)
    _emit_placed(store, records)


def _emit_placed(store, records: list) -> None:
    emitted = []
    for record in records:
        emitted += [events.order_placed(store, record), *events.ordered_products(store, record)]
    events.emit(store, emitted)


def handle_orders_updated(store, payload: dict, ctx) -> None:
    record, change = _upsert(store, payload, ctx)
    if change.created or change.stale or not change.changed:
        return  # new to us (its create will say so), older than ours, or a duplicate
    events.emit(store, [events.order_updated(store, record, change.changed)])


def handle_orders_paid(store, payload: dict, ctx) -> None:
    record, _ = _upsert(store, payload, ctx)
    events.emit(store, [events.order_paid(store, record)])


def handle_orders_fulfilled(store, payload: dict, ctx) -> None:
    record, _ = _upsert(store, payload, ctx)
    events.emit(store, [events.order_fulfilled(store, record)])


def handle_orders_partially_fulfilled(store, payload: dict, ctx) -> None:
    record, _ = _upsert(store, payload, ctx)
    total = sum(int(li.get("quantity") or 0) for li in record.line_items)
    fulfilled = sum(
        int(li.get("quantity") or 0)
        for f in record.fulfillments
        if f.get("status") not in ("cancelled", "error", "failure")
        for li in f.get("line_items") or []
    )
    events.emit(store, [events.order_partially_fulfilled(store, record, fulfilled, total)])


def handle_orders_cancelled(store, payload: dict, ctx) -> None:
    record, _ = _upsert(store, payload, ctx)
    events.emit(store, [events.order_cancelled(store, record)])


def handle_orders_delete(store, payload: dict, ctx) -> None:
    order_id = mapping.deleted_id_from_webhook(payload)
    contact_ids = list(
        Order.objects.filter(
            project=store.project, source=store.source, external_id=order_id
        ).values_list("contact_id", flat=True)
    )
    commerce.delete_by_external_id(Order, store.project, store.source, [order_id])
    commerce.refresh_contact_stats(store.project, [c for c in contact_ids if c])


def handle_refunds_create(store, payload: dict, ctx) -> None:
    """Emit ``shopify_order_refunded``; the orders/updated of the same change moves totals."""
    order_id = mapping.gid_to_id(payload.get("order_id"))
    row = _order_row(store, order_id, ctx)
    if row is None:
        return
    refund = mapping.refund_from_webhook(payload)  # the Refund shape is the one orders embed
    amount = Decimal(refund["amount"]) if refund["amount"] is not None else None
    occurred = mapping.parse_datetime(payload.get("created_at")) or ctx.triggered_at
    events.emit(store, [events.order_refunded(store, row, refund["id"], amount, occurred)])


def _fulfillment(store, payload: dict, ctx):
    order_id = mapping.gid_to_id(payload.get("order_id"))
    row = _order_row(store, order_id, ctx)
    # A fulfilment payload has the shape of the fulfilments embedded in orders.
    return row, mapping.fulfillment_from_webhook(payload)


def handle_fulfillments_create(store, payload: dict, ctx) -> None:
    row, f = _fulfillment(store, payload, ctx)
    if row is None:
        return
    occurred = mapping.parse_datetime(payload.get("created_at")) or ctx.triggered_at
    events.emit(store, [events.fulfillment_created(store, row, f, occurred)])


# "confirmed" is the state a fulfilment is created in, not a movement of the parcel.
_NOT_A_SHIPMENT_MOVE = frozenset({None, "", "confirmed"})


def handle_fulfillments_update(store, payload: dict, ctx) -> None:
    row, f = _fulfillment(store, payload, ctx)
    if row is None:
        return
    updated = mapping.parse_datetime(payload.get("updated_at")) or ctx.triggered_at
    out = [events.fulfillment_updated(store, row, f, updated)]
    if f.get("shipment_status") not in _NOT_A_SHIPMENT_MOVE:
        out.append(events.shipment_status(store, row, f, f["shipment_status"], updated))
    events.emit(store, out)


def handle_fulfillment_events_create(store, payload: dict, ctx) -> None:
    """A carrier scan: emit ``shopify_shipment_status`` with the tracking we hold."""
    row = _order_row(store, mapping.gid_to_id(payload.get("order_id")), ctx)
    if row is None:
        return
    fulfillment_id = mapping.gid_to_id(payload.get("fulfillment_id"))
    held = next((f for f in row.fulfillments or [] if f.get("id") == fulfillment_id), None)
    f = dict(held or {}, id=fulfillment_id)
    status = (payload.get("status") or "").lower()
    if not status:
        return
    occurred = mapping.parse_datetime(payload.get("happened_at")) or ctx.triggered_at
    events.emit(store, [events.shipment_status(store, row, f, status, occurred)])
