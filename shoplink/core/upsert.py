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
from functools import cache
from typing import Any

from django.db import models, transaction

from shoplink.core.fastwrite import (
    insert_columns,
    select_in,
    sqlite_inserted_ids,
    update_objects,
)


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

    ``None`` means "the source sent nothing". In a nullable column it is written as
    NULL. In a NOT NULL column with a default it is written as that default (the
    column's empty value), except in the model's ``KEEP_WHEN_NONE`` columns of rows
    that already exist: there it means "unknown, keep what is stored" (a new row has
    nothing to keep, so it gets the default). ``derived`` adds fields computed from
    each record (the ingest's contact id resolved for an order), written and compared
    like the record's own fields. Returns one change per distinct key, in first-seen
    order.
    """
    derived = dict(derived or {})
    fields = [*fields, *derived]
    own = [name for name in fields if name not in derived]
    columns = [model._meta.get_field(name).attname for name in fields]
    newest = _newest(records, key)
    if not newest:
        return []
    # Which keys exist, as bare tuples first: on an initial import none do, and model
    # instances are then never built.
    scope = {"project_id": project.pk, "source": source}
    present = [k for (k,) in select_in(model, [key], key, list(newest), **scope)]
    constants = {"project_id": project.pk, "source": source, **(extra or {})}
    names = [key, *columns, "source_updated_at"]
    empty = _empty_values(model, tuple(fields))

    def insert(keys: list[str], news: list[Any]) -> dict[str, int]:
        # Column by column, C-level: attrgetter over the batch, None -> empty per column.
        own_columns = zip(*map(_reader(own), news), strict=True)
        values = [*own_columns, *([*map(compute, news)] for compute in derived.values())]
        for i, name in enumerate(fields):
            if name in empty and None in values[i]:
                values[i] = _fill_none(values[i], empty[name]())
        updated_at = list(map(_SOURCE_UPDATED_AT, news))
        insert_columns(model, names, [keys, *values, updated_at], constants=constants)
        # executemany reads no ids back: SQLite's are implied by the insert order (checked
        # there); otherwise one SELECT maps keys to ids.
        ids = sqlite_inserted_ids(model, key, keys)
        if ids is None:
            ids = dict(select_in(model, [key, "id"], key, keys, **scope))
        return ids

    if not present:
        # All new (an initial import): no model instances are built at all.
        keys = list(newest)
        with transaction.atomic():
            ids = insert(keys, list(newest.values()))
        return [RowChange(pk=ids[k], external_id=k, created=True) for k in keys]
    existing = {
        getattr(row, key): row
        for row in model.objects.filter(project=project, source=source, **{f"{key}__in": present})
    }
    keep = set(getattr(model, "KEEP_WHEN_NONE", ()))

    def value_of(record, name):
        value = derived[name](record) if name in derived else getattr(record, name)
        if value is None and name in empty and name not in keep:
            return empty[name]()
        return value

    creates: dict[str, Any] = {}
    updates, out = [], []
    update_fields: set[str] = set()
    for k, record in newest.items():
        row = existing.get(k)
        if row is None:
            creates[k] = record
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
            ids = insert(list(creates), list(creates.values()))
        if updates:
            update_objects(model, updates, sorted(update_fields))
    for change in out:
        if change.created:
            change.pk = ids[change.external_id]
    return out


_SOURCE_UPDATED_AT = operator.attrgetter("source_updated_at")


@cache
def _empty_values(model: type[models.Model], fields: tuple[str, ...]) -> dict[str, Callable]:
    """The NOT NULL fields of ``fields`` that have a default: name -> the default's maker."""
    out = {}
    for name in fields:
        field = model._meta.get_field(name)
        if not field.null and field.has_default():
            out[name] = field.get_default
    return out


def _fill_none(values: Sequence[Any], empty: Any) -> list[Any]:
    # One empty value for the column: insert_columns converts it per cell (JSON is
    # serialised), so the shared object is never stored or mutated.
    return [empty if value is None else value for value in values]


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


def _reader(names: Sequence[str]) -> Callable[[Any], tuple]:
    """``attrgetter`` of the names, always returning a tuple (one name returns a bare value)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    (name,) = names
    return lambda record: (getattr(record, name),)
