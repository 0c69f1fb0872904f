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
import zlib
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
    batch_size: int = 1000,
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT plain dicts of ``attname -> value``; absent fields take their defaults.

    Cheaper than ``insert_objects`` for large new batches: no model instances are built.
    ``ignore_conflicts`` skips rows that hit a unique constraint, like ``bulk_create``'s.
    """
    if not rows:
        return
    keys = rows[0].keys()
    if all(row.keys() == keys for row in rows):  # the usual case: one shape per batch
        names = list(keys)
        pick = _picker(names)
        insert_rows(
            model, names, list(map(pick, rows)), batch_size, ignore_conflicts=ignore_conflicts
        )
        return
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    defaults = _defaults(model, set())
    pick = _picker(names)
    full = [pick({**defaults, **row}) for row in rows]
    insert_rows(model, names, full, batch_size, ignore_conflicts=ignore_conflicts)


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    batch_size: int = 1000,
    *,
    constants: dict[str, Any] | None = None,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT tuples of the ``names`` attnames; ``constants`` and defaults fill the rest."""
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    insert_columns(
        model, names, columns, batch_size, constants=constants, ignore_conflicts=ignore_conflicts
    )


def insert_columns(
    model: type[models.Model],
    names: Sequence[str],
    columns: Sequence[Sequence[Any]],
    batch_size: int = 1000,
    *,
    constants: dict[str, Any] | None = None,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT rows given column by column: ``columns[i]`` holds the values of ``names[i]``.

    The cheapest way in for an import batch: the caller builds each column with C-level
    ``map``/``attrgetter`` calls, the columns every row shares (``constants``, the
    defaults, the ``auto_now`` timestamp) are converted once per batch, and the values
    are converted column by column (``_convert_column``), not cell by cell.
    """
    if not columns or not columns[0]:
        return
    if connection.vendor == "postgresql":
        _pg_insert_columns(model, names, columns, constants or {}, ignore_conflicts)
        return
    constants = dict(constants or {})
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fixed = {**_defaults(model, set(names) | set(constants)), **constants}
    fixed_values = [_converter(fields[name])(value) for name, value in fixed.items()]
    sql_names = [*names, *fixed]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(fields[name].column) for name in sql_names),
        ", ".join(["%s"] * len(sql_names)),
    )
    if ignore_conflicts:
        # Both backends we support (SQLite >= 3.24, PostgreSQL) accept this spelling.
        sql += " ON CONFLICT DO NOTHING"
    convert = [
        (i, fields[name])
        for i, name in enumerate(names)
        if _converter(fields[name]) is not _identity
    ]
    total = len(columns[0])
    with connection.cursor() as cursor:
        for start in range(0, total, batch_size):
            if total <= batch_size:  # the usual import batch: no copy of every column
                cols = list(columns)
            else:
                cols = [column[start : start + batch_size] for column in columns]
            n = len(cols[0])
            for i, field in convert:
                cols[i] = _convert_column(field, cols[i])
            cols.extend([(value,) * n for value in fixed_values])
            cursor.executemany(sql, list(zip(*cols, strict=True)))


def sqlite_inserted_ids(model: type[models.Model], key: str, keys: Sequence[Any]) -> dict | None:
    """``{key: id}`` of the rows just inserted with ``keys``, in order, or None (SQLite).

    For the caller that has just run ``insert_columns`` for ``keys`` inside its
    transaction, instead of a ``SELECT ... IN`` of every key (a third index seek per
    row): Django's SQLite ``AutoField`` is ``AUTOINCREMENT``, so each new row's id is
    above any the table has held, and rows this connection inserts one after the other
    under its write lock get ids in insertion order. Checked, not assumed: the rows at
    the two ends of the implied id range must carry the first and the last key; any
    other outcome returns None and the caller SELECTs.
    """
    if connection.vendor != "sqlite" or not keys:
        return None
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(key).column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_insert_rowid()")
        (last,) = cursor.fetchone()
        first = last - len(keys) + 1
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {pk} IN (%s, %s)", [first, last])
        ends = dict(cursor.fetchall())
    if ends.get(first) != keys[0] or ends.get(last) != keys[-1]:
        return None
    return dict(zip(keys, range(first, last + 1), strict=True))


def _picker(names: Sequence[str]) -> Callable[[dict], tuple]:
    if len(names) > 1:
        return operator.itemgetter(*names)  # one C call per row
    (only,) = names  # itemgetter of one name returns a bare value, not a tuple
    return lambda row: (row[only],)


def _defaults(model: type[models.Model], given: set[str]) -> dict[str, Any]:
    """Values of the non-pk fields not in ``given``: the field default, ``auto_now`` now."""
    now = dt.datetime.now(dt.UTC)
    out = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in given:
            continue
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            out[f.attname] = now
        elif f.has_default() or not f.null:
            out[f.attname] = f.get_default()
        else:
            out[f.attname] = None
    return out


_TZINFO = operator.attrgetter("tzinfo")
_ISO_SPACE = operator.methodcaller("isoformat", " ")
_NO_OFFSET = operator.itemgetter(slice(None, -6))  # "…+00:00" -> "…"


def _convert_column(field: models.Field, values: Sequence[Any]) -> Sequence[Any]:
    """Convert one column of a batch, with C-level ``map`` where the values allow it.

    Each fast path produces exactly what the per-cell converter would; any value it
    does not cover (a None, another timezone, a non-finite Decimal) sends the whole
    column through the per-cell converter.
    """
    if isinstance(field, models.JSONField) and field.encoder is None:
        if not field.null or None not in values:
            return list(map(bytes.decode, map(orjson.dumps, values)))
        dumps = orjson.dumps  # nullable and some None: NULL stays NULL (as ``to_json``)
        return [None if value is None else dumps(value).decode() for value in values]
    elif isinstance(field, models.DateTimeField) and connection.vendor == "sqlite":
        if values.count(None) == len(values):
            return values
        if set(map(_TZINFO, filter(None, values))) == {dt.UTC}:
            if None not in values:
                return list(map(_NO_OFFSET, map(_ISO_SPACE, values)))
            return [None if value is None else value.isoformat(" ")[:-6] for value in values]
    elif (
        isinstance(field, models.DateTimeField)
        and connection.vendor == "postgresql"
        and _aware_datetimes(values)
    ):
        return values  # PostgreSQL's adapt_datetimefield_value is the identity
    elif (
        isinstance(field, models.DecimalField)
        and _decimal_passthrough()
        and _finite_decimals(values)
    ):
        if connection.vendor == "sqlite":
            # The text Django's registered sqlite3 adapter (``str``) would bind, made
            # here in one C-level pass instead of one adapter lookup per cell.
            if None not in values:
                return list(map(str, values))
            return [None if value is None else str(value) for value in values]
        return values  # what to_decimal returns for each of them
    return list(map(_converter(field), values))


def _aware_datetimes(values: Sequence[Any]) -> bool:
    """True when every value is None or an aware ``datetime`` (C-level checks only)."""
    if not set(map(type, values)) <= {dt.datetime, type(None)}:
        return False
    return None not in set(map(_TZINFO, filter(None, values)))


def _finite_decimals(values: Sequence[Any]) -> bool:
    """True when every value is None or a finite ``Decimal`` (C-level checks only)."""
    if not set(map(type, values)) <= {Decimal, type(None)}:
        return False
    return all(map(Decimal.is_finite, filter(None, values)))  # 0 is finite; NaN is truthy


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
    array = _pg_array_type(keys)
    if array:
        # One array parameter instead of a placeholder per key: the server parses and
        # plans a short statement (about 40% less time for 1,000 keys, measured).
        with connection.cursor() as cursor:
            cursor.execute(f"{head} = ANY(%s::{array})", [*fixed, keys])
            return cursor.fetchall()
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start : start + _IN_CHUNK]
            cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", fixed + chunk)
            out.extend(cursor.fetchall())
    return out


_IN_CHUNK = 5000


def _pg_array_type(keys: Sequence[Any]) -> str | None:
    """The array type to send ``keys`` as on PostgreSQL (all str, or all int), else None."""
    if connection.vendor != "postgresql":
        return None
    types = set(map(type, keys))
    if types == {str}:
        return "text[]"
    if types == {int}:
        return "bigint[]"
    return None


# --- PostgreSQL: COPY into a session-local staging table, then one set-wise statement.


def pg_stage(model: type[models.Model], names: Sequence[str], columns: Sequence[Sequence[Any]]):
    """COPY the rows given column by column into a TEMP staging table; return its name.

    PostgreSQL only (``connection.vendor == "postgresql"``), inside a transaction. The
    table has the types of ``model``'s ``names`` columns and no constraints (a ``None``
    in a NOT NULL column is the caller's to resolve in its INSERT ... SELECT). It is
    created once per database session (``ON COMMIT DELETE ROWS``: each commit empties
    it, so a pooled connection reuses it) and emptied here first, so a caller inside a
    longer transaction never sees an earlier batch. Values are converted as
    ``insert_columns`` converts them; COPY's text format sends them in one stream
    instead of one bound statement per row.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    cols = [fields[name].column for name in names]
    qn = connection.ops.quote_name
    digest = zlib.crc32("\0".join([model._meta.db_table, *cols]).encode())
    table = f"shoplink_stage_{digest:08x}"
    converted = [
        _stage_column(fields[name], values) for name, values in zip(names, columns, strict=True)
    ]
    select = ", ".join(qn(c) for c in cols)
    with connection.cursor() as cursor:
        # One round trip: create on first use in this session (no-op afterwards; the
        # NOTICE "already exists" is not an error) and empty it for this batch. DELETE,
        # not TRUNCATE: the table is empty at the start of every transaction (ON COMMIT
        # DELETE ROWS), where DELETE costs nothing, while TRUNCATE gives the table a new
        # file and rewrites its catalog row each time.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {table} ON COMMIT DELETE ROWS AS "
            f"SELECT {select} FROM {qn(model._meta.db_table)} WITH NO DATA; "
            f"DELETE FROM {table}"
        )
        with cursor.cursor.copy(f"COPY {table} ({select}) FROM STDIN") as copy:
            write = copy.write_row
            for row in zip(*converted, strict=True):
                write(row)
    return table


def _pg_insert_columns(model, names, columns, constants, ignore_conflicts) -> None:
    """``insert_columns`` on PostgreSQL: the rows go in as one COPY stream.

    Straight into the table when a conflict is an error anyway (COPY checks the same
    constraints an INSERT does); through ``pg_stage`` and one ``INSERT ... SELECT ...
    ON CONFLICT DO NOTHING`` when conflicting rows are to be skipped.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fixed, placeholders, params = pg_constants(model, set(names), dict(constants))
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    target = ", ".join(qn(fields[name].column) for name in [*names, *fixed])
    if ignore_conflicts:
        stage = pg_stage(model, names, columns)
        own = ", ".join(qn(fields[name].column) for name in names)
        extra = "".join(", " + p for p in placeholders)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({target}) SELECT {own}{extra} FROM {stage} "
                "ON CONFLICT DO NOTHING",
                params,
            )
        return
    n = len(columns[0])
    converted = [
        _stage_column(fields[name], values) for name, values in zip(names, columns, strict=True)
    ]
    converted += [(value,) * n for value in params]
    sql = f"COPY {table} ({target}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in zip(*converted, strict=True):
            write(row)


def pg_insert_returning(
    model: type[models.Model],
    names: Sequence[str],
    columns: Sequence[Sequence[Any]],
    key: str,
    *,
    constants: dict[str, Any] | None = None,
    ignore_conflicts: bool = False,
) -> dict[Any, int]:
    """INSERT the rows given column by column (PostgreSQL); return ``{key value: id}``.

    COPY into ``pg_stage``'s table, then one ``INSERT ... SELECT ... RETURNING``: the
    new ids come back with the statement instead of a ``SELECT ... IN`` of every key.
    A key that already exists is an error, as with ``insert_columns``, unless
    ``ignore_conflicts``: then its row is skipped and its key is not in the result.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fixed, placeholders, params = pg_constants(model, set(names), dict(constants or {}))
    qn = connection.ops.quote_name
    stage = pg_stage(model, names, columns)
    target = ", ".join(qn(fields[name].column) for name in [*names, *fixed])
    own = ", ".join(qn(fields[name].column) for name in names)
    extra = "".join(", " + p for p in placeholders)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({target}) SELECT {own}{extra} "
            f"FROM {stage} {'ON CONFLICT DO NOTHING ' if ignore_conflicts else ''}"
            f"RETURNING {qn(fields[key].column)}, {qn(model._meta.pk.column)}",
            params,
        )
        return dict(cursor.fetchall())


def _stage_column(field: models.Field, values: Sequence[Any]) -> Sequence[Any]:
    """``_convert_column`` for staging, where None is always SQL NULL (JSON too)."""
    if _converter(field) is _identity:
        return values
    if isinstance(field, models.JSONField) and None in values:
        dumps = orjson.dumps
        return [None if value is None else dumps(value).decode() for value in values]
    return _convert_column(field, values)


def pg_constant(model: type[models.Model], attname: str, value: Any) -> tuple[str, Any]:
    """A typed placeholder and its parameter for one value of ``attname``.

    Typed because an untyped literal in an ``INSERT ... SELECT`` list resolves to text,
    which PostgreSQL will not store in a jsonb, timestamp or integer column.
    """
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return f"CAST(%s AS {field.cast_db_type(connection)})", _converter(field)(value)


def pg_constants(
    model: type[models.Model], given: set[str], constants: dict[str, Any]
) -> tuple[list[str], list[str], list[Any]]:
    """The columns every row of a batch shares: ``constants`` plus the defaults of the
    non-pk columns neither in ``given`` nor in ``constants`` (``auto_now`` is now).

    Returns their attnames, typed placeholders and parameters (see ``pg_constant``).
    """
    fixed = {**_defaults(model, given | set(constants)), **constants}
    names, placeholders, params = [], [], []
    for name, value in fixed.items():
        placeholder, param = pg_constant(model, name, value)
        names.append(name)
        placeholders.append(placeholder)
        params.append(param)
    return names, placeholders, params
