"""Handlers for customer topics: create/update/delete, tags, purchasing summary, consent.

Since API 2025-01 customer payloads carry neither tags nor consent (PLATFORM.md §2.8):
``mapping`` leaves them unknown (None), so the upsert keeps what the tag and consent
topics wrote. Events follow real changes only: a duplicate, an echo of our own write or
an older payload changes nothing and emits nothing (D21, EVENTS.md).
"""

from __future__ import annotations

from shoplink.audience import services as audience
from shoplink.audience.consent import is_marketable
from shoplink.audience.models import Consent, Contact
from shoplink.commerce import services as commerce
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.sync import ingest


def _upsert_customer(store, payload: dict, ctx) -> None:
    record = mapping.customer_from_webhook(payload)
    stored_at = (
        Contact.objects.filter(project=store.project, external_id=record.external_id)
        .values_list("source_updated_at", flat=True)
        .first()
    )
    if ctx.is_superseded(f"customer:{record.external_id}", stored_at, record.source_updated_at):
        return  # same second, triggered earlier than what wrote the row: older
    changes = ingest.ingest_customers(store, [record])
    change = changes[0]
    if change.stale:
        return
    contact = Contact.objects.get(pk=change.contact_id)
    if change.created:
        emitted = [events.customer_created(store, contact)]
    elif change.changed:
        emitted = [
            events.customer_updated(store, contact, change.changed, record.source_updated_at)
        ]
    else:
        emitted = []
    emitted += [
        events.consent_updated(store, contact.external_id, c, contact.phone)
        for c in changes.consent_changes
    ]
    events.emit(store, emitted)


def handle_customers_create(store, payload: dict, ctx) -> None:
    _upsert_customer(store, payload, ctx)


def handle_customers_update(store, payload: dict, ctx) -> None:
    # An update can arrive before its create (no ordering, §2.3): the upsert creates
    # the contact then, and the late create is older and changes nothing.
    _upsert_customer(store, payload, ctx)


def handle_customers_delete(store, payload: dict, ctx) -> None:
    """D26: keep the contact (its history matters), mark it deleted, leave the list."""
    customer_id = mapping.deleted_id_from_webhook(payload)
    contact = Contact.objects.filter(project=store.project, external_id=customer_id).first()
    if contact is None:
        return  # never imported: nothing to mark
    audience.mark_deleted_in_source([contact.pk])
    if store.customer_list_id:
        audience.remove_from_list(store.customer_list, [contact.pk])
    events.emit(store, [events.customer_deleted(store, customer_id, ctx.triggered_at)])


def handle_customer_tags(store, payload: dict, ctx) -> None:
    """Apply ``customer.tags_added`` / ``tags_removed``; emit an update when tags moved."""
    change = mapping.tag_change_from_webhook(ctx.topic, payload)
    contact = Contact.objects.filter(
        project=store.project, external_id=change.customer_external_id
    ).first()
    if contact is None:
        # The customers/create for this customer has not been processed yet.
        ctx.wait_for(f"customer {change.customer_external_id}")
        return
    tags = [t for t in contact.tags or [] if t not in change.removed]
    tags += [t for t in change.added if t not in tags]
    if tags == list(contact.tags or []):
        return  # a replay: nothing moved
    audience.set_tags(contact, tags)
    occurred = change.occurred_at or ctx.triggered_at
    events.emit(store, [events.customer_updated(store, contact, ["tags"], occurred)])


def handle_customers_purchasing_summary(store, payload: dict, ctx) -> None:
    """Refresh the contact's computed stats; our own orders are the source of truth (D24)."""
    summary = mapping.purchasing_summary_from_webhook(payload)
    ids = list(
        Contact.objects.filter(
            project=store.project, external_id=summary.customer_external_id
        ).values_list("pk", flat=True)
    )
    commerce.refresh_contact_stats(store.project, ids)


def handle_consent_update(store, payload: dict, ctx) -> None:
    """Apply a consent topic by the D20 rules; emit only when state or Shopify's state moved."""
    update = mapping.consent_from_webhook(ctx.topic, payload)
    contact = Contact.objects.filter(
        project=store.project, external_id=update.customer_external_id
    ).first()
    if contact is None:
        if store.sync_customers:
            ctx.wait_for(f"customer {update.customer_external_id}")
        return
    before = Consent.objects.filter(contact=contact, channel=update.consent.channel).first()
    changes = audience.apply_source_consents([(contact.pk, update.consent)], source="shopify")
    phone = update.address or contact.phone or None
    emitted = [
        events.consent_updated(store, contact.external_id, c, phone)
        for c in changes
        if _consent_moved(before, c)
    ]
    events.emit(store, emitted)


def _consent_moved(before, change) -> bool:
    """Did our state or the marketing verdict change? (D21: an echo changes neither.)

    Our own opt-out comes back as Shopify ``UNSUBSCRIBED``: Shopify's raw state moves,
    but our state and "may we market?" were already there, so it is no news.
    """
    if before is None:
        return True
    was = is_marketable(before.state, before.source_opted_out)
    now = is_marketable(change.state, change.source_opted_out)
    return change.state != before.state or was != now
