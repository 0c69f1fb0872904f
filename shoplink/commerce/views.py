"""Pages showing the synced commerce data: orders, products, collections, checkouts, carts.

Viewer and above, scoped to the current project, laid out like the Contacts pages.
Lists are paginated and read their related rows in the same queries, so a page costs
the same number of queries whatever its size. Filters come from the query string
(``?store=<domain>&financial_status=paid`` …), so other pages can link to a
filtered list.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404

from shoplink.commerce import queries
from shoplink.commerce.models import Cart, Checkout, Collection, Order, Product
from shoplink.core import clock
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required
from shoplink.web.rendering import render_page

PAGE_SIZE = 50


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _params(request, *names: str) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in names}


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring(params: dict[str, str]) -> str:
    """The active filters as a query string for the pager links (without ``page``)."""
    return urlencode({k: v for k, v in params.items() if v})


def _list_context(request, tab: str, model, qs, params: dict[str, str], **extra) -> dict:
    """What every list page shows: one page of ``qs``, its filters and the store picker."""
    return {
        "page": _page(request, qs),
        "filters": params,
        "qs": _querystring(params),
        "stores": queries.sources(request.project, model),
        "nav": "commerce",
        "tab": tab,
        **extra,
    }


@project_role_required(Role.VIEWER)
def order_list(request):
    p = _params(
        request, "q", "store", "financial_status", "fulfillment_status", "since", "until", "contact"
    )
    f = queries.OrderFilter(
        contact_id=int(p["contact"]) if p["contact"].isdigit() else None,
        q=p["q"],
        store=p["store"],
        financial_status=p["financial_status"],
        fulfillment_status=p["fulfillment_status"],
        since=_date(p["since"]),
        until=_date(p["until"]),
    )
    financial, fulfillment = queries.order_statuses(request.project)
    context = _list_context(
        request,
        "orders",
        Order,
        queries.list_orders(request.project, f),
        p,
        financial_statuses=financial,
        fulfillment_statuses=fulfillment,
    )
    return render_page(
        request, "commerce/orders.html", context, fragment="commerce/_orders_table.html"
    )


@project_role_required(Role.VIEWER)
def order_detail(request, order_id: int):
    order = get_object_or_404(
        Order.objects.select_related("contact"), project=request.project, pk=order_id
    )
    checkout = queries.order_checkout(order)
    context = {
        "order": order,
        "line_items": queries.order_line_items(order),
        "checkout": checkout,
        "checkout_state": queries.checkout_state(checkout, True) if checkout else None,
        "events": queries.order_events(order),
        "nav": "commerce",
        "tab": "orders",
    }
    return render_page(request, "commerce/order_detail.html", context)


@project_role_required(Role.VIEWER)
def product_list(request):
    p = _params(request, "q", "store", "status")
    f = queries.ProductFilter(q=p["q"], store=p["store"], status=p["status"])
    context = _list_context(
        request, "products", Product, queries.list_products(request.project, f), p
    )
    return render_page(
        request, "commerce/products.html", context, fragment="commerce/_products_table.html"
    )


@project_role_required(Role.VIEWER)
def product_detail(request, product_id: int):
    product = get_object_or_404(Product, project=request.project, pk=product_id)
    context = {
        "product": product,
        "collections": queries.product_collections(product),
        "nav": "commerce",
        "tab": "products",
    }
    return render_page(request, "commerce/product_detail.html", context)


@project_role_required(Role.VIEWER)
def collection_list(request):
    p = _params(request, "q", "store")
    qs = queries.list_collections(request.project, p["q"], p["store"])
    context = _list_context(request, "collections", Collection, qs, p)
    return render_page(request, "commerce/collections.html", context)


@project_role_required(Role.VIEWER)
def collection_detail(request, collection_id: int):
    collection = get_object_or_404(Collection, project=request.project, pk=collection_id)
    context = {
        "collection": collection,
        "page": _page(request, queries.collection_products(collection)),
        "qs": "",
        "nav": "commerce",
        "tab": "collections",
    }
    return render_page(request, "commerce/collection_detail.html", context)


def checkout_rows(checkouts, now=None) -> list[dict]:
    """Each checkout with its 60-minute-rule state and the order that recovered it."""
    orders = queries.recovering_orders(checkouts)
    now = now or clock.now()
    rows = []
    for c in checkouts:
        order = orders.get((c.source, c.external_id))
        rows.append(
            {"checkout": c, "order": order, **queries.checkout_state(c, order is not None, now)}
        )
    return rows


@project_role_required(Role.VIEWER)
def checkout_list(request):
    p = _params(request, "q", "store", "state")
    f = queries.CheckoutFilter(q=p["q"], store=p["store"], state=p["state"])
    qs = queries.list_checkouts(request.project, f)
    context = _list_context(request, "checkouts", Checkout, qs, p, states=queries.CHECKOUT_STATES)
    context["rows"] = checkout_rows(list(context["page"]))
    return render_page(
        request, "commerce/checkouts.html", context, fragment="commerce/_checkouts_table.html"
    )


@project_role_required(Role.VIEWER)
def checkout_detail(request, checkout_id: int):
    checkout = get_object_or_404(
        Checkout.objects.select_related("contact"), project=request.project, pk=checkout_id
    )
    row = checkout_rows([checkout])[0]
    context = {"row": row, "checkout": checkout, "nav": "commerce", "tab": "checkouts"}
    return render_page(request, "commerce/checkout_detail.html", context)


@project_role_required(Role.VIEWER)
def cart_list(request):
    p = _params(request, "q", "store")
    qs = queries.list_carts(request.project, p["q"], p["store"])
    context = _list_context(request, "carts", Cart, qs, p)
    return render_page(request, "commerce/carts.html", context)
