"""Writes made through the JSON API: events in, contact upserts, local consent.

The API is a local source of truth (D32): what arrives here is the project's own
data, so a contact upsert keeps the contact's *source* clock untouched (Shopify's
``updated_at`` ordering must keep working for later webhooks) and announces the
profile change with ``local_profile_changed`` so integrations may fill in (D27).
Each function validates its batch and raises ``ValidationFailed`` with a sentence.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from shoplink.audience import services as audience
from shoplink.audience.models import PROFILE_FIELDS, Contact
from shoplink.core import clock
from shoplink.core.errors import ValidationFailed
from shoplink.events.services import EventInput, record_events

MAX_BATCH = 100
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,99}$")
# Events named like the integration's own (EVENTS.md) are emitted only by it.
RESERVED_PREFIXES = ("shopify_",)
# Fields that fill-in may write to Shopify (D27); a change to another field (email,
# tags) does not owe Shopify anything.
FILL_IN_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "phone",
        "address1",
        "address2",
        "city",
        "province",
        "country",
        "zip",
    }
)


class NotFound(Exception):
    """The named object does not exist in this project (answered as 404)."""


def _check_batch(items: Sequence, what: str) -> None:
    if not items:
        raise ValidationFailed(f"Send at least one {what}.")
    if len(items) > MAX_BATCH:
        raise ValidationFailed(f"Send at most {MAX_BATCH} {what}s per request (got {len(items)}).")


# --- events ---------------------------------------------------------------------------


@dataclass
class EventsOutcome:
    accepted: list[tuple[str, int]]  # (idempotency key, event id) newly recorded
    duplicates: list[str]  # keys already recorded earlier (dropped, not an error)


def record_api_events(project, items: Sequence[dict[str, Any]]) -> EventsOutcome:
    """Record a batch of events; a repeated idempotency key is dropped, not an error."""
    _check_batch(items, "event")
    external_ids = {str(i["contact"]) for i in items if i.get("contact")}
    contacts = dict(
        Contact.objects.filter(project=project, external_id__in=external_ids).values_list(
            "external_id", "id"
        )
    )
    unknown = sorted(external_ids - set(contacts))
    if unknown:
        raise ValidationFailed("Unknown contact external_id: " + ", ".join(unknown[:10]))
    inputs = [_event_input(item, contacts) for item in items]
    keys = [e.idempotency_key for e in inputs]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("Each event in a batch needs its own idempotency_key.")
    written = record_events(project, inputs)
    accepted = [(e.idempotency_key, e.pk) for e in written]
    fresh = {key for key, _ in accepted}
    return EventsOutcome(accepted, [k for k in keys if k not in fresh])


def _event_input(item: dict[str, Any], contacts: dict[str, int]) -> EventInput:
    name = str(item.get("name") or "").strip()
    if not EVENT_NAME.match(name):
        raise ValidationFailed(
            f"Invalid event name {name!r}: use lower-case letters, digits and _ . : - "
            "(up to 100 characters, starting with a letter)."
        )
    if name.startswith(RESERVED_PREFIXES):
        raise ValidationFailed(f"Event names starting with shopify_ are reserved ({name}).")
    occurred = item.get("occurred_at") or clock.now()
    if occurred.tzinfo is None:
        raise ValidationFailed("occurred_at needs a time zone (for example 2026-12-01T10:00:00Z).")
    external_id = str(item["contact"]) if item.get("contact") else None
    return EventInput(
        name=name,
        idempotency_key=str(item.get("idempotency_key") or f"api:{uuid.uuid4()}"),
        occurred_at=occurred.astimezone(dt.UTC),
        data=dict(item.get("data") or {}),
        contact_id=contacts.get(external_id) if external_id else None,
        contact_external_id=external_id,
        source="api",
    )


# --- contacts -------------------------------------------------------------------------


class _Record:
    """An API contact as ``audience.upsert_contacts`` reads it (None = keep)."""

    def __init__(self, item: dict[str, Any], source_updated_at):
        self.external_id = str(item["external_id"])
        for name in PROFILE_FIELDS:
            setattr(self, name, item.get(name))
        self.tags = item.get("tags")
        # The stored source clock, passed back unchanged: a local edit is not a newer
        # Shopify record and must not make later webhooks look stale.
        self.source_updated_at = source_updated_at
        self.source_created_at = None


def upsert_api_contacts(project, items: Sequence[dict[str, Any]]) -> list[audience.ContactChange]:
    """Create or update contacts by external id and announce profile changes (D27)."""
    _check_batch(items, "contact")
    for item in items:
        external_id = str(item.get("external_id") or "").strip()
        if not external_id or len(external_id) > 64:
            raise ValidationFailed("Each contact needs an external_id of 1 to 64 characters.")
        item["external_id"] = external_id
    clocks = dict(
        Contact.objects.filter(
            project=project, external_id__in=[i["external_id"] for i in items]
        ).values_list("external_id", "source_updated_at")
    )
    records = [_Record(item, clocks.get(item["external_id"])) for item in items]
    with transaction.atomic():
        changes = audience.upsert_contacts(project, records, source="api")
        touched = sorted(
            {c.contact_id for c in changes if c.created or FILL_IN_FIELDS.intersection(c.changed)}
        )
        if touched:
            transaction.on_commit(
                lambda: audience.local_profile_changed.send(sender=Contact, contact_ids=touched)
            )
    return changes


def set_api_consent(project, external_id: str, channel: str, state: str):
    """Record a local consent change for a contact (opt-outs propagate, D21)."""
    contact = Contact.objects.filter(project=project, external_id=external_id).first()
    if contact is None:
        raise NotFound(f"No contact with external_id {external_id} in this project.")
    return audience.set_local_consent(contact, channel, state)
