"""Writes for commerce records, and the computed properties they feed (D24, D25).

Upserts are set-wise and never let an older source version overwrite a newer row
(``core.upsert``). Computed properties are rebuilt with one aggregate query per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, Sum

from shoplink.audience.models import Contact
from shoplink.audience.services import update_attributes
from shoplink.commerce.models import Cart, Checkout, Collection, Order, Product
from shoplink.commerce.rfm import compute_rfm
from shoplink.core import clock
from shoplink.core.fastwrite import select_in, update_dicts
from shoplink.core.upsert import RowChange, upsert_rows

ORDER_FIELDS = (
    "customer_external_id",
    "number",
    "name",
    "email",
    "currency",
    "total_price",
    "subtotal_price",
    "total_tax",
    "total_discounts",
    "current_total_price",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "cancel_reason",
    "test",
    "checkout_token",
    "discount_codes",
    "line_items",
    "shipping_address",
    "fulfillments",
    "refunds",
    "source_created_at",
)
CHECKOUT_FIELDS = (
    "customer_external_id",
    "email",
    "currency",
    "total_price",
    "line_items",
    "abandoned_checkout_url",
    "completed_at",
    "source_created_at",
)
CART_FIELDS = ("line_items", "total_price", "currency")
PRODUCT_FIELDS = (
    "title",
    "handle",
    "status",
    "vendor",
    "product_type",
    "tags",
    "price_min",
    "price_max",
    "image_url",
    "variants",
)
COLLECTION_FIELDS = ("title", "handle", "product_ids")


class _Keyed:
    """Adapts a record whose key is ``token`` to the ``external_id`` upsert key."""

    def __init__(self, record: Any, key: str):
        self._record = record
        self.external_id = str(getattr(record, key))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def upsert_orders(project, source: str, records: Sequence[Any]) -> list[RowChange]:
    """Upsert orders and link each to its contact by the customer's external id."""
    changes = upsert_rows(Order, project, source, records, ORDER_FIELDS)
    link_orders_to_contacts(project, source, [c.pk for c in changes if not c.stale])
    return changes


def link_orders_to_contacts(project, source: str, order_ids: Sequence[int] | None = None) -> int:
    """Point orders at the contact whose external id is the order's customer id."""
    if order_ids is None:
        orders = Order.objects.filter(project=project, source=source, contact__isnull=True)
        pending = list(
            orders.exclude(customer_external_id="").values_list("id", "customer_external_id")
        )
    else:
        # Raw tuples: called per import batch with 1,000 ids, mostly already linked.
        scope = {"project_id": project.pk, "source": source, "contact_id": None}
        rows = select_in(Order, ["id", "customer_external_id"], "id", list(order_ids), **scope)
        pending = [(pk, customer) for pk, customer in rows if customer]
    if not pending:
        return 0
    keys = list({customer for _, customer in pending})
    contacts = dict(
        select_in(Contact, ["external_id", "id"], "external_id", keys, project_id=project.pk)
    )
    linked = [(pk, contacts[customer]) for pk, customer in pending if contacts.get(customer)]
    # The contact column alone, as bulk_update(["contact"]) wrote it (updated_at kept).
    update_dicts(
        Order, ["contact"], [(pk, {"contact_id": cid}) for pk, cid in linked], auto_now=False
    )
    return len(linked)


def link_waiting_rows(project, source: str, contacts: dict[str, int]) -> bool:
    """Point the orders and checkouts that name one of ``contacts`` (customer external id
    -> contact id) and have no contact yet at it; True if some order was linked.

    For contacts just created: orders and checkouts that arrived before their customer
    (webhook order) wait with ``contact`` NULL. Only the contact column is written
    (``updated_at`` kept), as ``bulk_update(["contact"])`` wrote it. On PostgreSQL one
    statement does both tables (the orders through the partial index of waiting rows);
    elsewhere the waiting rows are looked up first, and usually none are.
    """
    if not contacts:
        return False
    if connection.vendor == "postgresql":
        return _link_waiting_postgresql(project, source, contacts)
    keys = list(contacts)
    scope = {"project_id": project.pk, "source": source, "contact_id": None}
    order_ids = [pk for (pk,) in select_in(Order, ["id"], "customer_external_id", keys, **scope)]
    if order_ids:
        link_orders_to_contacts(project, source, order_ids)
    waiting = select_in(
        Checkout, ["id", "customer_external_id"], "customer_external_id", keys, **scope
    )
    update_dicts(
        Checkout,
        ["contact"],
        [(pk, {"contact_id": contacts[customer]}) for pk, customer in waiting],
        auto_now=False,
    )
    return bool(order_ids)


def _link_waiting_postgresql(project, source: str, contacts: dict[str, int]) -> bool:
    qn = connection.ops.quote_name
    updates = []
    for model in (Order, Checkout):
        col = {f.attname: qn(f.column) for f in model._meta.concrete_fields}
        table = qn(model._meta.db_table)
        updates.append(
            f"UPDATE {table} SET {col['contact_id']} = c.id FROM c"
            f" WHERE {table}.{col['project_id']} = %s AND {table}.{col['source']} = %s"
            f" AND {table}.{col['contact_id']} IS NULL"
            f" AND {table}.{col['customer_external_id']} = c.key RETURNING 1"
        )
    sql = (
        "WITH c (key, id) AS (SELECT * FROM unnest(%s::text[], %s::bigint[])),"
        f" o AS ({updates[0]}), k AS ({updates[1]})"
        " SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM k)"
    )
    params = [list(contacts), list(contacts.values()), project.pk, source, project.pk, source]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        orders, _ = cursor.fetchone()
    return orders > 0


def upsert_checkouts(project, source: str, records: Sequence[Any]) -> list[RowChange]:
    """Upsert checkouts keyed by token, linking contacts by customer id."""
    keyed = [_Keyed(r, "token") for r in records]
    changes = upsert_rows(Checkout, project, source, keyed, CHECKOUT_FIELDS)
    rows = Checkout.objects.filter(id__in=[c.pk for c in changes], contact__isnull=True).exclude(
        customer_external_id=""
    )
    rows = list(rows)
    if rows:
        contacts = dict(
            Contact.objects.filter(
                project=project, external_id__in={r.customer_external_id for r in rows}
            ).values_list("external_id", "id")
        )
        for r in rows:
            r.contact_id = contacts.get(r.customer_external_id)
        Checkout.objects.bulk_update([r for r in rows if r.contact_id], ["contact"])
    return changes


def upsert_carts(project, source: str, records: Sequence[Any]) -> list[RowChange]:
    return upsert_rows(Cart, project, source, [_Keyed(r, "token") for r in records], CART_FIELDS)


def upsert_products(project, source: str, records: Sequence[Any]) -> list[RowChange]:
    return upsert_rows(Product, project, source, records, PRODUCT_FIELDS)


def upsert_collections(project, source: str, records: Sequence[Any]) -> list[RowChange]:
    return upsert_rows(Collection, project, source, records, COLLECTION_FIELDS)


def delete_by_external_id(model, project, source: str, external_ids: Iterable[str]) -> int:
    deleted, _ = model.objects.filter(
        project=project, source=source, external_id__in=list(external_ids)
    ).delete()
    return deleted


# --- Computed properties ---------------------------------------------------------------


def refresh_contact_stats(project, contact_ids: Iterable[int]) -> int:
    """Recompute ``shopify_order_count/total_spent/last_order_at`` for these contacts (D24)."""
    ids = list(set(contact_ids))
    if not ids:
        return 0
    counted = Q(orders__cancelled_at__isnull=True, orders__test=False)
    rows = (
        Contact.objects.filter(project=project, id__in=ids)
        .annotate(
            n=Count("orders", filter=counted),
            spent=Sum("orders__current_total_price", filter=counted),
            last=Max("orders__source_created_at", filter=counted),
        )
        .values_list("id", "n", "spent", "last")
    )
    values = {
        cid: {
            "shopify_order_count": n,
            "shopify_total_spent": str((spent or Decimal("0")).quantize(Decimal("0.01"))),
            "shopify_last_order_at": last.isoformat() if last else None,
        }
        for cid, n, spent, last in rows
    }
    return update_attributes(project, values)


def rebuild_stats_for_source(project, source: str, batch: int = 2000) -> int:
    """Rebuild computed properties for every contact from ``source``, in batches."""
    ids = list(Contact.objects.filter(project=project, source=source).values_list("id", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        done += refresh_contact_stats(project, ids[start : start + batch])
    return done


_RFM_CHUNK = 2000


def recompute_rfm(project, source: str) -> dict[str, int]:
    """Score every contact of ``source`` with counted orders and store the segment (D25).

    Contacts without orders get ``shopify_rfm_segment = None``. Returns segment counts.
    """
    today = clock.now()
    counted = Q(orders__cancelled_at__isnull=True, orders__test=False)
    rows = (
        Contact.objects.filter(project=project, source=source)
        .annotate(
            n=Count("orders", filter=counted),
            spent=Sum("orders__current_total_price", filter=counted),
            last=Max("orders__source_created_at", filter=counted),
        )
        .values_list("id", "n", "spent", "last")
    )
    scored, without = [], []
    for cid, n, spent, last in rows.iterator(chunk_size=2000):
        if n and last:
            scored.append((cid, (today - last).days, n, spent or Decimal("0")))
        else:
            without.append(cid)
    segments = compute_rfm(scored)
    del scored
    # Written in chunks so a store's worth of per-contact dicts never exists at once.
    pending = [*segments.items(), *((cid, None) for cid in without)]
    for start in range(0, len(pending), _RFM_CHUNK):
        chunk = pending[start : start + _RFM_CHUNK]
        update_attributes(project, {cid: {"shopify_rfm_segment": seg} for cid, seg in chunk})
    counts: dict[str, int] = {}
    for seg in segments.values():
        counts[seg] = counts.get(seg, 0) + 1
    return counts


def mark_checkouts_abandoned(checkout_ids: Iterable[int], at) -> int:
    """Record that these checkouts' abandonment was announced (each is announced once)."""
    return Checkout.objects.filter(pk__in=list(checkout_ids)).update(abandoned_event_at=at)


# --- erasure ----------------------------------------------------------------------------


def erase_source(project, source: str) -> dict[str, int]:
    """Delete every order, checkout, cart, product and collection from ``source``."""
    return {
        name: model.objects.filter(project=project, source=source).delete()[0]
        for name, model in (
            ("orders", Order),
            ("checkouts", Checkout),
            ("carts", Cart),
            ("products", Product),
            ("collections", Collection),
        )
    }


# Fulfillment keys that say where a parcel went or how to follow it (a tracking number
# or link identifies the buyer's shipment); status and line items stay for the figures.
_TRACKING_KEYS = ("tracking_numbers", "tracking_urls", "tracking_company")


def _without_tracking(fulfillments) -> list:
    return [
        {**f, **{k: ([] if k != "tracking_company" else None) for k in _TRACKING_KEYS}}
        if isinstance(f, dict)
        else f
        for f in fulfillments or []
    ]


def redact_customer_records(
    project,
    source: str,
    customer_id: str | None,
    order_ids: Sequence[str],
    *,
    emails: Sequence[str] = (),
) -> dict[str, int]:
    """Erase the personal fields of a customer's orders and checkouts from ``source``.

    The records are the customer's by id, by the orders Shopify names, and — for guest
    checkouts and orders, which carry no customer id — by the customer's email (no phone
    is stored on orders or checkouts, so the email is what identifies a guest).
    Orders keep their amounts and line items (the merchant's figures); email, address,
    and fulfillment tracking numbers and links go.
    """
    person = Q(customer_external_id=customer_id or "-")
    for email in filter(None, (e.strip() for e in emails)):
        person |= Q(email__iexact=email)
    order_match = Q(external_id__in=list(order_ids)) | person
    orders = Order.objects.filter(project=project, source=source).filter(order_match)
    checkouts = Checkout.objects.filter(project=project, source=source).filter(person)
    redacted = 0
    for order in orders.only("pk", "fulfillments"):
        Order.objects.filter(pk=order.pk).update(
            email="", shipping_address=None, fulfillments=_without_tracking(order.fulfillments)
        )
        redacted += 1
    return {
        "orders": redacted,
        "checkouts": checkouts.update(email="", abandoned_checkout_url=""),
    }
