"""The mandatory privacy topics (PLATFORM.md §2.5) carried out as D26 says, each logged in Activity.

* ``customers/redact``: erase the contact's personal data, its consent, the personal
  fields of its orders and checkouts from this store, and this store's events for it.
  The contact row and its Shopify id stay, blank, so a late webhook cannot resurrect
  the person under a new row.
* ``shop/redact``: erase everything that came from the store (48 h after uninstall).
* ``customers/data_request``: build a JSON export of what we hold about the customer,
  kept on an Activity entry and downloadable by a project admin from Store details.

Handlers run for every project holding the shop's data, whatever the link's status.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q

from shoplink.audience.models import PROFILE_FIELDS, Contact
from shoplink.commerce.models import Order
from shoplink.core import clock
from shoplink.events.models import Event
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.connection import erasure
from shoplink.integrations.shopify.models import ActivityEntry

EXPORT_KIND = "privacy_export"


def _log(store, kind: str, message: str, **detail: Any) -> ActivityEntry:
    return ActivityEntry.objects.create(
        store=store, at=clock.now(), kind=kind, message=message, detail=detail
    )


def _customer_id(payload: dict) -> str | None:
    return mapping.gid_to_id((payload.get("customer") or {}).get("id"))


def _order_ids(payload: dict, key: str) -> list[str]:
    return [mapping.gid_to_id(i) for i in payload.get(key) or [] if i is not None]


def handle_customers_redact(store, payload: dict, ctx) -> None:
    customer_id = _customer_id(payload)
    order_ids = _order_ids(payload, "orders_to_redact")
    erased = erasure.redact_customer(store, customer_id, order_ids)
    _log(
        store,
        "privacy_redact",
        f"Customer {customer_id} erased (customers/redact)",
        customer_id=customer_id,
        **erased,
    )


def handle_shop_redact(store, payload: dict, ctx) -> None:
    erased = erasure.erase_store_data(store, keep_shared_contacts=False)
    _log(store, "privacy_shop_redact", "All store data erased (shop/redact)", **erased)


def handle_customers_data_request(store, payload: dict, ctx) -> None:
    customer_id = _customer_id(payload)
    order_ids = _order_ids(payload, "orders_requested")
    export = build_export(store, customer_id, order_ids)
    request_id = (payload.get("data_request") or {}).get("id")
    _log(
        store,
        EXPORT_KIND,
        f"Data request for customer {customer_id}: export ready",
        customer_id=customer_id,
        data_request_id=request_id,
        export=export,
    )


def build_export(store, customer_id: str | None, order_ids: list[str]) -> dict[str, Any]:
    """Everything we hold from ``store`` about the customer, as plain JSON."""
    project, source = store.project, store.source
    contact = (
        Contact.objects.filter(project=project, external_id=customer_id).first()
        if customer_id
        else None
    )
    orders = Order.objects.filter(project=project, source=source).filter(
        Q(external_id__in=order_ids) | Q(customer_external_id=customer_id or "-")
    )
    out: dict[str, Any] = {
        "store": store.domain,
        "customer_id": customer_id,
        "generated_at": clock.now().isoformat(),
        "profile": None,
        "consent": [],
        "orders": [],
        "events": [],
    }
    if contact is not None:
        out["profile"] = {
            **{f: getattr(contact, f) for f in PROFILE_FIELDS},
            "tags": contact.tags,
            "attributes": contact.attributes,
        }
        out["consent"] = list(
            contact.consents.values(
                "channel",
                "state",
                "opt_in_level",
                "consent_updated_at",
                shopify_state=F("source_state"),
            )
        )
        out["events"] = [
            {"name": e.name, "occurred_at": e.occurred_at.isoformat(), "data": e.data}
            for e in Event.objects.filter(contact=contact, source=source).order_by("id")
        ]
    out["orders"] = [
        {
            "order_id": o.external_id,
            "name": o.name,
            "email": o.email,
            "total_price": str(o.total_price) if o.total_price is not None else None,
            "currency": o.currency,
            "created_at": o.source_created_at.isoformat() if o.source_created_at else None,
            "line_items": o.line_items,
            "shipping_address": o.shipping_address,
        }
        for o in orders.order_by("id")
    ]
    for c in out["consent"]:
        if c["consent_updated_at"]:
            c["consent_updated_at"] = c["consent_updated_at"].isoformat()
    return out


def get_export(store, entry_id: int) -> ActivityEntry:
    """Return one export entry of ``store`` (raises DoesNotExist for anything else)."""
    return ActivityEntry.objects.get(pk=entry_id, store=store, kind=EXPORT_KIND)
