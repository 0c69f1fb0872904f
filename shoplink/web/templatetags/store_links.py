"""Template filters naming a row's store and linking to the row in that store's admin.

Rows carry ``source`` (``shopify:<domain>``); the domain apps never build Shopify
addresses, so the one place that knows the admin's URL form is here, in the layout.
Shopify's admin serves a record at ``https://<shop>.myshopify.com/admin/<resource>/<id>``
(orders, products, collections, customers), with the numeric id our rows keep.
"""

from __future__ import annotations

from django import template

register = template.Library()

ADMIN_RESOURCES = {
    "order": "orders",
    "product": "products",
    "collection": "collections",
    "contact": "customers",
}


@register.filter
def store_name(source: str | None) -> str:
    """``shopify:demo.myshopify.com`` → ``demo.myshopify.com`` (any other source as is)."""
    if not source:
        return ""
    return source.split(":", 1)[1] if ":" in source else source


@register.filter
def admin_url(row, kind: str) -> str:
    """The row's page in its Shopify store's admin, or '' when it has none."""
    source = getattr(row, "source", "") or ""
    external_id = getattr(row, "external_id", "") or ""
    resource = ADMIN_RESOURCES.get(kind)
    if not (resource and source.startswith("shopify:") and external_id.isdigit()):
        return ""
    return f"https://{source.split(':', 1)[1]}/admin/{resource}/{external_id}"
