"""Set-wise INSERT and UPDATE through ``executemany``, for the hot import paths.

Django's ``bulk_create``/``bulk_update`` compile SQL per value (and ``bulk_update``
builds one ``CASE WHEN`` per field and row), which dominated bulk imports
(bench/import.py: ~70% of ingest time). These functions build one statement per batch
and convert values with each field's own ``get_db_prep_save`` (JSON through orjson),
so the rows written are exactly what the ORM would write. They send no signals and run
no ``pre_save`` hooks: callers set ``auto_now`` timestamps themselves.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations

# Field types whose Python value is already what both SQLite and PostgreSQL drivers take.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
)


def _converter(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField) and field.encoder is None:

        def to_json(value):
            if value is None and field.null:
                return None
            return orjson.dumps(value).decode()

        return to_json
    if isinstance(field, _PLAIN) and not isinstance(field, models.DateTimeField):
        return _identity
    if isinstance(field, models.DateTimeField) and connection.vendor == "sqlite":
        return _sqlite_datetime
    if isinstance(field, models.DecimalField) and _decimal_passthrough():

        def to_decimal(value):
            # DecimalField.to_python returns a finite Decimal unchanged and the backend's
            # adapt_decimalfield_value is the identity: skip the generic chain per cell.
            if type(value) is Decimal and value.is_finite():
                return value
            return field.get_db_prep_save(value, connection)

        return to_decimal
    return lambda value: field.get_db_prep_save(value, connection)


def _decimal_passthrough() -> bool:
    adapt = type(connection.ops).adapt_decimalfield_value
    return adapt is BaseDatabaseOperations.adapt_decimalfield_value


def _identity(value):
    return value


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime: naive UTC text."""
    if value is None:
        return None
    if value.tzinfo is dt.UTC:  # what mapping produces: drop the "+00:00" suffix
        return value.isoformat(" ")[:-6]
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _columns(model: type[models.Model], names: Sequence[str]):
    fields = [model._meta.get_field(name) for name in names]
    return fields, [f.column for f in fields], [_converter(f) for f in fields]


def _auto_now(model: type[models.Model], objs: Sequence[models.Model], *, adding: bool) -> None:
    for field in model._meta.concrete_fields:
        if isinstance(field, models.DateTimeField) and (
            field.auto_now or (adding and field.auto_now_add)
        ):
            for obj in objs:
                field.pre_save(obj, adding)


def insert_objects(
    model: type[models.Model], objs: Sequence[models.Model], batch_size: int = 500
) -> None:
    """INSERT ``objs`` (ids are assigned by the database and not read back)."""
    if not objs:
        return
    _auto_now(model, objs, adding=True)
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    fields, columns, convert = _columns(model, names)
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            cursor.executemany(
                sql,
                [
                    [conv(getattr(obj, name)) for name, conv in zip(attnames, convert, strict=True)]
                    for obj in batch
                ],
            )


def update_objects(
    model: type[models.Model],
    objs: Sequence[models.Model],
    names: Sequence[str],
    batch_size: int = 500,
) -> None:
    """UPDATE the ``names`` columns of ``objs`` by primary key (``auto_now`` fields too)."""
    if not objs or not names:
        return
    _auto_now(model, objs, adding=False)
    auto = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateTimeField) and f.auto_now
    ]
    attnames = list(dict.fromkeys([model._meta.get_field(n).attname for n in names] + auto))
    fields, columns, convert = _columns(model, attnames)
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(model._meta.db_table),
        ", ".join(f"{qn(c)} = %s" for c in columns),
        qn(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            cursor.executemany(
                sql,
                [
                    [conv(getattr(obj, f.attname)) for f, conv in zip(fields, convert, strict=True)]
                    + [obj.pk]
                    for obj in batch
                ],
            )


def insert_dicts(
    model: type[models.Model],
    rows: Sequence[dict],
    batch_size: int = 500,
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT plain dicts of ``attname -> value``; absent fields take their defaults.

    Cheaper than ``insert_objects`` for large new batches: no model instances are built.
    ``ignore_conflicts`` skips rows that hit a unique constraint, like ``bulk_create``'s.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = dt.datetime.now(dt.UTC)
    defaults = {}
    for f in fields:
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            defaults[f.attname] = now
        elif f.has_default() or not f.null:
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None
    attnames = [f.attname for f in fields]
    convert = [_converter(f) for f in fields]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if ignore_conflicts:
        # Both backends we support (SQLite >= 3.24, PostgreSQL) accept this spelling.
        sql += " ON CONFLICT DO NOTHING"
    if len(attnames) > 1:
        pick = operator.itemgetter(*attnames)
    else:  # itemgetter of one name returns a bare value, not a tuple
        (only,) = attnames
        pick = lambda row: (row[only],)  # noqa: E731
    # Only columns whose value needs converting pay a call per cell.
    converted = [(i, conv) for i, conv in enumerate(convert) if conv is not _identity]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            params = []
            for row in rows[start : start + batch_size]:
                values = list(pick({**defaults, **row}))  # itemgetter: one C call per row
                for i, conv in converted:
                    values[i] = conv(values[i])
                params.append(values)
            cursor.executemany(sql, params)


def update_dicts(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[tuple[int, dict]],
    batch_size: int = 500,
    *,
    auto_now: bool = True,
) -> None:
    """UPDATE the ``names`` columns of ``(pk, {attname: value})`` rows; ``auto_now`` too.

    The dict counterpart of ``update_objects``: callers that read ``values()`` need not
    build model instances (a full-store rebuild would otherwise hold every row at once).
    ``auto_now=False`` leaves ``auto_now`` columns alone, as ``bulk_update`` does.
    """
    if not rows or not names:
        return
    now = dt.datetime.now(dt.UTC)
    auto = [
        f.attname
        for f in model._meta.concrete_fields
        if auto_now and isinstance(f, models.DateTimeField) and f.auto_now
    ]
    attnames = list(dict.fromkeys([model._meta.get_field(n).attname for n in names] + auto))
    _, columns, convert = _columns(model, attnames)
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(model._meta.db_table),
        ", ".join(f"{qn(c)} = %s" for c in columns),
        qn(model._meta.pk.column),
    )
    pairs = list(zip(attnames, convert, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.executemany(
                sql,
                [
                    [conv(now if name in auto else values[name]) for name, conv in pairs] + [pk]
                    for pk, values in batch
                ],
            )


def select_in(
    model: type[models.Model],
    columns: Sequence[str],
    key: str,
    keys: Sequence[Any],
    **equal: Any,
) -> list[tuple]:
    """``SELECT columns WHERE key IN keys AND name = value ...`` as raw tuples.

    A ``None`` value means ``IS NULL``.
    For ids and text columns only (no ``from_db_value`` conversion is applied): the
    ORM's ``__in`` lookup prepares every parameter through the field, a measurable
    cost at a few SELECTs of 1,000 keys per import batch. Chunked below SQLite's
    variable limit.
    """
    if not keys:
        return []
    qn = connection.ops.quote_name
    column = {f.attname: f.column for f in model._meta.concrete_fields}
    where = " AND ".join(
        f"{qn(column[name])} IS NULL" if value is None else f"{qn(column[name])} = %s"
        for name, value in equal.items()
    )
    head = "SELECT {} FROM {} WHERE {}{}".format(
        ", ".join(qn(column[c]) for c in columns),
        qn(model._meta.db_table),
        f"{where} AND " if where else "",
        qn(column[key]),
    )
    fixed = [value for value in equal.values() if value is not None]
    keys = list(keys)
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start : start + _IN_CHUNK]
            cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", fixed + chunk)
            out.extend(cursor.fetchall())
    return out


_IN_CHUNK = 5000
