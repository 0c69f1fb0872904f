"""Writes into the audience: the only way integrations change contacts, lists and consent.

Every function works set-wise (one query per batch, never one per row) because the
same functions serve a million-row bulk import and a single webhook.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import django.dispatch
from django.db import connection, transaction
from django.db.models import F

from shoplink.audience import consent as consent_rules
from shoplink.audience.models import (
    PROFILE_FIELDS,
    Channel,
    Consent,
    ConsentState,
    Contact,
    ContactList,
    ListMembership,
)
from shoplink.core import clock
from shoplink.core.errors import ValidationFailed
from shoplink.core.fastwrite import (
    insert_columns,
    insert_dicts,
    pg_insert_returning,
    select_in,
    sqlite_inserted_ids,
    update_dicts,
    update_objects,
)

# Sent after a local (non-Shopify) consent change commits; integrations listen to push
# opt-outs back (D21) without the audience app knowing they exist.
local_consent_changed = django.dispatch.Signal()  # kwargs: contact_id, channel, state
# Sent after profile fields of contacts change locally (API/UI), for profile fill-in (D27).
local_profile_changed = django.dispatch.Signal()  # kwargs: contact_ids


class ContactInput(Protocol):
    """What ``upsert_contacts`` reads from each record (mapping.CustomerRecord fits)."""

    external_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province: str | None
    country: str | None
    zip: str | None
    tags: list[str] | None
    source_updated_at: dt.datetime | None


@dataclass(slots=True)
class ContactChange:
    """The outcome of upserting one record."""

    contact_id: int
    external_id: str
    created: bool = False
    changed: list[str] = field(default_factory=list)
    stale: bool = False  # the stored row was newer; nothing was written


def _value(record: Any, name: str) -> Any:
    return getattr(record, name, None)


def upsert_contacts(
    project, records: Sequence[ContactInput], *, source: str = ""
) -> list[ContactChange]:
    """Create or update contacts by ``external_id``; a record older than the row is skipped.

    A field that is ``None`` on the record means "unknown" and keeps the stored value
    (Shopify customer webhooks omit tags since 2025-01). Returns one change per record,
    in input order; duplicate external ids in one batch keep the newest record.
    """
    newest: dict[str, ContactInput] = {}
    for record in records:
        key = str(record.external_id)
        held = newest.get(key)
        if held is None or _newer(record.source_updated_at, held.source_updated_at):
            newest[key] = record
    done: dict[str, ContactChange] = {}
    if connection.vendor == "postgresql":
        # New keys first, without a SELECT of every key: COPY and one INSERT ... ON
        # CONFLICT DO NOTHING RETURNING. The keys that exist come back without an id
        # and take the general path below.
        done = _create_contacts(project, source, newest, skip_existing=True)
        if len(done) == len(newest):
            return [done[str(r.external_id)] for r in records]
        newest = {k: r for k, r in newest.items() if k not in done}
    # Bare keys first: on an initial import none exist and no instances are built.
    present = [
        k
        for (k,) in select_in(
            Contact, ["external_id"], "external_id", list(newest), project_id=project.pk
        )
    ]
    existing = {
        c.external_id: c
        for c in (
            Contact.objects.filter(project=project, external_id__in=present) if present else ()
        )
    }
    if not present:
        # All new (an initial import): rows built column by column, no per-row dicts.
        done.update(_create_contacts(project, source, newest))
        return [done[str(r.external_id)] for r in records]
    to_create: list[Contact] = []
    to_update: list[Contact] = []
    results: dict[str, ContactChange] = done
    update_fields: set[str] = set()
    for key, record in newest.items():
        contact = existing.get(key)
        if contact is None:
            to_create.append(_new_contact_row(project, key, source, record))
            results[key] = ContactChange(contact_id=0, external_id=key, created=True)
            continue
        if contact.source_updated_at and not _newer(
            record.source_updated_at, contact.source_updated_at, allow_equal=True
        ):
            results[key] = ContactChange(contact_id=contact.pk, external_id=key, stale=True)
            continue
        stored_at = contact.source_updated_at  # _assign overwrites it
        changed = _assign(contact, record)
        if contact.deleted_in_source:
            contact.deleted_in_source = False
            changed.append("deleted_in_source")
        if not contact.source:
            contact.source = source
            changed.append("source")
        update_fields.update(changed)
        # A newer version that changes nothing we keep still moves the stored timestamp,
        # or a later, older replay would look newer than what we hold.
        if changed or record.source_updated_at != stored_at:
            update_fields.add("source_updated_at")
            to_update.append(contact)
        results[key] = ContactChange(
            contact_id=contact.pk,
            external_id=key,
            changed=[c for c in changed if c not in ("source_updated_at", "source")],
        )
    with transaction.atomic():
        if to_create:
            insert_dicts(Contact, to_create)
            keys = [c["external_id"] for c in to_create]
            ids = _inserted_contact_ids(project, keys)
            for c in to_create:
                results[c["external_id"]].contact_id = ids[c["external_id"]]
        if to_update:
            update_fields.add("updated_at")
            now = clock.now()
            for c in to_update:
                c.updated_at = now
            update_objects(Contact, to_update, sorted(update_fields))
    return [results[str(r.external_id)] for r in records]


def _create_contacts(
    project, source: str, newest: dict[str, ContactInput], *, skip_existing: bool = False
) -> dict[str, ContactChange]:
    """Insert contacts for ``newest`` (none exists yet); their changes by external id.

    ``skip_existing`` (PostgreSQL only) leaves the keys that exist alone: they are
    missing from the result.

    Stores exactly what ``_new_contact_row`` would, built with C-level ``map`` calls per
    column; a column holding anything but ``str`` takes the per-cell rule.
    """
    keys, news = list(newest), list(newest.values())
    columns = [keys]
    for name in PROFILE_FIELDS:
        columns.append(_profile_column(_column(news, name)))
    columns.append([list(t) if t is not None else [] for t in _column(news, "tags")])
    columns.append(_column(news, "source_updated_at"))
    columns.append(_column(news, "source_created_at"))
    names = ["external_id", *PROFILE_FIELDS, "tags", "source_updated_at", "source_created_at"]
    constants = {"project_id": project.pk, "source": source}
    # No savepoint inside a caller's transaction: a failed insert rolls that back whole.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # COPY and one INSERT ... RETURNING: the ids come back with the write.
            ids = pg_insert_returning(
                Contact,
                names,
                columns,
                "external_id",
                constants=constants,
                ignore_conflicts=skip_existing,
            )
        else:
            insert_columns(Contact, names, columns, constants=constants)
            ids = _inserted_contact_ids(project, keys)
    return {k: ContactChange(contact_id=ids[k], external_id=k, created=True) for k in ids}


def _inserted_contact_ids(project, keys: list[str]) -> dict[str, int]:
    """Ids of the contacts just inserted with ``keys`` (in that order), by external id.

    Executemany reads no ids back: on SQLite they follow from the insert order
    (``sqlite_inserted_ids`` checks that), elsewhere one SELECT maps them.
    """
    ids = sqlite_inserted_ids(Contact, "external_id", keys)
    if ids is None:
        ids = dict(
            select_in(Contact, ["external_id", "id"], "external_id", keys, project_id=project.pk)
        )
    return ids


def _column(records: Sequence[Any], name: str) -> list[Any]:
    """``_value(record, name)`` of every record: one C-level pass when all have it."""
    try:
        return list(map(operator.attrgetter(name), records))
    except AttributeError:  # a record type without the attribute: "unknown" is None
        return [_value(r, name) for r in records]


def _profile_column(values: list[Any]) -> list[str]:
    """``"" if value is None else str(value).strip()`` for a whole column."""
    if set(map(type, values)) == {str}:
        return list(map(str.strip, values))
    return ["" if value is None else str(value).strip() for value in values]


def _new_contact_row(project, key: str, source: str, record: ContactInput) -> dict[str, Any]:
    """The column values of a contact created from ``record`` (unknown fields stay blank)."""
    row: dict[str, Any] = {"project_id": project.pk, "external_id": key, "source": source}
    for name in PROFILE_FIELDS:
        value = _value(record, name)
        row[name] = "" if value is None else str(value).strip()
    tags = _value(record, "tags")
    row["tags"] = list(tags) if tags is not None else []
    row["source_updated_at"] = record.source_updated_at
    row["source_created_at"] = _value(record, "source_created_at")
    return row


def _newer(a: dt.datetime | None, b: dt.datetime | None, *, allow_equal: bool = False) -> bool:
    if a is None:
        return b is None
    if b is None:
        return True
    return a >= b if allow_equal else a > b


def _assign(contact: Contact, record: ContactInput) -> list[str]:
    """Copy known fields from ``record``; return the names that changed."""
    changed = []
    for name in PROFILE_FIELDS:
        value = _value(record, name)
        if value is None:
            continue
        value = str(value).strip()
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    tags = _value(record, "tags")
    if tags is not None and list(contact.tags or []) != list(tags):
        contact.tags = list(tags)
        changed.append("tags")
    contact.source_updated_at = record.source_updated_at
    return changed


def create_contact(project, **fields) -> Contact:
    """Create one contact by hand (UI/API). ``external_id`` must be unique in the project."""
    external_id = fields.get("external_id") or None
    if external_id and Contact.objects.filter(project=project, external_id=external_id).exists():
        raise ValidationFailed(f"A contact with external id {external_id} already exists.")
    return Contact.objects.create(project=project, **fields)


def update_attributes(project, values: dict[int, dict[str, Any]]) -> int:
    """Merge computed attributes into contacts (``{contact_id: {key: value}}``)."""
    # In chunks of (id, attributes) tuples, not model instances: the end-of-import
    # rebuild passes every contact of a store, and instances were the memory peak.
    ids = list(values)
    done = 0
    for start in range(0, len(ids), _ATTRIBUTE_CHUNK):
        rows = Contact.objects.filter(
            project=project, id__in=ids[start : start + _ATTRIBUTE_CHUNK]
        ).values_list("id", "attributes")
        updates = [(pk, {"attributes": {**(attrs or {}), **values[pk]}}) for pk, attrs in rows]
        update_dicts(Contact, ["attributes"], updates)
        done += len(updates)
    return done


# Ids per SELECT/UPDATE round in update_attributes: below SQLite's 32,766 variables.
_ATTRIBUTE_CHUNK = 2000


# --- Lists ---------------------------------------------------------------------------


def mark_deleted_in_source(contact_ids: Iterable[int]) -> int:
    """Mark contacts their source deleted (they stay, with their history); return how many."""
    return Contact.objects.filter(pk__in=list(contact_ids), deleted_in_source=False).update(
        deleted_in_source=True
    )


def set_tags(contact: Contact, tags: list[str]) -> None:
    """Replace a contact's tags (the source said which were added and removed)."""
    Contact.objects.filter(pk=contact.pk).update(tags=tags)
    contact.tags = tags


def create_list(project, name: str, *, created_by_source: str = "") -> ContactList:
    """Create a static list; names need not be unique but must not be blank."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A list needs a name.")
    return ContactList.objects.create(
        project=project, name=name[:200], created_by_source=created_by_source
    )


def add_to_list(
    contact_list: ContactList, contact_ids: Iterable[int], *, created: Iterable[int] = ()
) -> int:
    """Add contacts to a list (already-present ones are ignored); return how many joined.

    ``created`` names contacts the caller created in its current transaction (see
    ``_fresh``): they cannot be members of anything yet, so they are not looked up, and
    when all are such their rows go in without conflict handling (on PostgreSQL, one
    COPY straight into the table).
    """
    ids = set(contact_ids)
    if not ids:
        return 0
    known = ids - _fresh(created)
    # No savepoint inside a caller's transaction: a failed insert rolls that back whole.
    with transaction.atomic(savepoint=False):
        present = {
            cid
            for (cid,) in select_in(
                ListMembership,
                ["contact_id"],
                "contact_id",
                list(known),
                contact_list_id=contact_list.pk,
            )
        }
        new = list(ids - present)
        insert_columns(
            ListMembership,
            ["contact_id"],
            [new],
            constants={"contact_list_id": contact_list.pk},
            ignore_conflicts=bool(known),
        )
        if new:
            ContactList.objects.filter(pk=contact_list.pk).update(size=F("size") + len(new))
    return len(new)


def _fresh(created: Iterable[int]) -> set[int]:
    """The contact ids of ``created`` whose absence of rows can be trusted: contacts the
    caller inserted in the transaction it is still in. No other transaction can see such
    a contact, so none can have given it a list membership or a consent row. Outside a
    transaction (autocommit) the contact is committed already: nothing is trusted."""
    if not connection.in_atomic_block:
        return set()
    return set(created)


def remove_from_list(contact_list: ContactList, contact_ids: Iterable[int]) -> int:
    """Remove contacts from a list; return how many left."""
    ids = list(set(contact_ids))
    with transaction.atomic():
        removed, _ = ListMembership.objects.filter(
            contact_list=contact_list, contact_id__in=ids
        ).delete()
        if removed:
            ContactList.objects.filter(pk=contact_list.pk).update(size=F("size") - removed)
    return removed


def recount_list(contact_list: ContactList) -> int:
    """Repair a list's stored size from its memberships (after bulk deletes)."""
    size = ListMembership.objects.filter(contact_list=contact_list).count()
    ContactList.objects.filter(pk=contact_list.pk).update(size=size)
    return size


# --- Consent -------------------------------------------------------------------------


@dataclass
class ConsentInput:
    """Incoming consent from a source (an integration's consent record has these fields)."""

    channel: str
    state: str
    source_state: str = ""
    opt_in_level: str | None = None
    collected_from: str | None = None
    consent_updated_at: dt.datetime | None = None
    source_opted_out: bool = False


@dataclass(slots=True)
class ConsentChange:
    contact_id: int
    channel: str
    state: str
    previous_state: str | None
    source_state: str
    source_opted_out: bool
    opt_in_level: str
    consent_updated_at: dt.datetime | None


def apply_source_consents(
    items: Sequence[tuple[int, Any]], *, source: str, created: Iterable[int] = ()
) -> list[ConsentChange]:
    """Apply consent read from a source to contacts, set-wise, by the D20 rules.

    ``items`` are ``(contact_id, ConsentInput-like)``. Returns the changes that altered
    something (a repeat of the stored state returns nothing, so no event follows).
    ``created`` names contacts the caller created in its current transaction: they can
    have no consent row yet, so they are not looked up (see ``_fresh``).
    """
    if not items:
        return []
    contact_ids = {cid for cid, _ in items}
    known = contact_ids - _fresh(created)
    having = {cid for (cid,) in select_in(Consent, ["contact_id"], "contact_id", list(known))}
    if not having:
        new_rows = _create_consents(items, source, conflicts=bool(known))
        if new_rows is not None:
            return new_rows
    stored = {
        (c.contact_id, c.channel): c
        for c in (Consent.objects.filter(contact_id__in=having) if having else ())
    }
    changes: list[ConsentChange] = []
    to_create: list[_NewConsent] = []
    to_update: list[Consent] = []
    updating: set[int] = set()
    for contact_id, incoming in items:
        key = (contact_id, incoming.channel)
        row = stored.get(key)
        level = incoming.opt_in_level or ""
        if row is None:
            # A plain row, not a Consent instance: written by insert_dicts below.
            row = _NewConsent(
                contact_id=contact_id,
                channel=incoming.channel,
                state=incoming.state,
                state_source=source,
                source_state=incoming.source_state or "",
                source_opted_out=incoming.source_opted_out,
                opt_in_level=level,
                collected_from=incoming.collected_from or "",
                consent_updated_at=incoming.consent_updated_at,
            )
            stored[key] = row
            to_create.append(row)
            changes.append(_consent_change(row, None))
            continue
        if (
            row.source_state == (incoming.source_state or "")
            and row.source_opted_out == incoming.source_opted_out
            and row.opt_in_level == level
            and row.consent_updated_at == incoming.consent_updated_at
        ):
            continue  # an echo or a duplicate: nothing new
        previous = row.state
        row.source_state = incoming.source_state or ""
        row.source_opted_out = incoming.source_opted_out
        row.opt_in_level = level
        row.collected_from = incoming.collected_from or row.collected_from
        if consent_rules.resolve_incoming(
            row.state,
            row.state_source,
            row.consent_updated_at,
            incoming.state,
            incoming.consent_updated_at,
            incoming_source=source,
        ):
            row.state = incoming.state
            row.state_source = source
            row.consent_updated_at = incoming.consent_updated_at
        if row.pk and row.pk not in updating:
            updating.add(row.pk)
            to_update.append(row)
        changes.append(_consent_change(row, previous))
    with transaction.atomic():
        insert_dicts(Consent, [vars(r) for r in to_create], batch_size=500, ignore_conflicts=True)
        Consent.objects.bulk_update(
            to_update,
            [
                "state",
                "state_source",
                "source_state",
                "source_opted_out",
                "opt_in_level",
                "collected_from",
                "consent_updated_at",
            ],
            batch_size=500,
        )
    return changes


def _create_consents(
    items: Sequence[tuple[int, Any]], source: str, *, conflicts: bool = True
) -> list[ConsentChange] | None:
    """Insert the consents of contacts that have none yet, column by column.

    The rows and changes are what the general loop of ``apply_source_consents`` makes
    for new rows. Returns None (the loop decides) when a contact and channel repeat.
    ``conflicts=False`` (every contact created in this transaction) inserts without
    conflict handling: nothing can be there to conflict with.
    """
    cids = [cid for cid, _ in items]
    incoming = [consent for _, consent in items]
    channels = [c.channel for c in incoming]
    if len(set(zip(cids, channels, strict=True))) != len(items):
        return None
    states = [c.state for c in incoming]
    source_states = [c.source_state or "" for c in incoming]
    opted_out = [bool(c.source_opted_out) for c in incoming]
    levels = [c.opt_in_level or "" for c in incoming]
    collected = [c.collected_from or "" for c in incoming]
    updated_at = [c.consent_updated_at for c in incoming]
    names = [
        "contact_id",
        "channel",
        "state",
        "source_state",
        "source_opted_out",
        "opt_in_level",
        "collected_from",
        "consent_updated_at",
    ]
    columns = [cids, channels, states, source_states, opted_out, levels, collected, updated_at]
    # No savepoint inside a caller's transaction: a failed insert rolls that back whole.
    with transaction.atomic(savepoint=False):
        insert_columns(
            Consent,
            names,
            columns,
            constants={"state_source": source},
            ignore_conflicts=conflicts,
        )
    return [
        ConsentChange(cid, channel, state, None, raw, out, level, at)
        for cid, channel, state, raw, out, level, at in zip(
            cids, channels, states, source_states, opted_out, levels, updated_at, strict=True
        )
    ]


@dataclass
class _NewConsent:
    """A consent row this batch creates; its fields are Consent's attnames."""

    contact_id: int
    channel: str
    state: str
    state_source: str
    source_state: str
    source_opted_out: bool
    opt_in_level: str
    collected_from: str
    consent_updated_at: dt.datetime | None
    pk = None  # no annotation, so not a field: vars() holds the columns alone


def _consent_change(row: Consent, previous: str | None) -> ConsentChange:
    return ConsentChange(
        contact_id=row.contact_id,
        channel=row.channel,
        state=row.state,
        previous_state=previous,
        source_state=row.source_state,
        source_opted_out=row.source_opted_out,
        opt_in_level=row.opt_in_level,
        consent_updated_at=row.consent_updated_at,
    )


def set_local_consent(contact: Contact, channel: str, state: str) -> Consent:
    """Record a consent change made on our side (unsubscribe link, API, SMS keyword).

    Sends ``local_consent_changed`` after commit so an integration may push an opt-out.
    """
    if channel not in Channel.values:
        raise ValidationFailed(f"Unknown channel {channel!r}; use email or sms.")
    if state not in ConsentState.values:
        raise ValidationFailed(f"Unknown consent state {state!r}.")
    with transaction.atomic():
        row, _ = Consent.objects.select_for_update().get_or_create(contact=contact, channel=channel)
        row.state = state
        row.state_source = consent_rules.LOCAL
        row.consent_updated_at = clock.now()
        row.save()
        transaction.on_commit(
            lambda: local_consent_changed.send(
                sender=Consent, contact_id=contact.pk, channel=channel, state=state
            )
        )
    return row


def may_receive_marketing(contact: Contact, channel: str) -> bool:
    """Answer "may this contact receive marketing on this channel?" (D20)."""
    row = Consent.objects.filter(contact=contact, channel=channel).first()
    if row is None:
        return False
    return consent_rules.is_marketable(row.state, row.source_opted_out)
