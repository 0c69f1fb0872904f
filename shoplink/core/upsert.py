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

from django.db import connection, models, transaction

from shoplink.core.fastwrite import (
    insert_columns,
    pg_constant,
    pg_constants,
    pg_stage,
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
    if connection.vendor == "postgresql":
        return _upsert_postgresql(model, project, source, newest, fields, derived, key, extra)
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


def _upsert_postgresql(model, project, source, newest, fields, derived, key, extra):
    """``upsert_rows`` on PostgreSQL: COPY the batch, insert the new keys, merge the rest.

    The batch is COPYed into a staging table (``pg_stage``). The new keys are inserted
    first (``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` key and id): on an
    initial import that is the whole batch. Only when some keys exist does one merge
    statement run: ``INSERT ... SELECT ... ON CONFLICT (project, source, key) DO
    UPDATE ... WHERE`` the stored row is not newer and something differs. It reads the
    stored version of each key in the same statement (its CTE sees the rows as they
    were before the INSERT), so ``KEEP_WHEN_NONE`` columns keep the stored value for a
    None, and the changed fields and their previous values come back with the ids.
    Three or four round trips per batch whatever its size, none per row. The merge
    tells created rows apart by ``xmax = 0`` (a freshly inserted row version), so a key
    another transaction inserts concurrently is updated (or found stale), never
    duplicated.
    """
    own = [name for name in fields if name not in derived]
    meta = model._meta
    attnames = [meta.get_field(name).attname for name in fields]
    keep = set(getattr(model, "KEEP_WHEN_NONE", ())) & set(fields)
    empty = _empty_values(model, tuple(fields))
    keys, news = list(newest), list(newest.values())
    own_columns = zip(*map(_reader(own), news), strict=True)
    values = [*own_columns, *([*map(compute, news)] for compute in derived.values())]
    for i, name in enumerate(fields):
        # None in a NOT NULL column is its empty value, except in KEEP_WHEN_NONE
        # columns: staged as NULL and resolved against the stored row by the merge.
        if name in empty and name not in keep and None in values[i]:
            values[i] = _fill_none(values[i], empty[name]())
    key_attname = meta.get_field(key).attname
    written = [*attnames, "source_updated_at"]
    constants = {"project_id": project.pk, "source": source, **(extra or {})}
    fixed, fixed_sql, fixed_params = pg_constants(model, {key_attname, *written}, constants)
    auto_now = [
        f.attname
        for f in meta.concrete_fields
        if isinstance(f, models.DateTimeField) and f.auto_now and f.attname not in written
    ]
    qn = connection.ops.quote_name
    col = {f.attname: qn(f.column) for f in meta.concrete_fields}
    table = qn(meta.db_table)
    incoming, keep_params, keep_defaults = [], [], {}
    for name, attname in zip(fields, attnames, strict=True):
        c = col[attname]
        if name in keep:
            # New rows get the column's empty value (or NULL), stored rows keep theirs.
            default = empty[name]() if name in empty else None
            placeholder, param = pg_constant(model, attname, default)
            incoming.append(f"COALESCE(s.{c}, o.{c}, {placeholder})")
            keep_defaults[name] = placeholder
            keep_params.append(param)
        else:
            incoming.append(f"s.{c}")
    incoming.append(f"s.{col['source_updated_at']}")
    n = len(written)
    at = n - 1  # source_updated_at's position in the old/new columns
    sua = col["source_updated_at"]
    sets = ", ".join(f"{col[a]} = EXCLUDED.{col[a]}" for a in [*written, *auto_now])
    sql = f"""
        WITH src AS MATERIALIZED (
            SELECT s.{col[key_attname]} AS k, o.id AS o_id,
                {", ".join(f"o.{col[a]} AS o_{i}" for i, a in enumerate(written))},
                {", ".join(f"{expr} AS n_{i}" for i, expr in enumerate(incoming))}
            FROM {{stage}} s
            LEFT JOIN {table} o ON o.{col["project_id"]} = %s AND o.{col["source"]} = %s
                AND o.{col[key_attname]} = s.{col[key_attname]}
        ), up AS (
            INSERT INTO {table} ({", ".join(col[a] for a in [key_attname, *written, *fixed])})
            SELECT k, {", ".join(f"n_{i}" for i in range(n))}{"".join(", " + p for p in fixed_sql)}
            FROM src
            ON CONFLICT ({", ".join(col[a] for a in ("project_id", "source", key_attname))})
            DO UPDATE SET {sets}
            WHERE NOT ({table}.{sua} IS NOT NULL AND EXCLUDED.{sua} IS NOT NULL
                       AND EXCLUDED.{sua} < {table}.{sua})
              AND ({", ".join(f"{table}.{col[a]}" for a in written)})
                  IS DISTINCT FROM ({", ".join(f"EXCLUDED.{col[a]}" for a in written)})
            RETURNING id, {col[key_attname]} AS k, (xmax = 0) AS inserted
        )
        SELECT src.k, COALESCE(up.id, src.o_id), COALESCE(up.inserted, FALSE),
            (src.o_{at} IS NOT NULL AND src.n_{at} IS NOT NULL AND src.n_{at} < src.o_{at}),
            {", ".join(f"(src.o_{i} IS DISTINCT FROM src.n_{i})" for i in range(len(fields)))},
            {", ".join(f"src.o_{i}" for i in range(len(fields)))}
        FROM src LEFT JOIN up ON up.k = src.k
    """
    # New keys first, without reading stored rows: on an initial import this is the
    # whole batch, and the merge above (a join to the stored rows, a materialised CTE)
    # is skipped. Keys that exist are left to it.
    new_values = [
        f"COALESCE(s.{col[a]}, {keep_defaults[name]})" if name in keep else f"s.{col[a]}"
        for name, a in zip(fields, attnames, strict=True)
    ]
    insert_sql = f"""
        INSERT INTO {table} ({", ".join(col[a] for a in [key_attname, *written, *fixed])})
        SELECT s.{col[key_attname]}, {", ".join(new_values)}, s.{sua}
            {"".join(", " + p for p in fixed_sql)}
        FROM {{stage}} s
        ON CONFLICT ({", ".join(col[a] for a in ("project_id", "source", key_attname))})
        DO NOTHING
        RETURNING {col[key_attname]}, id
    """
    # No savepoint inside a caller's transaction (two round trips fewer per batch): a
    # failed write leaves that transaction to roll back whole, which is what callers do.
    with transaction.atomic(savepoint=False):
        updated_at = list(map(_SOURCE_UPDATED_AT, news))
        stage = pg_stage(model, [key_attname, *written], [keys, *values, updated_at])
        with connection.cursor() as cursor:
            cursor.execute(insert_sql.replace("{stage}", stage), [*keep_params, *fixed_params])
            inserted = dict(cursor.fetchall())
            rows = []
            if len(inserted) < len(keys):
                # The rows just inserted are stored now and equal to the staged ones:
                # the merge leaves them alone and they are reported as created below.
                params = [*keep_params, project.pk, source, *fixed_params]
                cursor.execute(sql.replace("{stage}", stage), params)
                rows = cursor.fetchall()
    by_key = {k: RowChange(pk=pk, external_id=k, created=True) for k, pk in inserted.items()}
    width = len(fields)
    loaders = [_loader(meta.get_field(name)) for name in fields]
    for k, pk, created, stale, *rest in rows:
        if k in inserted:
            continue
        change = RowChange(pk=pk, external_id=k, created=created, stale=stale)
        if not created and not stale:
            for i, name in enumerate(fields):
                if rest[i]:
                    change.changed.append(name)
                    change.previous[name] = loaders[i](rest[width + i])
        by_key[k] = change
    return [by_key[k] for k in keys]


def _loader(field: models.Field) -> Callable[[Any], Any]:
    """The Python value of a raw column value, as the ORM would load it."""
    if hasattr(field, "from_db_value"):
        return lambda value: field.from_db_value(value, None, connection)
    return lambda value: value


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
