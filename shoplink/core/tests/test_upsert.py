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
