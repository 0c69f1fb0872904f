"""Set-wise "insert or update unless the stored row is newer", shared by the domain apps.

Rows from outside carry ``(project, source, external_id)`` plus the source's own
``source_updated_at``; the newer version wins (DESIGN "a Shopify id plus updated_at
decides which version of a record wins"). One SELECT and at most two writes per batch.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from shoplink.core.fastwrite import insert_columns, insert_rows, select_in, update_objects


@dataclass(slots=True)
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
    derived: dict[str, Callable[[Any], Any]] | None = None,
) -> list[RowChange]:
    """Upsert ``records`` (objects with ``key``, ``fields`` and ``source_updated_at``).

    A record attribute that is ``None`` keeps the stored value only when the field is
    listed in ``keep_when_none`` on the model (``KEEP_WHEN_NONE``); otherwise None is
    written. ``derived`` adds fields computed from each record (the ingest's contact id
    resolved for an order), written and compared like the record's own fields.
    Returns one change per distinct key, in first-seen order.
    """
    derived = dict(derived or {})
    fields = [*fields, *derived]
    own = [name for name in fields if name not in derived]
    columns = [model._meta.get_field(name).attname for name in fields]
    read = operator.attrgetter(*own) if len(own) > 1 else _one(own)
    newest = _newest(records, key)
    if not newest:
        return []
    # Which keys exist, as bare tuples first: on an initial import none do, and model
    # instances are then never built.
    scope = {"project_id": project.pk, "source": source}
    present = [k for (k,) in select_in(model, [key], key, list(newest), **scope)]
    constants = {"project_id": project.pk, "source": source, **(extra or {})}
    names = [key, *columns, "source_updated_at"]
    if not present:
        # All new (an initial import): the batch goes in column by column, C-level.
        keys, news = list(newest), list(newest.values())
        own_columns = list(zip(*map(read, news), strict=True))
        computed = [list(map(compute, news)) for compute in derived.values()]
        updated_at = list(map(_SOURCE_UPDATED_AT, news))
        with transaction.atomic():
            insert_columns(
                model, names, [keys, *own_columns, *computed, updated_at], constants=constants
            )
            ids = dict(select_in(model, [key, "id"], key, keys, **scope))
        return [RowChange(pk=ids[k], external_id=k, created=True) for k in keys]
    existing = {
        getattr(row, key): row
        for row in model.objects.filter(project=project, source=source, **{f"{key}__in": present})
    }
    keep = set(getattr(model, "KEEP_WHEN_NONE", ()))

    def value_of(record, name):
        return derived[name](record) if name in derived else getattr(record, name)

    creates, updates, out = [], [], []
    update_fields: set[str] = set()
    for k, record in newest.items():
        row = existing.get(k)
        if row is None:
            computed = tuple(compute(record) for compute in derived.values())
            creates.append((k, *read(record), *computed, record.source_updated_at))
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
            value = value_of(record, name)
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
            insert_rows(model, names, creates, constants=constants)
            # Ids are not read back by executemany: one SELECT maps keys to ids.
            ids = dict(select_in(model, [key, "id"], key, [c[0] for c in creates], **scope))
        if updates:
            update_objects(model, updates, sorted(update_fields))
    for change in out:
        if change.created:
            change.pk = ids[change.external_id]
    return out


_SOURCE_UPDATED_AT = operator.attrgetter("source_updated_at")


def _newest(records: Sequence[Any], key: str) -> dict[str, Any]:
    """The newest record per key (by ``source_updated_at``), in first-seen key order."""
    keys = list(map(str, map(operator.attrgetter(key), records)))
    if len(set(keys)) == len(keys):  # the usual batch: no key twice, C-level throughout
        return dict(zip(keys, records, strict=True))
    newest: dict[str, Any] = {}
    for k, record in zip(keys, records, strict=True):
        held = newest.get(k)
        if held is None or _is_newer(record.source_updated_at, held.source_updated_at):
            newest[k] = record
    return newest


def _is_newer(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    if a is None:
        return False
    return b is None or a > b


def _one(fields: Sequence[str]):
    """``attrgetter`` of one name returns a bare value; keep the tuple shape."""
    (name,) = fields
    return lambda record: (getattr(record, name),)
