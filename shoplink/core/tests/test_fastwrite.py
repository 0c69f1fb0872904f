"""Rows written by fastwrite read back exactly like rows the ORM writes."""

import datetime as dt
from decimal import Decimal

import pytest

from shoplink.commerce.models import Order
from shoplink.core.fastwrite import insert_objects, update_objects

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
