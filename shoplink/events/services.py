"""Record events idempotently: a second emission with the same key is dropped."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from shoplink.events.models import Event
from shoplink.events.signals import events_recorded

log = logging.getLogger(__name__)


@dataclass
class EventInput:
    name: str
    idempotency_key: str
    occurred_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)
    contact_id: int | None = None
    contact_external_id: str | None = None
    source: str = ""
    catch_up: bool = False


def record_events(project, events: Sequence[EventInput]) -> list[Event]:
    """Store the events whose keys are new; return the rows that were written."""
    if not events:
        return []
    unique: dict[str, EventInput] = {}
    for e in events:
        unique.setdefault(e.idempotency_key, e)
    seen = set(
        Event.objects.filter(project=project, idempotency_key__in=list(unique)).values_list(
            "idempotency_key", flat=True
        )
    )
    rows = [
        Event(
            project=project,
            name=e.name,
            idempotency_key=e.idempotency_key,
            occurred_at=e.occurred_at,
            data=e.data,
            contact_id=e.contact_id,
            contact_external_id=e.contact_external_id,
            source=e.source,
            catch_up=e.catch_up,
        )
        for key, e in unique.items()
        if key not in seen
    ]
    if not rows:
        return []
    try:
        with transaction.atomic():
            Event.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent writer stored some of the same keys between our read and write;
        # fall back to one insert each so only the truly new ones are kept.
        written = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                written.append(row)
            except IntegrityError:
                continue  # already recorded by the other writer: that is the point of the key
        if written:
            _announce(project)
        return written
    _announce(project)
    return rows


def _announce(project) -> None:
    # After commit: a listener (the push to endpoints) must never see rows that may
    # still roll back, and must never run inside the caller's transaction. Robust: a
    # failing listener is logged and never fails the recording (its sweeper catches up).
    def send() -> None:
        for receiver, result in events_recorded.send_robust(sender=Event, project_id=project.pk):
            if isinstance(result, Exception):
                log.error("events_recorded listener %s failed", receiver, exc_info=result)

    transaction.on_commit(send)


def erase_source_events(project, source: str) -> int:
    """Delete every event that came from ``source``; return how many."""
    return Event.objects.filter(project=project, source=source).delete()[0]


def erase_customer_events(project, source: str, *, contact, customer_id: str | None) -> int:
    """Delete ``source``'s events about one person (by contact, or by the source's id)."""
    deleted = 0
    if contact is not None:
        deleted += Event.objects.filter(contact=contact, source=source).delete()[0]
    if customer_id:
        # Events whose contact was never linked still name the customer by external id.
        deleted += Event.objects.filter(
            project=project, source=source, contact_external_id=customer_id
        ).delete()[0]
    return deleted


def contacts_with_events(project):
    """A subquery of the ids of contacts that have events in ``project``."""
    return Event.objects.filter(project=project).values("contact_id")
