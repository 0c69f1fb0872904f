"""Reads of commerce rows shared by the pages and the JSON API: filters and lookups.

Both surfaces filter the same way (store, statuses, dates, text search), so a link
from one to the other, or from the sync drawer to a page, means the same rows. A
store is named by its source (``shopify:<domain>``) or by the part after the colon
(the domain), so nothing here knows which integration wrote the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from shoplink.commerce.models import Cart, Checkout, Collection, Order, Product
from shoplink.core import clock
from shoplink.events.models import Event

# D23: a checkout untouched for this long, not completed and without an order, is
# abandoned; the sweep that announces it runs every minute (shoplink's Shopify part).
ABANDON_AFTER = dt.timedelta(minutes=60)


def store_q(store: str) -> Q:
    """Rows of one store: ``store`` is a whole source or the id after ``<kind>:``."""
    store = store.strip()
    if not store:
        return Q()
    if ":" in store:
        return Q(source=store)
    return Q(source__endswith=":" + store.lower())


def sources(project, model) -> list[str]:
    """The distinct sources of ``model`` rows in ``project`` (the store filter's options)."""
    return list(
        model.objects.filter(project=project)
        .order_by("source")
        .values_list("source", flat=True)
        .distinct()
    )


def _dates(qs: QuerySet, field: str, since: dt.date | None, until: dt.date | None) -> QuerySet:
    if since:
        qs = qs.filter(**{f"{field}__date__gte": since})
    if until:
        qs = qs.filter(**{f"{field}__date__lte": until})
    return qs


@dataclass
class OrderFilter:
    q: str = ""
    store: str = ""
    financial_status: str = ""
    fulfillment_status: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    contact_id: int | None = None


def list_orders(project, f: OrderFilter) -> QuerySet:
    """Orders matching ``f``, newest first (by the order's own creation time)."""
    qs = Order.objects.filter(project=project).filter(store_q(f.store))
    q = f.q.strip().lstrip("#")
    if q:
        match = Q(email__icontains=q) | Q(name__icontains=q) | Q(external_id=q)
        if q.isdigit():
            match |= Q(number=int(q))
        qs = qs.filter(match)
    if f.financial_status:
        qs = qs.filter(financial_status=f.financial_status)
    if f.fulfillment_status == "unfulfilled":
        # Shopify leaves fulfillment_status null until something ships.
        qs = qs.filter(Q(fulfillment_status__isnull=True) | Q(fulfillment_status="unfulfilled"))
    elif f.fulfillment_status:
        qs = qs.filter(fulfillment_status=f.fulfillment_status)
    if f.contact_id:
        qs = qs.filter(contact_id=f.contact_id)
    qs = _dates(qs, "source_created_at", f.since, f.until)
    return qs.select_related("contact").order_by("-source_created_at", "-id")


def order_statuses(project) -> tuple[list[str], list[str]]:
    """The financial and fulfillment statuses present in ``project`` (filter options)."""
    base = Order.objects.filter(project=project).order_by()
    financial = base.exclude(financial_status="").values_list("financial_status", flat=True)
    fulfillment = base.exclude(fulfillment_status__isnull=True).exclude(fulfillment_status="")
    fulfillment = fulfillment.values_list("fulfillment_status", flat=True)
    wanted = {"unfulfilled", *fulfillment.distinct()}
    return sorted(set(financial.distinct())), sorted(wanted)


def order_checkout(order: Order) -> Checkout | None:
    """The checkout the order was placed from (same store, its token), if we hold it."""
    if not order.checkout_token:
        return None
    return Checkout.objects.filter(
        project_id=order.project_id, source=order.source, external_id=order.checkout_token
    ).first()


def order_line_items(order: Order) -> list[dict]:
    """The order's line items, each with the product row we hold for it (one query)."""
    items = order.line_items or []
    ids = {str(li.get("product_id")) for li in items if li.get("product_id")}
    products = (
        {
            p.external_id: p
            for p in Product.objects.filter(
                project_id=order.project_id, source=order.source, external_id__in=ids
            )
        }
        if ids
        else {}
    )
    return [{"item": li, "product": products.get(str(li.get("product_id")))} for li in items]


def order_events(order: Order, limit: int = 50) -> QuerySet:
    """Events about ``order`` (their data names its ``order_id``), newest first."""
    qs = Event.objects.filter(project_id=order.project_id, source=order.source)
    if order.contact_id:
        qs = qs.filter(contact_id=order.contact_id)  # the (contact, -id) index narrows it
    return qs.filter(data__order_id=order.external_id).order_by("-id")[:limit]


@dataclass
class ProductFilter:
    q: str = ""
    store: str = ""
    status: str = ""


def list_products(project, f: ProductFilter) -> QuerySet:
    qs = Product.objects.filter(project=project).filter(store_q(f.store))
    q = f.q.strip()
    if q:
        # Variants are JSON on the product; a SKU is matched inside that text.
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(vendor__icontains=q)
            | Q(external_id=q)
            | Q(variants__icontains=f'"sku": "{q}')
            | Q(variants__icontains=f'"sku":"{q}')
        )
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by("title", "id")


def product_collections(product: Product) -> list[Collection]:
    """Collections of the product's store that list it (membership is JSON on the collection)."""
    candidates = Collection.objects.filter(
        project_id=product.project_id, source=product.source
    ).order_by("title")
    return [c for c in candidates if product.external_id in (c.product_ids or [])]


def collection_products(collection: Collection) -> QuerySet:
    return Product.objects.filter(
        project_id=collection.project_id,
        source=collection.source,
        external_id__in=[str(i) for i in (collection.product_ids or [])],
    ).order_by("title", "id")


def list_collections(project, q: str = "", store: str = "") -> QuerySet:
    qs = Collection.objects.filter(project=project).filter(store_q(store))
    if q.strip():
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(handle__icontains=q.strip()))
    return qs.order_by("title", "id")


# --- checkouts and carts ----------------------------------------------------------------

CHECKOUT_STATES = ("waiting", "abandoned", "recovered", "completed")


@dataclass
class CheckoutFilter:
    q: str = ""
    store: str = ""
    state: str = ""  # one of CHECKOUT_STATES, or "open" (waiting or abandoned)
    contact_id: int | None = None


def _recovered_by(project_id) -> QuerySet:
    return Order.objects.filter(
        project_id=project_id, source=OuterRef("source"), checkout_token=OuterRef("external_id")
    )


def list_checkouts(project, f: CheckoutFilter) -> QuerySet:
    """Checkouts matching ``f``, most recently updated first, annotated ``has_order``."""
    qs = Checkout.objects.filter(project=project).filter(store_q(f.store))
    qs = qs.annotate(has_order=Exists(_recovered_by(project.pk)))
    if f.q.strip():
        q = f.q.strip()
        qs = qs.filter(Q(email__icontains=q) | Q(external_id=q))
    if f.contact_id:
        qs = qs.filter(contact_id=f.contact_id)
    open_ = Q(completed_at__isnull=True, has_order=False)
    if f.state == "open":
        qs = qs.filter(open_)
    elif f.state == "waiting":
        qs = qs.filter(open_, abandoned_event_at__isnull=True)
    elif f.state == "abandoned":
        qs = qs.filter(open_, abandoned_event_at__isnull=False)
    elif f.state == "recovered":
        qs = qs.filter(~open_, abandoned_event_at__isnull=False)
    elif f.state == "completed":
        qs = qs.filter(~open_, abandoned_event_at__isnull=True)
    return qs.select_related("contact").order_by("-source_updated_at", "-id")


def checkout_state(checkout: Checkout, has_order: bool, now: dt.datetime | None = None) -> dict:
    """The 60-minute rule's state of one checkout, in words a page or the API shows.

    ``waiting`` (open, not yet announced; ``abandons_at`` says when it would be),
    ``abandoned`` (announced at ``abandoned_at``), ``recovered`` (announced, then an
    order carries its token) or ``completed`` (finished without being abandoned).
    """
    now = now or clock.now()
    abandoned_at = checkout.abandoned_event_at
    if has_order or checkout.completed_at:
        state = "recovered" if abandoned_at else "completed"
    elif abandoned_at:
        state = "abandoned"
    else:
        state = "waiting"
    abandons_at = None
    if state == "waiting" and checkout.source_updated_at:
        abandons_at = checkout.source_updated_at + ABANDON_AFTER
    return {
        "state": state,
        "abandoned_at": abandoned_at,
        "abandons_at": abandons_at,
        "overdue": bool(abandons_at and abandons_at <= now),
    }


def recovering_orders(checkouts) -> dict[str, Order]:
    """Orders carrying the tokens of ``checkouts`` (one query), keyed by (source, token)."""
    tokens = {c.external_id for c in checkouts}
    if not tokens:
        return {}
    project_ids = {c.project_id for c in checkouts}
    rows = Order.objects.filter(project_id__in=project_ids, checkout_token__in=tokens)
    return {(o.source, o.checkout_token): o for o in rows}


def list_carts(project, q: str = "", store: str = "") -> QuerySet:
    qs = Cart.objects.filter(project=project).filter(store_q(store))
    if q.strip():
        qs = qs.filter(external_id=q.strip())
    return qs.order_by("-source_updated_at", "-id")
