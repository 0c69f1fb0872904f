"""The 19 Shopify events (EVENTS.md): names, idempotency keys and exact ``data`` payloads.

Owns the shape of every event this integration emits; handlers decide *whether* a
change is real and call one builder per event, then :func:`emit`. Each builder returns
an ``EventInput`` whose key is ``<name>:<ids…>`` as EVENTS.md lists, so a second
emission of the same cause is dropped by ``events.record_events``. ``data`` always
carries ``store = {"domain", "name"}``; money is a decimal string plus ``currency``.
Bulk imports never call these (their records are history, D22); the catch-up after a
Reconnect does, flagged ``catch_up`` (ADR 0045).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from shoplink.audience.models import Contact
from shoplink.core import clock
from shoplink.events.services import EventInput, record_events


def _money(value: Decimal | str | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _event(store, name: str, key_parts: Iterable[Any], occurred_at, data: dict, customer_id):
    return EventInput(
        name=name,
        idempotency_key=":".join([name, *(str(p) for p in key_parts)]),
        occurred_at=occurred_at or clock.now(),
        data={"store": {"domain": store.domain, "name": store.name}, **data},
        contact_external_id=str(customer_id) if customer_id else None,
        source=store.source,
    )


def emit(store, events: Sequence[EventInput], *, catch_up: bool = False) -> int:
    """Attach contacts by external id and record the events; return how many were new.

    ``catch_up`` marks events found after the fact by the catch-up after Reconnect
    (ADR 0045): the envelope's ``catch_up`` flag is set and ``occurred_at`` stays
    Shopify's time, so consumers can tell them from live ones.
    """
    events = [e for e in events if e is not None]
    if not events:
        return 0
    for e in events:
        e.catch_up = e.catch_up or catch_up
    wanted = {e.contact_external_id for e in events if e.contact_external_id}
    contacts = dict(
        Contact.objects.filter(project=store.project, external_id__in=wanted).values_list(
            "external_id", "id"
        )
    )
    for e in events:
        if e.contact_id is None and e.contact_external_id:
            e.contact_id = contacts.get(e.contact_external_id)
    return len(record_events(store.project, events))


# --- customers -------------------------------------------------------------------------


def _customer_data(customer_id: str, contact: Contact) -> dict:
    return {
        "customer_id": customer_id,
        "email": contact.email,
        "phone": contact.phone,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
    }


def customer_created(store, contact: Contact) -> EventInput:
    cid = contact.external_id
    return _event(
        store,
        "shopify_customer_created",
        [cid],
        contact.source_created_at or contact.source_updated_at,
        _customer_data(cid, contact),
        cid,
    )


def customer_updated(store, contact: Contact, changed: list[str], updated_at) -> EventInput:
    cid = contact.external_id
    return _event(
        store,
        "shopify_customer_updated",
        [cid, _iso(updated_at)],
        updated_at,
        {**_customer_data(cid, contact), "changed": sorted(changed)},
        cid,
    )


def customer_deleted(store, customer_id: str, occurred_at) -> EventInput:
    return _event(
        store,
        "shopify_customer_deleted",
        [customer_id],
        occurred_at,
        {"customer_id": customer_id},
        customer_id,
    )


# --- orders ----------------------------------------------------------------------------


def _line_item(item: dict) -> dict:
    return {
        "product_id": item.get("product_id"),
        "variant_id": item.get("variant_id"),
        "sku": item.get("sku"),
        "title": item.get("title"),
        "variant_title": item.get("variant_title"),
        "quantity": item.get("quantity"),
        "price": item.get("price"),
    }


def _shipping(address: dict | None) -> dict | None:
    if not address:
        return None
    keys = ("address1", "address2", "city", "province", "country", "zip")
    return {k: address.get(k) for k in keys}


def order_placed(store, order) -> EventInput:
    """``order`` is a mapping.OrderRecord (the payload as received)."""
    return _event(
        store,
        "shopify_order_placed",
        [order.external_id],
        order.source_created_at,
        {
            "order_id": order.external_id,
            "order_number": order.number,
            "order_name": order.name,
            "total_price": _money(order.total_price),
            "subtotal_price": _money(order.subtotal_price),
            "total_tax": _money(order.total_tax),
            "total_discounts": _money(order.total_discounts),
            "currency": order.currency,
            "financial_status": order.financial_status,
            "fulfillment_status": order.fulfillment_status,
            "discount_codes": list(order.discount_codes or []),
            "line_items": [_line_item(li) for li in order.line_items or []],
            "shipping_address": _shipping(order.shipping_address),
            "checkout_token": order.checkout_token,
        },
        order.customer_external_id,
    )


def ordered_products(store, order) -> list[EventInput]:
    """One ``shopify_ordered_product`` per line item of a new order (behaviour 79)."""
    return [
        _event(
            store,
            "shopify_ordered_product",
            [order.external_id, item.get("id")],
            order.source_created_at,
            {
                "order_id": order.external_id,
                "order_number": order.number,
                **_line_item(item),
                "currency": order.currency,
            },
            order.customer_external_id,
        )
        for item in order.line_items or []
    ]


def order_updated(store, order, changed: list[str]) -> EventInput:
    return _event(
        store,
        "shopify_order_updated",
        [order.external_id, _iso(order.source_updated_at)],
        order.source_updated_at,
        {
            "order_id": order.external_id,
            "order_number": order.number,
            "changed": sorted(changed),
            "financial_status": order.financial_status,
            "fulfillment_status": order.fulfillment_status,
            "total_price": _money(order.total_price),
            "currency": order.currency,
        },
        order.customer_external_id,
    )


def order_paid(store, order) -> EventInput:
    return _event(
        store,
        "shopify_order_paid",
        [order.external_id],
        order.source_updated_at,
        {
            "order_id": order.external_id,
            "order_number": order.number,
            "total_price": _money(order.total_price),
            "currency": order.currency,
        },
        order.customer_external_id,
    )


def order_fulfilled(store, order) -> EventInput:
    return _event(
        store,
        "shopify_order_fulfilled",
        [order.external_id],
        order.source_updated_at,
        {"order_id": order.external_id, "order_number": order.number},
        order.customer_external_id,
    )


def order_partially_fulfilled(store, order, fulfilled: int, total: int) -> EventInput:
    return _event(
        store,
        "shopify_order_partially_fulfilled",
        [order.external_id, _iso(order.source_updated_at)],
        order.source_updated_at,
        {
            "order_id": order.external_id,
            "order_number": order.number,
            "fulfilled_quantity": fulfilled,
            "total_quantity": total,
        },
        order.customer_external_id,
    )


def order_cancelled(store, order) -> EventInput:
    return _event(
        store,
        "shopify_order_cancelled",
        [order.external_id],
        order.cancelled_at or order.source_updated_at,
        {
            "order_id": order.external_id,
            "order_number": order.number,
            "cancel_reason": order.cancel_reason,
            "cancelled_at": _iso(order.cancelled_at),
        },
        order.customer_external_id,
    )


def order_refunded(store, order_row, refund_id: str, amount, occurred_at) -> EventInput:
    """``order_row`` is the stored commerce Order (the refund payload has no order data)."""
    return _event(
        store,
        "shopify_order_refunded",
        [refund_id],
        occurred_at,
        {
            "order_id": order_row.external_id,
            "order_number": order_row.number,
            "refund_id": refund_id,
            "amount": _money(amount),
            "currency": order_row.currency,
        },
        order_row.customer_external_id,
    )


# --- fulfilments -----------------------------------------------------------------------


def _fulfillment_data(order_row, f: dict) -> dict:
    return {
        "order_id": order_row.external_id,
        "order_number": order_row.number,
        "fulfillment_id": f["id"],
        "status": f.get("status"),
        "tracking_company": f.get("tracking_company"),
        "tracking_numbers": list(f.get("tracking_numbers") or []),
        "tracking_urls": list(f.get("tracking_urls") or []),
    }


def fulfillment_created(store, order_row, f: dict, occurred_at) -> EventInput:
    return _event(
        store,
        "shopify_fulfillment_created",
        [f["id"]],
        occurred_at,
        _fulfillment_data(order_row, f),
        order_row.customer_external_id,
    )


def fulfillment_updated(store, order_row, f: dict, updated_at) -> EventInput:
    return _event(
        store,
        "shopify_fulfillment_updated",
        [f["id"], _iso(updated_at)],
        updated_at,
        _fulfillment_data(order_row, f),
        order_row.customer_external_id,
    )


def shipment_status(store, order_row, f: dict, status: str, occurred_at) -> EventInput:
    numbers = list(f.get("tracking_numbers") or [])
    urls = list(f.get("tracking_urls") or [])
    return _event(
        store,
        "shopify_shipment_status",
        [f["id"], status],
        occurred_at,
        {
            "order_id": order_row.external_id,
            "order_number": order_row.number,
            "fulfillment_id": f["id"],
            "status": status,
            "tracking_number": numbers[0] if numbers else None,
            "tracking_url": urls[0] if urls else None,
        },
        order_row.customer_external_id,
    )


# --- checkouts -------------------------------------------------------------------------


def checkout_started(store, checkout) -> EventInput:
    """``checkout`` is a mapping.CheckoutRecord."""
    return _event(
        store,
        "shopify_checkout_started",
        [checkout.token],
        checkout.source_created_at or checkout.source_updated_at,
        {
            "checkout_token": checkout.token,
            "total_price": _money(checkout.total_price),
            "currency": checkout.currency,
            "line_items": [_line_item(li) for li in checkout.line_items or []],
            "abandoned_checkout_url": checkout.abandoned_checkout_url,
        },
        checkout.customer_external_id,
    )


def checkout_abandoned(store, row) -> EventInput:
    """``row`` is the stored commerce Checkout the sweep found inactive."""
    return _event(
        store,
        "shopify_checkout_abandoned",
        [row.external_id],
        row.source_updated_at,
        {
            "checkout_token": row.external_id,
            "abandoned_checkout_url": row.abandoned_checkout_url,
            "total_price": _money(row.total_price),
            "currency": row.currency,
            "line_items": [_line_item(li) for li in row.line_items or []],
            "last_activity_at": _iso(row.source_updated_at),
        },
        row.customer_external_id or None,
    )


# --- consent ---------------------------------------------------------------------------


def consent_updated(store, customer_id: str, change, phone: str | None = None) -> EventInput:
    """``change`` is an audience ConsentChange (email or sms)."""
    name = (
        "shopify_email_consent_updated"
        if change.channel == "email"
        else "shopify_sms_consent_updated"
    )
    data = {
        "state": change.state,
        "previous_state": change.previous_state,
        "shopify_state": change.source_state,
        "opt_in_level": change.opt_in_level or None,
        "consent_updated_at": _iso(change.consent_updated_at),
    }
    if change.channel != "email":
        data["phone"] = phone
    return _event(
        store,
        name,
        [customer_id, _iso(change.consent_updated_at) or "unknown"],
        change.consent_updated_at,
        data,
        customer_id,
    )


# --- catalogue -------------------------------------------------------------------------


def product_updated(store, product, changed: list[str]) -> EventInput:
    """``product`` is a mapping.ProductRecord."""
    return _event(
        store,
        "shopify_product_updated",
        [product.external_id, _iso(product.source_updated_at)],
        product.source_updated_at,
        {
            "product_id": product.external_id,
            "title": product.title,
            "handle": product.handle,
            "status": product.status,
            "vendor": product.vendor,
            "product_type": product.product_type,
            "price_min": _money(product.price_min),
            "price_max": _money(product.price_max),
            "image_url": product.image_url,
            "changed": sorted(changed),
        },
        None,
    )
