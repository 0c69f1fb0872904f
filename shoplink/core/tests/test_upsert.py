"""upsert_rows: newest version wins, None in NOT NULL columns, ids of created rows."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from shoplink.commerce.models import Order
from shoplink.core.upsert import upsert_rows

SOURCE = "shopify:s.myshopify.com"
FIELDS = ["email", "total_price", "line_items", "fulfillments", "refunds", "shipping_address"]


@dataclasses.dataclass
class Rec:
    external_id: str
    source_updated_at: dt.datetime | None
    email: str | None = "a@x.test"
    total_price: Decimal | None = Decimal("1.00")
    line_items: list | None = dataclasses.field(default_factory=lambda: [{"id": "1"}])
    fulfillments: list | None = dataclasses.field(default_factory=list)
    refunds: list | None = dataclasses.field(default_factory=list)
    shipping_address: dict | None = None


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, tzinfo=dt.UTC)


def upsert(project, *records):
    return upsert_rows(Order, project, SOURCE, records, FIELDS)


def row(external_id: str) -> Order:
    return Order.objects.get(source=SOURCE, external_id=external_id)


@pytest.mark.django_db
def test_new_rows_get_ids_and_none_becomes_the_column_default(project):
    changes = upsert(
        project,
        Rec("1", at(1)),
        Rec("2", at(1), email=None, line_items=None, fulfillments=None, total_price=None),
    )
    assert [c.created for c in changes] == [True, True]
    assert [c.pk for c in changes] == [row("1").pk, row("2").pk]
    second = row("2")
    # NOT NULL with a default: the empty value; nullable: NULL.
    assert (second.email, second.line_items, second.fulfillments) == ("", [], [])
    assert second.total_price is None and second.shipping_address is None


@pytest.mark.django_db
def test_a_mixed_batch_fills_none_the_same_way_for_its_new_rows(project):
    upsert(project, Rec("1", at(1)))
    changes = upsert(project, Rec("1", at(2), email="b@x.test"), Rec("2", at(2), email=None))
    assert [(c.created, c.changed) for c in changes] == [(False, ["email"]), (True, [])]
    assert (row("1").email, row("2").email) == ("b@x.test", "")


@pytest.mark.django_db
def test_none_keeps_stored_value_only_in_keep_when_none_columns(project):
    shipped = [{"id": "9", "status": "success"}]
    upsert(project, Rec("1", at(1), fulfillments=shipped, email="a@x.test"))
    (change,) = upsert(project, Rec("1", at(2), fulfillments=None, refunds=None, email=None))
    stored = row("1")
    assert stored.fulfillments == shipped  # KEEP_WHEN_NONE: unknown, kept
    assert stored.email == ""  # any other NOT NULL column: None means empty
    assert change.changed == ["email"] and change.previous == {"email": "a@x.test"}


@pytest.mark.django_db
def test_an_older_record_is_stale_and_writes_nothing(project):
    upsert(project, Rec("1", at(5), email="new@x.test"))
    (change,) = upsert(project, Rec("1", at(4), email="old@x.test"))
    assert change.stale and not change.changed
    assert row("1").email == "new@x.test"


@pytest.mark.django_db
def test_the_same_key_twice_in_a_batch_keeps_the_newest(project):
    changes = upsert(project, Rec("1", at(2), email="second@x.test"), Rec("1", at(1)))
    assert len(changes) == 1 and Order.objects.count() == 1
    assert row("1").email == "second@x.test"


# The same rules on both databases: on PostgreSQL the batch is COPYed into a staging
# table and merged by one INSERT ... ON CONFLICT DO UPDATE WHERE statement.


@pytest.mark.django_db
def test_an_equal_timestamp_writes_a_difference_and_reports_no_change_otherwise(project):
    upsert(project, Rec("1", at(3), email="a@x.test"))
    (same,) = upsert(project, Rec("1", at(3), email="a@x.test"))
    assert (same.created, same.stale, same.changed) == (False, False, [])
    (differs,) = upsert(project, Rec("1", at(3), email="b@x.test"))
    assert (differs.stale, differs.changed) == (False, ["email"])
    assert row("1").email == "b@x.test"


@pytest.mark.django_db
def test_a_newer_timestamp_alone_moves_the_stored_one(project):
    upsert(project, Rec("1", at(3)))
    (change,) = upsert(project, Rec("1", at(6)))
    assert (change.stale, change.changed) == (False, [])
    # An older replay after it is stale: the stored timestamp moved although no field did.
    (replay,) = upsert(project, Rec("1", at(4), email="old@x.test"))
    assert replay.stale and row("1").source_updated_at == at(6)
    assert row("1").email == "a@x.test"


@pytest.mark.django_db
def test_missing_timestamps_never_make_a_record_stale(project):
    upsert(project, Rec("1", None, email="first@x.test"))
    (over_null,) = upsert(project, Rec("1", at(1), email="second@x.test"))
    assert not over_null.stale and over_null.changed == ["email"]
    (null_over,) = upsert(project, Rec("1", None, email="third@x.test"))
    assert not null_over.stale and null_over.changed == ["email"]
    stored = row("1")
    assert (stored.email, stored.source_updated_at) == ("third@x.test", None)


@pytest.mark.django_db
def test_a_mixed_batch_reports_created_changed_and_stale_rows_with_their_ids(project):
    upsert(project, Rec("old", at(5)), Rec("same", at(5)))
    changes = upsert(
        project,
        Rec("new", at(6)),
        Rec("old", at(4), email="older@x.test"),
        Rec("same", at(6), email="newer@x.test"),
    )
    got = [(c.external_id, c.created, c.stale, c.changed) for c in changes]
    assert got == [
        ("new", True, False, []),
        ("old", False, True, []),
        ("same", False, False, ["email"]),
    ]
    assert [c.pk for c in changes] == [row(k).pk for k in ("new", "old", "same")]
    assert Order.objects.count() == 3


@pytest.mark.django_db
def test_json_decimal_and_datetime_values_round_trip_and_compare_by_value(project):
    address = {"city": "Zürich", "lines": ["1 Rue", None], "geo": {"lat": 47.37}}
    items = [{"id": "1", "qty": 2, "price": "9.90", "props": {}}]
    upsert(
        project,
        Rec("1", at(1), total_price=Decimal("12.30"), line_items=items, shipping_address=address),
    )
    stored = row("1")
    assert (stored.total_price, stored.line_items, stored.shipping_address) == (
        Decimal("12.30"),
        items,
        address,
    )
    # Equal values in another spelling are no change: 12.3 == 12.30, same JSON value.
    (change,) = upsert(
        project,
        Rec(
            "1",
            at(2),
            total_price=Decimal("12.3"),
            line_items=[dict(items[0])],
            shipping_address=dict(address),
        ),
    )
    assert change.changed == []
    moved = [{"id": "1", "qty": 3, "price": "9.90", "props": {}}]
    (change,) = upsert(
        project,
        Rec("1", at(3), total_price=Decimal("29.70"), line_items=moved, shipping_address=address),
    )
    assert change.changed == ["total_price", "line_items"]
    assert change.previous == {"total_price": Decimal("12.30"), "line_items": items}
    assert (row("1").total_price, row("1").line_items) == (Decimal("29.70"), moved)


@pytest.mark.django_db
def test_a_datetime_in_another_zone_is_the_same_instant(project):
    plus_two = dt.timezone(dt.timedelta(hours=2))
    cancelled = dt.datetime(2026, 3, 1, 12, 0, tzinfo=plus_two)

    def upsert_cancelled(record, value):
        derived = {"cancelled_at": lambda _: value}
        return upsert_rows(Order, project, SOURCE, [record], ["email"], derived=derived)

    upsert_cancelled(Rec("1", at(1)), None)
    (change,) = upsert_cancelled(Rec("1", at(2)), cancelled)
    assert change.changed == ["cancelled_at"] and change.previous == {"cancelled_at": None}
    assert row("1").cancelled_at == cancelled
    (same,) = upsert_cancelled(Rec("1", at(3)), cancelled.astimezone(dt.UTC))
    assert same.changed == []


@pytest.mark.django_db(transaction=True)
def test_batches_in_one_transaction_never_see_each_other(project):
    from django.db import transaction

    with transaction.atomic():
        first = upsert(project, *(Rec(str(i), at(1)) for i in range(300)))
        second = upsert(project, Rec("1000", at(1)), Rec("5", at(2), email="b@x.test"))
    assert len(first) == 300 and all(c.created for c in first)
    assert [(c.external_id, c.created, c.changed) for c in second] == [
        ("1000", True, []),
        ("5", False, ["email"]),
    ]
    assert Order.objects.count() == 301
    # Committed: the next batch starts from an empty staging table as well.
    (again,) = upsert(project, Rec("6", at(2), email="c@x.test"))
    assert again.changed == ["email"] and Order.objects.count() == 301
