"""Data to Shopify, part two: engagement metafields on Shopify customers (D27).

Owns the five ``$app:engagement`` metafields: how their values are derived from the
events a project records through the API (``email_opened``, ``email_clicked``,
``sms_clicked``, ``message_sent``) and the contact's ``shopify_rfm_segment``, which
contacts changed since the last write (a hash per contact in ``WritebackState``), and
the batched ``metafieldsSet`` writes (at most 25 metafields a call, PLATFORM §5.2).

``metafieldsSet`` is atomic: one rejected metafield fails the whole call. To keep
one bad record from blocking the batch (D28), the rejected customers (found by
``elementIndex``) are recorded in Activity and the call is repeated without them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Max

from shoplink.core import clock
from shoplink.events.models import Event
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import ShopifyAccessDenied
from shoplink.integrations.shopify.connection import access, status
from shoplink.integrations.shopify.models import ShopifyStore, WritebackState
from shoplink.integrations.shopify.writeback.rules import (
    WRITTEN,
    count_customers,
    customer_gid,
    handle_access_denied,
    may_write,
    record_rejection,
    store_contacts,
)

NAMESPACE = "$app:engagement"
# date_time key -> the event whose latest occurrence it holds
DATE_KEYS = {
    "last_email_open_at": "email_opened",
    "last_email_click_at": "email_clicked",
    "last_sms_click_at": "sms_clicked",
}
TYPES = {
    "last_email_open_at": "date_time",
    "last_email_click_at": "date_time",
    "last_sms_click_at": "date_time",
    "rfm_segment": "single_line_text_field",
    "total_messages_sent": "number_integer",
}
ENGAGEMENT_EVENTS = (*DATE_KEYS.values(), "message_sent")
BATCH = queries.METAFIELDS_SET_MAX  # 25 metafields per call
CHUNK = 500  # contacts read per query


def _date_time(moment) -> str:
    # The ``date_time`` metafield type is "ISO 8601 without a presumed time zone"; we
    # always write UTC and say so in docs/data-to-shopify.md.
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def engagement_values(contact, stats: dict[str, dict]) -> dict[str, str]:
    """Return the metafield values for one contact (only keys that have a value).

    ``stats`` maps event name -> ``{"last": datetime, "count": int}`` for this contact.
    A contact with no engagement and no segment gets ``{}`` and is never written.
    """
    values: dict[str, str] = {}
    for key, event in DATE_KEYS.items():
        last = (stats.get(event) or {}).get("last")
        if last is not None:
            values[key] = _date_time(last)
    segment = (contact.attributes or {}).get("shopify_rfm_segment")
    if segment:
        values["rfm_segment"] = str(segment)[:255]
    sent = (stats.get("message_sent") or {}).get("count", 0)
    if values or sent:
        values["total_messages_sent"] = str(int(sent))
    return values


def values_hash(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def metafield_inputs(contact, values: dict[str, str]) -> list[dict]:
    """Return the ``MetafieldsSetInput`` list for one contact, in key order."""
    owner = customer_gid(contact)
    return [
        {"ownerId": owner, "namespace": NAMESPACE, "key": key, "type": TYPES[key], "value": v}
        for key, v in sorted(values.items())
    ]


@dataclass(eq=False)  # identity: used as a dict key while mapping errors
class Pending:
    contact: object
    values: dict[str, str]
    digest: str


def pending_engagement(store: ShopifyStore) -> Iterator[Pending]:
    """Yield contacts of ``store`` whose engagement values differ from the last write."""
    contacts = store_contacts(store).order_by("id")
    last_id = 0
    while True:
        chunk = list(contacts.filter(id__gt=last_id)[:CHUNK])
        if not chunk:
            return
        last_id = chunk[-1].pk
        ids = [c.pk for c in chunk]
        stats = _event_stats(store, ids)
        written = dict(
            WritebackState.objects.filter(store=store, contact_id__in=ids).values_list(
                "contact_id", "engagement_hash"
            )
        )
        for contact in chunk:
            values = engagement_values(contact, stats.get(contact.pk, {}))
            if not values:
                continue
            digest = values_hash(values)
            if written.get(contact.pk) != digest:
                yield Pending(contact, values, digest)


def _event_stats(store: ShopifyStore, contact_ids: list[int]) -> dict[int, dict]:
    rows = (
        Event.objects.filter(
            project_id=store.project_id, contact_id__in=contact_ids, name__in=ENGAGEMENT_EVENTS
        )
        .values("contact_id", "name")
        .annotate(last=Max("occurred_at"), count=Count("id"))
    )
    stats: dict[int, dict] = {}
    for row in rows:
        stats.setdefault(row["contact_id"], {})[row["name"]] = row
    return stats


def batches(items: list[Pending]) -> Iterator[list[Pending]]:
    """Group whole contacts into calls of at most 25 metafields (PLATFORM §5.2)."""
    batch: list[Pending] = []
    size = 0
    for item in items:
        n = len(item.values)
        if batch and size + n > BATCH:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += n
    if batch:
        yield batch


@dataclass
class EngagementResult:
    written: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    calls: int = 0


def write_engagement(store: ShopifyStore, limit: int = 5000) -> EngagementResult:
    """Write changed engagement metafields for ``store`` (the 15-minute pass, D27)."""
    result = EngagementResult()
    if not store.push_engagement or not may_write(store):
        return result

    api = access.client_for(store)
    items = []
    for item in pending_engagement(store):
        items.append(item)
        if len(items) >= limit:
            break
    try:
        for batch in batches(items):
            _write_batch(store, api, batch, result)
    except ShopifyAccessDenied as e:
        handle_access_denied(store, e)
    if result.written:
        status.log_activity(
            store,
            WRITTEN,
            f"Wrote engagement metafields for {count_customers(len(result.written))}",
            contacts=len(result.written),
            calls=result.calls,
        )
    return result


def _write_batch(store, api, batch: list[Pending], result: EngagementResult) -> None:
    """Write one batch; drop customers Shopify rejects and write the rest (D28)."""
    while batch:
        inputs, owners = [], []
        for item in batch:
            for metafield in metafield_inputs(item.contact, item.values):
                inputs.append(metafield)
                owners.append(item)
        data = api.graphql(queries.METAFIELDS_SET, queries.metafields_set_variables(inputs))
        result.calls += 1
        errors = ((data or {}).get("metafieldsSet") or {}).get("userErrors") or []
        if not errors:
            _remember(store, batch)
            result.written.extend(item.contact.pk for item in batch)
            return
        rejected = _rejected(errors, owners, batch)
        for item, item_errors in rejected.items():
            record_rejection(store, item.contact, "metafieldsSet", item_errors)
            result.rejected.append(item.contact.pk)
        # The same values would be rejected again: try once more only when they change,
        # instead of adding the same Activity line every 15 minutes.
        _remember(store, list(rejected))
        batch = [item for item in batch if item not in rejected]


def _rejected(errors: list[dict], owners: list[Pending], batch: list[Pending]) -> dict:
    """Map each error to the customer it names (``elementIndex``).

    An error without a usable index cannot be pinned on one customer; the whole
    batch is then recorded as rejected rather than retried forever.
    """
    found: dict = {}
    for error in errors:
        index = error.get("elementIndex")
        if not isinstance(index, int) or not 0 <= index < len(owners):
            return {item: errors for item in batch}
        found.setdefault(owners[index], []).append(error)
    return found


def _remember(store: ShopifyStore, batch: list[Pending]) -> None:
    now = clock.now()
    ids = [item.contact.pk for item in batch]
    existing = {
        s.contact_id: s for s in WritebackState.objects.filter(store=store, contact_id__in=ids)
    }
    new, changed = [], []
    for item in batch:
        state = existing.get(item.contact.pk)
        if state is None:
            state = WritebackState(store=store, contact_id=item.contact.pk)
            new.append(state)
        else:
            changed.append(state)
        state.engagement_hash = item.digest
        state.engagement_written_at = now
    WritebackState.objects.bulk_create(new, ignore_conflicts=True)
    WritebackState.objects.bulk_update(changed, ["engagement_hash", "engagement_written_at"])


def preview_engagement(store: ShopifyStore, limit: int = 25) -> tuple[list[Pending], int, int]:
    """Return up to ``limit`` pending writes, their total and the calls they need."""
    if not store.push_engagement:
        return [], 0, 0
    shown, total, calls, room = [], 0, 0, 0
    for item in pending_engagement(store):
        total += 1
        n = len(item.values)
        if n > room:  # the same packing as :func:`batches`
            calls += 1
            room = BATCH
        room -= n
        if len(shown) < limit:
            shown.append(item)
    return shown, total, calls
