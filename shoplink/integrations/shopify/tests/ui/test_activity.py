"""Store details' Activity (D13): deliveries per topic, the last one, the processing lag."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


def test_activity_counts_deliveries_per_topic_with_last_time_and_lag(
    project, admin_client, deliver
):
    now = dt.datetime.now(dt.UTC)
    store = make_store(project, SHOP)
    triggered = (now - dt.timedelta(milliseconds=1500)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for _ in range(3):
        deliver("carts/update", load("carts/update"), SHOP, triggered_at=triggered)
    deliver("products/update", load("products/update"), SHOP, triggered_at=triggered)
    response = admin_client.get(reverse("shopify:activity", args=[store.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    rows = dict(
        re.findall(r'data-topic="([^"]+)">\s*<td class="mono">[^<]+</td>\s*<td>(\d+)</td>', html)
    )
    assert rows == {"carts/update": "3", "products/update": "1"}
    lags = [int(ms) for ms in re.findall(r"<td>(\d+) ms</td>", html)]
    assert len(lags) == 2 and all(1500 <= ms < 5000 for ms in lags)
    assert "4 deliveries" in html


def test_one_delivery_is_counted_in_the_singular(project, admin_client, deliver):
    store = make_store(project, SHOP)
    deliver("products/update", load("products/update"), SHOP)
    html = admin_client.get(reverse("shopify:activity", args=[store.pk])).content.decode()
    assert "1 delivery," in html and "1 deliveries" not in html


def test_activity_is_for_project_admins(project, editor_client):
    store = make_store(project, SHOP)
    assert editor_client.get(reverse("shopify:activity", args=[store.pk])).status_code == 403


def test_the_drawer_partial_renders_with_only_the_store(project):
    from django.template.loader import render_to_string

    store = make_store(project, SHOP)
    html = render_to_string("shopify/_activity.html", {"store": store})
    assert "No webhooks received yet." in html
    assert reverse("shopify:activity", args=[store.pk]) in html
