"""API v1, commerce reads: orders, products, collections, checkouts, carts (issue 16).

Every list pages with an opaque ``cursor`` over ``(updated_at, id)`` ascending, so a
consumer that keeps the last ``next_cursor`` (or passes ``updated_since``) sees every
row written since, including rows updated again while it was paging. Filters are the
pages' (``shoplink.commerce.queries``); fields are the pages' too, with the store, the
time Shoplink last wrote the row from Shopify (``updated_at``), Shopify's own
``source_updated_at`` and the record's Shopify admin address.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from shoplink.audience.models import Contact
from shoplink.commerce import queries
from shoplink.commerce.models import Checkout, Collection, Order, Product
from shoplink.web.templatetags.store_links import admin_url, store_name

router = Router(tags=["commerce"])

MAX_LIMIT = 250


class SourcedOut(Schema):
    id: int = Field(..., description="Shoplink's id")
    external_id: str = Field(..., description="Shopify's id (a checkout's or cart's token)")
    store: str = Field(..., description="The store's domain")
    source: str
    admin_url: str | None = Field(None, description="The record in the store's Shopify admin")
    source_created_at: str | None
    source_updated_at: str | None = Field(None, description="Shopify's own updated_at")
    updated_at: str = Field(..., description="When Shoplink last wrote it (bulk or webhook)")


class ContactRef(Schema):
    id: int
    external_id: str | None


class OrderOut(SourcedOut):
    number: int | None
    name: str
    email: str
    contact: ContactRef | None
    customer_external_id: str | None
    currency: str
    total_price: str | None
    subtotal_price: str | None
    total_tax: str | None
    total_discounts: str | None
    current_total_price: str | None
    financial_status: str
    fulfillment_status: str | None
    cancelled_at: str | None
    cancel_reason: str | None
    test: bool
    counts_toward_totals: bool
    checkout_token: str | None
    discount_codes: list[Any]
    line_items: list[dict[str, Any]]
    shipping_address: dict[str, Any] | None
    fulfillments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]


class ProductOut(SourcedOut):
    title: str
    handle: str
    status: str
    vendor: str
    product_type: str
    tags: list[Any]
    variants: list[dict[str, Any]]
    image_url: str | None
    price_min: str | None
    price_max: str | None


class CollectionOut(SourcedOut):
    title: str
    handle: str
    product_ids: list[Any] | None


class CheckoutOut(SourcedOut):
    token: str
    email: str
    contact: ContactRef | None
    currency: str
    total_price: str | None
    line_items: list[dict[str, Any]]
    abandoned_checkout_url: str | None
    completed_at: str | None
    state: str = Field(..., description="waiting, abandoned, recovered or completed")
    abandoned_at: str | None = Field(None, description="When it was announced abandoned")
    abandons_at: str | None = Field(None, description="Waiting: 60 minutes after its update")


class CartOut(SourcedOut):
    token: str
    currency: str
    total_price: str | None
    line_items: list[dict[str, Any]]


_CURSOR = "Pass as `cursor` for the next page; null on the last page"


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None = Field(None, description=_CURSOR)


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None = Field(None, description=_CURSOR)


class CollectionPage(Schema):
    items: list[CollectionOut]
    next_cursor: str | None = Field(None, description=_CURSOR)


class CheckoutPage(Schema):
    items: list[CheckoutOut]
    next_cursor: str | None = Field(None, description=_CURSOR)


class CartPage(Schema):
    items: list[CartOut]
    next_cursor: str | None = Field(None, description=_CURSOR)


def _encode(row) -> str:
    raw = f"{row.updated_at.astimezone(dt.UTC).isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.rsplit("|", 1)
        return dt.datetime.fromisoformat(stamp), int(pk)
    except ValueError as e:
        raise HttpError(400, "Invalid cursor.") from e


def _page(qs, cursor: str, limit: int, updated_since: dt.datetime | None, out) -> dict:
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if cursor:
        at, pk = _decode(cursor)
        qs = qs.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(qs.order_by("updated_at", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [out(r) for r in rows],
        "next_cursor": _encode(rows[-1]) if more else None,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _money(value) -> str | None:
    return None if value is None else str(value)


def _common(row, kind: str) -> dict:
    return {
        "id": row.pk,
        "external_id": row.external_id,
        "store": store_name(row.source),
        "source": row.source,
        "admin_url": admin_url(row, kind) or None,
        "source_created_at": _iso(row.source_created_at),
        "source_updated_at": _iso(row.source_updated_at),
        "updated_at": _iso(row.updated_at),
    }


def _contact_ref(row) -> dict | None:
    if not row.contact_id:
        return None
    return {"id": row.contact_id, "external_id": row.contact.external_id}


def order_out(o: Order) -> dict:
    return {
        **_common(o, "order"),
        "number": o.number,
        "name": o.name,
        "email": o.email,
        "contact": _contact_ref(o),
        "customer_external_id": o.customer_external_id or None,
        "currency": o.currency,
        "total_price": _money(o.total_price),
        "subtotal_price": _money(o.subtotal_price),
        "total_tax": _money(o.total_tax),
        "total_discounts": _money(o.total_discounts),
        "current_total_price": _money(o.current_total_price),
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "cancelled_at": _iso(o.cancelled_at),
        "cancel_reason": o.cancel_reason,
        "test": o.test,
        "counts_toward_totals": o.counts_toward_totals,
        "checkout_token": o.checkout_token,
        "discount_codes": o.discount_codes,
        "line_items": o.line_items,
        "shipping_address": o.shipping_address,
        "fulfillments": o.fulfillments,
        "refunds": o.refunds,
    }


def product_out(p: Product) -> dict:
    return {
        **_common(p, "product"),
        **{
            k: getattr(p, k)
            for k in ("title", "handle", "status", "vendor", "product_type", "tags", "variants")
        },
        "image_url": p.image_url or None,
        "price_min": _money(p.price_min),
        "price_max": _money(p.price_max),
    }


def collection_out(c: Collection) -> dict:
    return {
        **_common(c, "collection"),
        "title": c.title,
        "handle": c.handle,
        "product_ids": c.product_ids,
    }


def checkout_out(c: Checkout) -> dict:
    has_order = bool(getattr(c, "has_order", False))
    state = queries.checkout_state(c, has_order)
    return {
        **_common(c, "checkout"),
        "token": c.external_id,
        "email": c.email,
        "contact": _contact_ref(c),
        "currency": c.currency,
        "total_price": _money(c.total_price),
        "line_items": c.line_items,
        "abandoned_checkout_url": c.abandoned_checkout_url or None,
        "completed_at": _iso(c.completed_at),
        "state": state["state"],
        "abandoned_at": _iso(state["abandoned_at"]),
        "abandons_at": _iso(state["abandons_at"]),
    }


def cart_out(c) -> dict:
    return {
        **_common(c, "cart"),
        "token": c.external_id,
        "currency": c.currency,
        "total_price": _money(c.total_price),
        "line_items": c.line_items,
    }


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError as e:
        raise HttpError(400, f"Invalid date {value!r}: use YYYY-MM-DD.") from e


@router.get("/orders", response=OrderPage, summary="Orders; filters as on the Orders page")
def list_orders(
    request,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
    q: str = "",
    store: str = Query("", description="A store's domain or its whole source"),
    financial_status: str = "",
    fulfillment_status: str = Query("", description="`unfulfilled` includes none yet"),
    since: str = Query("", description="Placed on or after (YYYY-MM-DD)"),
    until: str = Query("", description="Placed on or before (YYYY-MM-DD)"),
):
    f = queries.OrderFilter(
        q=q,
        store=store,
        financial_status=financial_status,
        fulfillment_status=fulfillment_status,
        since=_day(since),
        until=_day(until),
    )
    return _page(queries.list_orders(request.project, f), cursor, limit, updated_since, order_out)


@router.get("/orders/{order_id}", response=OrderOut, summary="One order by Shoplink id")
def get_order(request, order_id: int):
    order = (
        Order.objects.select_related("contact").filter(project=request.project, pk=order_id).first()
    )
    if order is None:
        raise HttpError(404, f"No order with id {order_id} in this project.")
    return order_out(order)


@router.get(
    "/contacts/{external_id}/orders",
    response=OrderPage,
    summary="A contact's orders (cursor paging)",
)
def list_contact_orders(
    request,
    external_id: str,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
):
    contact = Contact.objects.filter(project=request.project, external_id=external_id).first()
    if contact is None:
        raise HttpError(404, f"No contact with external_id {external_id} in this project.")
    f = queries.OrderFilter(contact_id=contact.pk)
    return _page(queries.list_orders(request.project, f), cursor, limit, updated_since, order_out)


@router.get("/products", response=ProductPage, summary="Products; search title, SKU or vendor")
def list_products(
    request,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
    q: str = "",
    store: str = "",
    status: str = "",
):
    f = queries.ProductFilter(q=q, store=store, status=status)
    qs = queries.list_products(request.project, f)
    return _page(qs, cursor, limit, updated_since, product_out)


@router.get("/collections", response=CollectionPage, summary="Collections with their product ids")
def list_collections(
    request,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
    q: str = "",
    store: str = "",
):
    qs = queries.list_collections(request.project, q, store)
    return _page(qs, cursor, limit, updated_since, collection_out)


@router.get(
    "/checkouts",
    response=CheckoutPage,
    summary="Checkouts with the 60-minute rule's state (waiting, abandoned, recovered, completed)",
)
def list_checkouts(
    request,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
    q: str = "",
    store: str = "",
    state: str = Query("", description="waiting, abandoned, recovered, completed or open"),
):
    f = queries.CheckoutFilter(q=q, store=store, state=state)
    qs = queries.list_checkouts(request.project, f)
    return _page(qs, cursor, limit, updated_since, checkout_out)


@router.get("/carts", response=CartPage, summary="Carts (from Shopify's cart webhooks)")
def list_carts(
    request,
    cursor: str = "",
    limit: int = 100,
    updated_since: dt.datetime | None = None,
    q: str = "",
    store: str = "",
):
    qs = queries.list_carts(request.project, q, store)
    return _page(qs, cursor, limit, updated_since, cart_out)
