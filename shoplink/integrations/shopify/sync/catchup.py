"""The catch-up after Reconnect (D31, ADR 0045): what the gap's records mean for journeys.

While a store is Disconnected or Reconnect required no webhook arrives, so the
reconciliation that runs right after a Reconnect is the only way the gap's records
reach us. Unlike the 30-minute pass (which repairs lost webhooks quietly), the
catch-up also emits the events the missed webhooks would have emitted, so an order
placed during the gap still counts for journeys. Every such event carries the
envelope's ``catch_up`` flag and Shopify's own time in ``occurred_at``; a consumer
that reacts to "now" (an abandoned-cart message) can skip or delay them.

What is emitted, per part: customers created / updated and their consent changes,
orders placed (with ordered products) and updated, checkouts started; checkouts of
the gap already idle for an hour get their ``shopify_checkout_abandoned`` at once,
flagged the same way. Events that need a webhook's detail (paid, fulfilled,
cancelled, refunds, fulfillment tracking, product updates) are not reconstructed:
their effect on the rows (totals, statuses) is written, and ``shopify_order_updated``
lists what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shoplink.audience.models import Contact
from shoplink.events.services import EventInput
from shoplink.integrations.shopify.events import emit as events

__all__ = ["events_for"]


def events_for(store, part: str, records: Sequence[Any], changes) -> list[EventInput]:
    """The events the missed webhooks would have emitted for one reconciled page."""
    if part == "customers":
        return _customer_events(store, records, changes)
    if part == "orders":
        return _order_events(store, records, changes)
    if part == "abandoned_checkouts":
        by_id = {str(c.external_id): c for c in changes}
        return [
            events.checkout_started(store, r)
            for r in records
            if (c := by_id.get(str(r.token))) is not None and c.created
        ]
    return []


def _customer_events(store, records, changes) -> list[EventInput]:
    live = [c for c in changes if not c.stale and (c.created or c.changed)]
    consents = list(getattr(changes, "consent_changes", []))
    contacts = Contact.objects.in_bulk(
        {c.contact_id for c in live} | {c.contact_id for c in consents}
    )
    updated_at = {str(r.external_id): r.source_updated_at for r in records}
    out: list[EventInput] = []
    for change in live:
        contact = contacts.get(change.contact_id)
        if contact is None:
            continue
        if change.created:
            out.append(events.customer_created(store, contact))
        else:
            out.append(
                events.customer_updated(
                    store, contact, change.changed, updated_at.get(change.external_id)
                )
            )
    by_contact = {c.contact_id: c.external_id for c in changes}
    phones = {pk: c.phone for pk, c in contacts.items()}
    for consent in consents:
        customer_id = by_contact.get(consent.contact_id)
        if customer_id:
            out.append(
                events.consent_updated(store, customer_id, consent, phones.get(consent.contact_id))
            )
    return out


def _order_events(store, records, changes) -> list[EventInput]:
    by_id = {str(c.external_id): c for c in changes}
    out: list[EventInput] = []
    for record in records:
        change = by_id.get(str(record.external_id))
        if change is None or change.stale:
            continue
        if change.created:
            out += [events.order_placed(store, record), *events.ordered_products(store, record)]
        elif change.changed:
            out.append(events.order_updated(store, record, change.changed))
    return out
