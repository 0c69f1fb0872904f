"""The JSON API's commerce reads: cursor paging, updated_since, filters, a synced store."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.commerce.tests import factories as f


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def page_through(api, path, **params) -> list[dict]:
    items, cursor, pages = [], "", 0
    while True:
        response = api.get(f"/api/v1{path}", {**params, "cursor": cursor})
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return items
        assert pages < 1000


@pytest.mark.django_db
def test_orders_page_by_cursor_without_gaps_or_repeats(api, project):
    for n in range(1, 24):
        f.order(project, n)
    items = page_through(api, "/orders", limit=5)
    assert sorted(i["name"] for i in items) == sorted(f"#{1000 + n}" for n in range(1, 24))
    assert len({i["id"] for i in items}) == 23
    first = items[0]
    assert first["store"] == "demo-store.myshopify.com"
    assert first["admin_url"].startswith("https://demo-store.myshopify.com/admin/orders/")
    assert first["line_items"][0]["sku"] == "TEE-S" and first["updated_at"]


@pytest.mark.django_db
def test_updated_since_returns_only_rows_written_later(api, project):
    old = f.order(project, 1)
    new = f.order(project, 2)
    cut = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    Order.objects.filter(pk=old.pk).update(updated_at=cut - dt.timedelta(days=1))
    Order.objects.filter(pk=new.pk).update(updated_at=cut + dt.timedelta(seconds=1))
    items = page_through(api, "/orders", updated_since=cut.isoformat())
    assert [i["id"] for i in items] == [new.pk]


@pytest.mark.django_db
def test_filters_match_the_pages(api, project):
    contact = Contact.objects.create(project=project, external_id="c1", email="ann@example.test")
    f.order(project, 1, contact=contact)
    f.order(project, 2, financial_status="refunded", source="shopify:other.myshopify.com")
    f.product(project, 1, title="Blue shirt")
    f.product(project, 2, title="Red mug")
    f.checkout(project, "tok-open", contact=contact)
    f.checkout(project, "tok-done", completed_at=f.T0)

    def names(path, key="name", **params):
        return sorted(i[key] for i in page_through(api, path, **params))

    assert names("/orders", store="other.myshopify.com") == ["#1002"]
    assert names("/orders", financial_status="paid") == ["#1001"]
    assert names("/orders", q="ann@") == ["#1001"]
    assert names("/contacts/c1/orders") == ["#1001"]
    assert names("/products", "title", q="SKU-2") == ["Red mug"]
    assert names("/checkouts", "token", state="open") == ["tok-open"]
    assert names("/checkouts", "state") == ["completed", "waiting"]
    assert api.get("/api/v1/contacts/nobody/orders").status_code == 404
    assert api.get("/api/v1/orders", {"cursor": "not-a-cursor!"}).status_code == 400


@pytest.mark.django_db
def test_another_projects_rows_are_invisible(api, project):
    from shoplink.projects.services import create_project

    order = f.order(create_project("Other"), 1)
    assert page_through(api, "/orders") == []
    assert api.get(f"/api/v1/orders/{order.pk}").status_code == 404


@pytest.mark.django_db
def test_openapi_documents_the_commerce_reads(api):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/orders",
        "/orders/{order_id}",
        "/contacts/{external_id}/orders",
        "/products",
        "/collections",
        "/checkouts",
        "/carts",
    ):
        assert f"/api/v1{path}" in paths, path
