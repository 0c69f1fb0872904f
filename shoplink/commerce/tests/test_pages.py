"""The commerce pages over HTTP: filters, details, the 60-minute states, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shoplink.audience.models import Contact
from shoplink.commerce.models import Cart
from shoplink.commerce.tests import factories as f
from shoplink.core import clock
from shoplink.events.services import EventInput, record_events

pytestmark = pytest.mark.django_db


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def _contact(project, n=1):
    return Contact.objects.create(
        project=project, external_id=str(100 + n), email=f"c{n}@example.test", first_name=f"C{n}"
    )


@pytest.mark.parametrize(
    "name",
    [
        "commerce:orders",
        "commerce:products",
        "commerce:collections",
        "commerce:checkouts",
        "commerce:carts",
    ],
)
def test_list_pages_cost_the_same_queries_for_3_or_60_rows(viewer_client, project, name):
    def add(start, n):
        for i in range(start, start + n):
            c = _contact(project, i)
            f.order(project, i, contact=c)
            f.product(project, i)
            f.collection(project, i, [str(7000 + i)])
            f.checkout(project, f"tok{i}", contact=c)
            Cart.objects.create(project=project, source=f.SOURCE, external_id=f"cart{i}")

    add(0, 3)
    few = _queries(viewer_client, reverse(name))
    add(3, 57)
    assert _queries(viewer_client, reverse(name)) == few


def test_orders_search_and_filters(viewer_client, project):
    f.order(project, 1, email="ann@example.test")
    f.order(project, 2, financial_status="refunded", fulfillment_status="fulfilled")
    f.order(project, 3, source="shopify:other-shop.myshopify.com")
    url = reverse("commerce:orders")

    def names(**params):
        body = viewer_client.get(url, params).content.decode()
        return sorted((n for n in ("#1001", "#1002", "#1003") if n in body), key=body.index)

    assert names() == ["#1003", "#1002", "#1001"]  # newest first
    assert names(q="1002") == ["#1002"]
    assert names(q="#1001") == ["#1001"]
    assert names(q="ann@") == ["#1001"]
    assert names(store="other-shop.myshopify.com") == ["#1003"]
    assert names(store="shopify:demo-store.myshopify.com") == ["#1002", "#1001"]
    assert names(financial_status="refunded") == ["#1002"]
    assert names(fulfillment_status="unfulfilled") == ["#1003", "#1001"]
    assert names(since="2026-11-01", until="2026-11-01") == ["#1003", "#1002", "#1001"]
    assert names(since="2026-11-02") == []


def test_order_detail_shows_what_shopify_holds(viewer_client, project):
    contact = _contact(project)
    product = f.product(project, 1)
    f.checkout(project, "chk-token-1", contact=contact, abandoned_event_at=f.T0)
    order = f.order(
        project,
        1,
        contact=contact,
        checkout_token="chk-token-1",
        total_discounts="2.50",
        discount_codes=["WELCOME10"],
        shipping_address={
            "first_name": "Ann",
            "address1": "1 Main St",
            "city": "Leeds",
            "zip": "LS1",
            "country": "United Kingdom",
        },
        fulfillments=[
            {
                "status": "success",
                "shipment_status": "in_transit",
                "tracking_company": "DHL",
                "tracking_numbers": ["TRK123"],
                "tracking_urls": ["https://track.example/TRK123"],
            }
        ],
        refunds=[{"id": "1", "amount": "3.00", "created_at": "2026-11-03T10:00:00Z"}],
        line_items=[
            {
                "id": "1",
                "product_id": product.external_id,
                "variant_id": "8001",
                "sku": "SKU-1",
                "title": "Product 1",
                "variant_title": "S",
                "quantity": 2,
                "price": "5.00",
            }
        ],
    )
    record_events(
        project,
        [
            EventInput(
                "shopify_order_placed",
                "k1",
                f.T0,
                {"order_id": order.external_id},
                contact_id=contact.pk,
                source=f.SOURCE,
            )
        ],
    )
    body = viewer_client.get(reverse("commerce:order", args=[order.pk])).content.decode()
    for text in (
        "SKU-1",
        "WELCOME10",
        "2.50 EUR",
        "1 Main St",
        "TRK123",
        "DHL",
        "in_transit",
        "3.00 EUR",
        "shopify_order_placed",
        "demo-store.myshopify.com",
        "https://demo-store.myshopify.com/admin/orders/5001",
        reverse("commerce:product", args=[product.pk]),
        "recovered by this order",
    ):
        assert text in body, text


def test_products_search_by_title_sku_vendor_and_collections(viewer_client, project):
    p1 = f.product(project, 1, title="Blue shirt", vendor="Acme")
    f.product(project, 2, title="Red mug", vendor="Mugs Ltd")
    coll = f.collection(project, 1, [p1.external_id])
    url = reverse("commerce:products")
    for q, expected, other in (
        ("blue", "Blue shirt", "Red mug"),
        ("SKU-2", "Red mug", "Blue"),
        ("mugs", "Red mug", "Blue"),
    ):
        body = viewer_client.get(url, {"q": q}).content.decode()
        assert expected in body and other not in body, q
    detail = viewer_client.get(reverse("commerce:product", args=[p1.pk])).content.decode()
    assert "SKU-1" in detail and "Collection 1" in detail
    assert "https://demo-store.myshopify.com/admin/products/7001" in detail
    listing = viewer_client.get(reverse("commerce:collection", args=[coll.pk])).content.decode()
    assert "Blue shirt" in listing and "Red mug" not in listing


def test_checkout_states_follow_the_60_minute_rule(viewer_client, project, frozen_clock):
    frozen_clock.freeze(f.T0 + dt.timedelta(minutes=30))
    contact = _contact(project)
    f.checkout(project, "waiting-tok", contact=contact)
    f.checkout(project, "abandoned-tok", contact=contact, abandoned_event_at=f.T0)
    f.checkout(project, "recovered-tok", contact=contact, abandoned_event_at=f.T0)
    f.order(project, 1, contact=contact, checkout_token="recovered-tok")
    f.checkout(project, "completed-tok", contact=contact, completed_at=f.T0)
    url = reverse("commerce:checkouts")
    all_tokens = ("waiting-tok", "abandoned-tok", "recovered-tok", "completed-tok")

    def tokens(state):
        body = viewer_client.get(url, {"state": state}).content.decode()
        return sorted(t for t in all_tokens if t in body)

    assert tokens("waiting") == ["waiting-tok"]
    assert tokens("abandoned") == ["abandoned-tok"]
    assert tokens("recovered") == ["recovered-tok"]
    assert tokens("open") == ["abandoned-tok", "waiting-tok"]
    assert tokens("completed") == ["completed-tok"]
    body = viewer_client.get(url).content.decode()
    assert "abandoned at 13:00 if untouched" in body  # T0 + 60 minutes
    assert "by order" in body and "#1001" in body
    assert clock.now() == f.T0 + dt.timedelta(minutes=30)


def test_contact_page_lists_orders_and_open_checkouts(viewer_client, project):
    contact = _contact(project)
    other = _contact(project, 2)
    f.order(project, 1, contact=contact)
    f.order(project, 2, contact=other)
    f.checkout(project, "open-tok", contact=contact)
    f.checkout(project, "done-tok", contact=contact, completed_at=f.T0)
    body = viewer_client.get(reverse("web:contact", args=[contact.pk])).content.decode()
    assert "#1001" in body and "#1002" not in body
    assert "open-tok" in body and "done-tok" not in body
    mine = viewer_client.get(reverse("commerce:orders"), {"contact": contact.pk}).content.decode()
    assert "#1001" in mine and "#1002" not in mine


def test_pages_are_project_scoped_and_need_a_login(client, viewer_client, project):
    from shoplink.projects.services import create_project

    elsewhere = f.order(create_project("Other"), 1)
    assert viewer_client.get(reverse("commerce:order", args=[elsewhere.pk])).status_code == 404
    assert "#1001" not in viewer_client.get(reverse("commerce:orders")).content.decode()
    response = client.get(reverse("commerce:orders"))
    assert response.status_code == 302 and "/login/" in response["Location"]
