"""Rows written by fastwrite read back exactly like rows the ORM writes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.core.fastwrite import (
    insert_dicts,
    insert_objects,
    insert_rows,
    select_in,
    sqlite_inserted_ids,
    update_dicts,
    update_objects,
)

FIELDS = dict(
    source="shopify:s.myshopify.com",
    customer_external_id="7",
    number=1001,
    name="#1001",
    email="a@x.test",
    currency="EUR",
    total_price=Decimal("12.50"),
    current_total_price=Decimal("10.00"),
    financial_status="paid",
    fulfillment_status=None,
    cancelled_at=dt.datetime(
        2026, 3, 1, 12, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2))
    ),
    test=True,
    discount_codes=["SPRING", "ÉTÉ"],
    line_items=[{"id": "1", "price": "5.00", "quantity": 2}],
    shipping_address=None,
    source_updated_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
)


def _read(pk):
    row = Order.objects.get(pk=pk)
    return {name: getattr(row, name) for name in FIELDS}


@pytest.mark.django_db
def test_insert_matches_the_orm(project):
    Order.objects.create(project=project, external_id="orm", **FIELDS)
    insert_objects(Order, [Order(project=project, external_id="fast", **FIELDS)])
    orm = Order.objects.get(external_id="orm")
    fast = Order.objects.get(external_id="fast")
    assert _read(fast.pk) == _read(orm.pk)
    assert fast.created_at is not None and fast.updated_at is not None


@pytest.mark.django_db
def test_update_writes_only_named_columns(project):
    order = Order.objects.create(project=project, external_id="1", **FIELDS)
    order.financial_status = "refunded"
    order.email = "changed-but-not-named@x.test"
    order.line_items = [{"id": "2"}]
    update_objects(Order, [order], ["financial_status", "line_items"])
    row = Order.objects.get(pk=order.pk)
    assert row.financial_status == "refunded"
    assert row.line_items == [{"id": "2"}]
    assert row.email == "a@x.test"


def _raw(column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM commerce_order WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_insert_dicts_stores_what_the_orm_stores(project):
    fields = {**FIELDS, "cancelled_at": dt.datetime(2026, 3, 1, 10, 30, 15, 250000, tzinfo=dt.UTC)}
    Order.objects.create(project=project, external_id="orm", **fields)
    insert_dicts(Order, [{"project_id": project.pk, "external_id": "fast", **fields}])
    orm = Order.objects.get(external_id="orm")
    fast = Order.objects.get(external_id="fast")
    assert _read(fast.pk) == _read(orm.pk)
    # Same stored text, so ordering and range filters treat both rows alike (JSON is
    # compact orjson text, equal as JSON but not byte for byte: not compared here).
    for column in ("cancelled_at", "source_updated_at", "total_price", "current_total_price"):
        assert _raw(column, fast.pk) == _raw(column, orm.pk)


@pytest.mark.django_db
def test_insert_rows_converts_mixed_columns_like_the_orm(project):
    """Column-wise conversion: UTC, other offsets, None and odd Decimals in one batch."""
    utc = dt.datetime(2026, 3, 1, 10, 30, 15, 250000, tzinfo=dt.UTC)
    plus2 = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    variants = [
        {"cancelled_at": utc, "total_price": Decimal("0"), "shipping_address": {"c": "DE"}},
        {"cancelled_at": plus2, "total_price": None, "shipping_address": None},
        {"cancelled_at": None, "total_price": Decimal("1.5"), "shipping_address": {}},
    ]
    names = ["external_id", *FIELDS, "source_created_at"]
    rows = []
    for i, variant in enumerate(variants):
        fields = {**FIELDS, **variant, "source_created_at": utc}
        Order.objects.create(project=project, external_id=f"orm{i}", **fields)
        rows.append((f"fast{i}", *(fields[n] for n in names[1:])))
    insert_rows(Order, names, rows, constants={"project_id": project.pk})
    columns = ("cancelled_at", "total_price", "shipping_address", "source_created_at")
    for i in range(len(variants)):
        fast = Order.objects.get(external_id=f"fast{i}")
        orm = Order.objects.get(external_id=f"orm{i}")
        assert _read(fast.pk) == _read(orm.pk)
        for column in columns[:2] + columns[3:]:
            assert _raw(column, fast.pk) == _raw(column, orm.pk)
        assert (fast.shipping_address, fast.line_items) == (orm.shipping_address, orm.line_items)
        assert fast.created_at is not None and fast.updated_at is not None


@pytest.mark.django_db
def test_utc_and_none_datetimes_and_nullable_json_convert_like_the_orm(project):
    """The fast paths for a column of UTC datetimes with gaps and nullable JSON with gaps."""
    utc = dt.datetime(2026, 3, 1, 10, 30, 15, tzinfo=dt.UTC)
    variants = [
        {"cancelled_at": utc, "shipping_address": {"c": "DE"}},
        {"cancelled_at": None, "shipping_address": None},
    ]
    names = ["external_id", *FIELDS]
    rows = []
    for i, variant in enumerate(variants):
        fields = {**FIELDS, **variant}
        Order.objects.create(project=project, external_id=f"orm{i}", **fields)
        rows.append((f"fast{i}", *(fields[n] for n in names[1:])))
    insert_rows(Order, names, rows, constants={"project_id": project.pk})
    for i in range(len(variants)):
        fast = Order.objects.get(external_id=f"fast{i}")
        orm = Order.objects.get(external_id=f"orm{i}")
        assert _read(fast.pk) == _read(orm.pk)
        assert _raw("cancelled_at", fast.pk) == _raw("cancelled_at", orm.pk)
        assert (_raw("shipping_address", fast.pk) is None) == (orm.shipping_address is None)


@pytest.mark.django_db(transaction=True)
def test_inserted_ids_are_those_a_select_finds(project):
    Order.objects.create(project=project, external_id="before", **FIELDS)
    keys = [f"k{i}" for i in range(2500)]  # more than one executemany chunk
    names = ["external_id", *FIELDS]
    with transaction.atomic():
        insert_rows(
            Order,
            names,
            [(k, *FIELDS.values()) for k in keys],
            constants={"project_id": project.pk},
        )
        ids = sqlite_inserted_ids(Order, "external_id", keys)
        if connection.vendor != "sqlite":
            assert ids is None  # the caller SELECTs
            return
        assert ids == dict(
            Order.objects.filter(external_id__in=keys).values_list("external_id", "id")
        )
        # Keys that are not what was just inserted: no guess, None.
        assert sqlite_inserted_ids(Order, "external_id", [*keys[1:], "other"]) is None
        assert sqlite_inserted_ids(Order, "external_id", keys[:-1]) is None


@pytest.mark.django_db
def test_insert_dicts_ignore_conflicts_keeps_the_first_row(project):
    row = {"project_id": project.pk, "external_id": "1", **FIELDS}
    insert_dicts(Order, [row])
    insert_dicts(
        Order, [{**row, "name": "#other"}, {**row, "external_id": "2"}], ignore_conflicts=True
    )
    assert dict(Order.objects.values_list("external_id", "name")) == {"1": "#1001", "2": "#1001"}


@pytest.mark.django_db
def test_select_in_filters_by_equality_and_null(project):
    contact = Contact.objects.create(project=project, external_id="7")
    linked = Order.objects.create(project=project, external_id="1", contact=contact, **FIELDS)
    unlinked = Order.objects.create(project=project, external_id="2", **FIELDS)
    Order.objects.create(project=project, external_id="3", **{**FIELDS, "source": "other"})
    scope = {"project_id": project.pk, "source": FIELDS["source"]}
    keys = ["1", "2", "3", "missing"]
    found = select_in(Order, ["external_id", "id"], "external_id", keys, **scope)
    assert sorted(found) == [("1", linked.pk), ("2", unlinked.pk)]
    assert select_in(Order, ["id"], "external_id", keys, **scope, contact_id=None) == [
        (unlinked.pk,)
    ]
    assert select_in(Order, ["id"], "external_id", [], **scope) == []


@pytest.mark.django_db
def test_select_in_takes_integer_keys(project):
    """Ids as keys (on PostgreSQL sent as one bigint array, text keys as a text array)."""
    orders = [Order.objects.create(project=project, external_id=str(i), **FIELDS) for i in (1, 2)]
    ids = [o.pk for o in orders]
    assert sorted(select_in(Order, ["id", "external_id"], "id", [*ids, 10**9])) == [
        (ids[0], "1"),
        (ids[1], "2"),
    ]


@pytest.mark.django_db
def test_update_dicts_touches_auto_now_only_when_asked(project):
    order = Order.objects.create(project=project, external_id="1", **FIELDS)
    before = Order.objects.get(pk=order.pk).updated_at
    update_dicts(
        Order, ["financial_status"], [(order.pk, {"financial_status": "voided"})], auto_now=False
    )
    row = Order.objects.get(pk=order.pk)
    assert (row.financial_status, row.updated_at) == ("voided", before)
    update_dicts(Order, ["line_items"], [(order.pk, {"line_items": [{"id": "9"}]})])
    row = Order.objects.get(pk=order.pk)
    assert row.line_items == [{"id": "9"}] and row.updated_at > before
    assert row.email == FIELDS["email"]
