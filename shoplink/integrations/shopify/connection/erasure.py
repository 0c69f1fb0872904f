"""Erasing what a store brought into a project: Delete (D30) and the privacy topics (D26).

One place decides what "the store's data" is, for the card's Delete and for Shopify's
``shop/redact`` / ``customers/redact``; the writes themselves go through the domain
apps' services (commerce, events, audience). Everything is scoped to the store row
(its project and its ``source``), never to the shop domain alone.
"""

from __future__ import annotations

from django.db.models import Q

from shoplink.audience import erasure as audience
from shoplink.audience.models import Contact
from shoplink.commerce import services as commerce
from shoplink.commerce.models import Order
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
    # Found before the orders go: contacts from elsewhere (the API, a CSV) into which
    # this shop's customers were merged carry its data too (shop/redact only).
    merged = [] if keep_shared_contacts else list(_merged_contacts(store))
    counts = {"events": events.erase_source_events(project, source)}
    counts.update(commerce.erase_source(project, source))
    if not keep_shared_contacts:
        for contact in merged:
            audience.redact_contact(contact)
        counts["contacts_anonymised"] = len(merged)
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


def _not_another_shop(source: str) -> Q:
    """Contacts whose ``source`` is this store's or no integration's (created by hand or
    through the API, then merged with the shop's customer by external id)."""
    return Q(source=source) | ~Q(source__startswith="shopify:")


def _merged_contacts(store: ShopifyStore):
    """Contacts not from ``store`` that hold its customers' data (merged by external id)."""
    project, source = store.project, store.source
    customer_ids = set(
        Order.objects.filter(project=project, source=source)
        .exclude(customer_external_id="")
        .values_list("customer_external_id", flat=True)
    )
    on_own_list = (
        Q(pk__in=[])
        if store.customer_list_id is None
        else Q(list_memberships__contact_list_id=store.customer_list_id)
    )
    return (
        Contact.objects.filter(project=project)
        .filter(_not_another_shop(source))
        .exclude(source=source)
        .filter(Q(external_id__in=customer_ids) | on_own_list)
        .distinct()
    )


def redact_customer(
    store: ShopifyStore,
    customer_id: str | None,
    order_ids: list[str],
    *,
    emails: list[str] | None = None,
) -> dict[str, int]:
    """Erase one customer's personal data held from ``store`` (``customers/redact``).

    Follows the data, not the first source: the contact with the customer's id is
    erased whether the shop created it or merged into one made through the API.
    """
    project, source = store.project, store.source
    contact = (
        Contact.objects.filter(project=project, external_id=customer_id)
        .filter(_not_another_shop(source))
        .first()
        if customer_id
        else None
    )
    counts = commerce.redact_customer_records(
        project, source, customer_id, order_ids, emails=emails or ()
    )
    counts["events"] = events.erase_customer_events(
        project, source, contact=contact, customer_id=customer_id
    )
    counts["contacts"] = 0
    if contact is not None:
        audience.redact_contact(contact)
        counts["contacts"] = 1
    return counts
