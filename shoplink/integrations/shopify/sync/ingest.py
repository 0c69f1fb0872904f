"""Ingest mapped Shopify records into the audience and commerce apps, set-wise.

One function per entity, shared by the bulk import (sync.py), reconciliation
(reconcile.py) and the webhook handlers, so every path writes the same way:

* rows carry ``source = store.source`` and are keyed by the Shopify id;
* the domain services compare ``source_updated_at``, so an older record never
  overwrites a newer row (a bulk line never beats a fresher webhook);
* customers join the store's list (Customer profiles on) and their consent is
  applied only for the consent toggles that are on (D14, D20);
* order-like rows link to contacts and refresh the contacts' computed stats (D24).

Records are the dataclasses of ``mapping.py``; they are read by attribute name only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shoplink.audience import services as audience
from shoplink.audience.models import Contact
from shoplink.audience.services import ConsentChange, ContactChange
from shoplink.commerce import services as commerce
from shoplink.commerce.models import Order
from shoplink.core.fastwrite import select_in
from shoplink.core.upsert import RowChange, upsert_rows

__all__ = [
    "CustomerChanges",
    "ingest_carts",
    "ingest_checkouts",
    "ingest_collections",
    "ingest_customers",
    "ingest_orders",
    "ingest_products",
]


class CustomerChanges(list):
    """The ``ContactChange`` list of :func:`ingest_customers`, plus the consent changes.

    A list subclass so callers that only need contact changes treat it as a list;
    webhook handlers read ``consent_changes`` to emit consent events.
    """

    consent_changes: list[ConsentChange]

    def __init__(self, changes: Iterable[ContactChange] = (), consent_changes=None):
        super().__init__(changes)
        self.consent_changes = list(consent_changes or [])


def ingest_customers(
    store, records: Sequence[Any], *, join_existing: bool = False
) -> CustomerChanges:
    """Upsert customers, join the store's list, apply enabled consents.

    New contacts join ``store.customer_list`` while Customer profiles is on. A bulk
    sync passes ``join_existing=True`` so a Re-sync also adds already-imported
    customers to a newly assigned list (D14); webhooks only add new ones.
    """
    if not records:
        return CustomerChanges()
    project = store.project
    changes = audience.upsert_contacts(project, records, source=store.source)
    # Contacts this call created: when the caller holds a transaction (a bulk batch, a
    # webhook's drain), nothing can reference them yet, so the services skip their
    # look-ups of memberships and consents.
    created = [c.contact_id for c in changes if c.created]
    if store.sync_customers and store.customer_list_id:
        joining = [c.contact_id for c in changes if c.created or join_existing]
        audience.add_to_list(store.customer_list, joining, created=created)
    consent_changes = audience.apply_source_consents(
        _consent_items(store, records, changes), source="shopify", created=created
    )
    created = [c for c in changes if c.created]
    if created:
        _link_waiting_rows(store, created)
    return CustomerChanges(changes, consent_changes)


def _consent_items(store, records, changes) -> list[tuple[int, Any]]:
    """Pair contact ids with the consents of the enabled channels.

    A stale record (the stored contact is newer) carries no consent either: its
    consent is as old as the rest of it. Records without consent (customer webhooks
    since 2025-01) contribute nothing.
    """
    wanted = []
    if store.sync_email_consent:
        wanted.append("email_consent")
    if store.sync_sms_consent:
        wanted.append("sms_consent")
    if not wanted:
        return []
    ids = {c.external_id: c.contact_id for c in changes if not c.stale}
    items = []
    for record in records:
        contact_id = ids.get(str(record.external_id))
        if not contact_id:
            continue
        for name in wanted:
            consent = getattr(record, name, None)
            if consent is not None:
                items.append((contact_id, consent))
    return items


def _link_waiting_rows(store, created: Sequence[ContactChange]) -> None:
    """Link orders and checkouts that arrived before their customer (webhook order)."""
    project, source = store.project, store.source
    by_key = {c.external_id: c.contact_id for c in created}
    if commerce.link_waiting_rows(project, source, by_key):
        commerce.refresh_contact_stats(project, [c.contact_id for c in created])


def ingest_orders(store, records: Sequence[Any], *, refresh_stats: bool = True) -> list[RowChange]:
    """Upsert orders, link them to contacts and refresh those contacts' stats.

    The bulk import passes ``refresh_stats=False`` and rebuilds stats set-wise once
    at the end (D24), which is far cheaper than one aggregate per batch.
    """
    if not records:
        return []
    project = store.project
    previous = _previous_contacts(store, records) if refresh_stats else set()
    changes = _upsert_linked_orders(store, records)
    if refresh_stats:
        written = [c.pk for c in changes if not c.stale]
        touched = set(
            Order.objects.filter(id__in=written, contact__isnull=False).values_list(
                "contact_id", flat=True
            )
        )
        commerce.refresh_contact_stats(project, touched | previous)
    return changes


def _upsert_linked_orders(store, records) -> list[RowChange]:
    """``commerce.upsert_orders`` with the contact resolved *before* the write.

    The service links after inserting (a second UPDATE of every new row); resolving the
    contacts first with one SELECT writes each order once, which halves the cost of a
    bulk import. Orders whose customer is not imported yet are linked later
    (``_link_waiting_rows``), so the service's linking step is kept as the fallback.
    """
    project, source = store.project, store.source
    keys = {r.customer_external_id for r in records if r.customer_external_id}
    contacts = dict(
        select_in(Contact, ["external_id", "id"], "external_id", list(keys), project_id=project.pk)
    )

    def contact_of(record):
        return contacts.get(record.customer_external_id)

    changes = upsert_rows(
        Order, project, source, records, commerce.ORDER_FIELDS, derived={"contact_id": contact_of}
    )
    # Only rows written without a contact can need linking, and only if they name a
    # customer (the service links nothing else); on an initial import that is the few
    # orders whose customer is not imported.
    unlinked = {
        str(r.external_id)
        for r in records
        if r.customer_external_id and r.customer_external_id not in contacts
    }
    if unlinked:
        commerce.link_orders_to_contacts(
            project,
            source,
            [c.pk for c in changes if not c.stale and c.external_id in unlinked],
        )
    return changes


def _previous_contacts(store, records) -> set[int]:
    """Contacts the orders pointed at before this write (an order can change customer)."""
    if not store.pk:
        return set()
    return set(
        Order.objects.filter(
            project=store.project,
            source=store.source,
            external_id__in=[str(r.external_id) for r in records],
            contact__isnull=False,
        ).values_list("contact_id", flat=True)
    )


def ingest_checkouts(store, records: Sequence[Any]) -> list[RowChange]:
    """Upsert checkouts (keyed by token, D19), linked to contacts by customer id."""
    if not records:
        return []
    return commerce.upsert_checkouts(store.project, store.source, records)


def ingest_carts(store, records: Sequence[Any]) -> list[RowChange]:
    """Upsert carts (webhook only: carts have no Admin query)."""
    if not records:
        return []
    return commerce.upsert_carts(store.project, store.source, records)


def ingest_products(store, records: Sequence[Any]) -> list[RowChange]:
    """Upsert products with their variants."""
    if not records:
        return []
    return commerce.upsert_products(store.project, store.source, records)


def ingest_collections(store, records: Sequence[Any]) -> list[RowChange]:
    """Upsert collections with their product ids."""
    if not records:
        return []
    return commerce.upsert_collections(store.project, store.source, records)
