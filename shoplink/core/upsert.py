"""Set-wise "insert or update unless the stored row is newer", shared by the domain apps.

Rows from outside carry ``(project, source, external_id)`` plus the source's own
``source_updated_at``; the newer version wins (DESIGN "a Shopify id plus updated_at
decides which version of a record wins"). One SELECT and at most two writes per batch.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from shoplink.core.fastwrite import insert_rows, select_in, update_objects


@dataclass
class RowChange:
    pk: int
    external_id: str
    created: bool = False
    changed: list[str] = field(default_factory=list)
    stale: bool = False
    previous: dict[str, Any] = field(default_factory=dict)


def upsert_rows(
    model: type[models.Model],
    project,
    source: str,
    records: Sequence[Any],
    fields: Sequence[str],
    *,
    key: str = "external_id",
    extra: dict[str, Any] | None = None,
) -> list[RowChange]:
    """Upsert ``records`` (objects with ``key``, ``fields`` and ``source_updated_at``).

    A record attribute that is ``None`` keeps the stored value only when the field is
    listed in ``keep_when_none`` on the model (``KEEP_WHEN_NONE``); otherwise None is
    written. Returns one change per distinct key, in first-seen order.
    """
    keep = set(getattr(model, "KEEP_WHEN_NONE", ()))
    attnames = {name: model._meta.get_field(name).attname for name in fields}
    columns = [attnames[name] for name in fields]
    read = operator.attrgetter(*fields) if len(fields) > 1 else _one(fields)
    newest: dict[str, Any] = {}
    for record in records:
        k = str(getattr(record, key))
        held = newest.get(k)
        if held is None or _is_newer(record.source_updated_at, held.source_updated_at):
            newest[k] = record
    # Which keys exist, as bare tuples first: on an initial import none do, and model
    # instances are then never built.
    scope = {"project_id": project.pk, "source": source}
    present = [k for (k,) in select_in(model, [key], key, list(newest), **scope)]
    existing = {
        getattr(row, key): row
        for row in (
            model.objects.filter(project=project, source=source, **{f"{key}__in": present})
            if present
            else ()
        )
    }
    creates, updates, out = [], [], []
    update_fields: set[str] = set()
    for k, record in newest.items():
        row = existing.get(k)
        if row is None:
            # New rows are plain tuples (no model instances, no dicts: bench/import.py);
            # attrgetter reads the fields in one C call.
            creates.append((k, *read(record), record.source_updated_at))
            out.append(RowChange(pk=0, external_id=k, created=True))
            continue
        if (
            row.source_updated_at
            and record.source_updated_at
            and (record.source_updated_at < row.source_updated_at)
        ):
            out.append(RowChange(pk=row.pk, external_id=k, stale=True))
            continue
        changed, previous = [], {}
        for name in fields:
            value = getattr(record, name)
            if value is None and name in keep:
                continue
            if getattr(row, name) != value:
                previous[name] = getattr(row, name)
                setattr(row, name, value)
                changed.append(name)
        if changed or row.source_updated_at != record.source_updated_at:
            row.source_updated_at = record.source_updated_at
            update_fields.update(changed)
            update_fields.add("source_updated_at")
            updates.append(row)
        out.append(RowChange(pk=row.pk, external_id=k, changed=changed, previous=previous))
    ids: dict[str, int] = {}
    with transaction.atomic():
        if creates:
            insert_rows(
                model,
                [key, *columns, "source_updated_at"],
                creates,
                constants={"project_id": project.pk, "source": source, **(extra or {})},
            )
            # Ids are not read back by executemany: one SELECT maps keys to ids.
            ids = dict(select_in(model, [key, "id"], key, [c[0] for c in creates], **scope))
        if updates:
            update_objects(model, updates, sorted(update_fields))
    for change in out:
        if change.created:
            change.pk = ids[change.external_id]
    return out


def _is_newer(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    if a is None:
        return False
    return b is None or a > b


def _one(fields: Sequence[str]):
    """``attrgetter`` of one name returns a bare value; keep the tuple shape."""
    (name,) = fields
    return lambda record: (getattr(record, name),)
