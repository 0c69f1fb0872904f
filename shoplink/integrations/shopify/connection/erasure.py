"""Erasing what a store brought into a project: Delete (D30) and the privacy topics (D26).

One place decides what "the store's data" is, for the card's Delete and for Shopify's
``shop/redact`` / ``customers/redact``; the writes themselves go through the domain
apps' services (commerce, events, audience). Everything is scoped to the store row
(its project and its ``source``), never to the shop domain alone.
"""

from __future__ import annotations

from shoplink.audience import erasure as audience
from shoplink.audience.models import Contact
from shoplink.commerce import services as commerce
from shoplink.events import services as events
from shoplink.integrations.shopify.models import ShopifyStore


def erase_store_data(store: ShopifyStore, *, keep_shared_contacts: bool) -> dict[str, int]:
    """Erase the orders, checkouts, carts, catalogue, events and contacts from ``store``.

    ``keep_shared_contacts`` (Delete, D30): a contact that existed before the store
    connected, sits on another list or has events from elsewhere stays, stripped of the
    store's fields. Without it (``shop/redact``) every contact from the store goes.
    Lists stay; the store's own auto-created list is the caller's to remove.
    """
    project, source = store.project, store.source
    counts = {"events": events.erase_source_events(project, source)}
    counts.update(commerce.erase_source(project, source))
    if keep_shared_contacts:
        counts.update(
            audience.release_source_contacts(
                project,
                source,
                connected_at=store.created_at,
                own_list_id=store.customer_list_id,
                used_elsewhere=events.contacts_with_events(project),
            )
        )
    else:
        counts["contacts"] = audience.erase_source_contacts(project, source)
    return counts


def redact_customer(
    store: ShopifyStore, customer_id: str | None, order_ids: list[str]
) -> dict[str, int]:
    """Erase one customer's personal data held from ``store`` (``customers/redact``)."""
    project, source = store.project, store.source
    contact = (
        Contact.objects.filter(project=project, external_id=customer_id, source=source).first()
        if customer_id
        else None
    )
    counts = commerce.redact_customer_records(project, source, customer_id, order_ids)
    counts["events"] = events.erase_customer_events(
        project, source, contact=contact, customer_id=customer_id
    )
    counts["contacts"] = 0
    if contact is not None:
        audience.redact_contact(contact)
        counts["contacts"] = 1
    return counts
