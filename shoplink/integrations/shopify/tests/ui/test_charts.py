"""Store details' charts: webhook volume and lag per topic family, records per second."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from shoplink.integrations.shopify.models import Entity, EntityState, EntitySync
from shoplink.integrations.shopify.sync import rates
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender
from shoplink.integrations.shopify.webhooks.stats import family_of

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


def _figure(html: str, key: str) -> str:
    m = re.search(rf'<figure class="chart" data-chart="{key}">.*?</figure>', html, re.S)
    assert m, f"no chart {key}"
    return m.group(0)


def test_details_draw_webhook_volume_and_lag_per_family(project, admin_client, deliver):
    now = dt.datetime.now(dt.UTC)
    store = make_store(project, SHOP)
    triggered = (now - dt.timedelta(milliseconds=2500)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for _ in range(3):
        deliver("carts/update", load("carts/update"), SHOP, triggered_at=triggered)
    deliver("products/update", load("products/update"), SHOP, triggered_at=triggered)

    html = admin_client.get(reverse("shopify:store_details", args=[store.pk])).content.decode()

    carts = _figure(html, "volume-carts")
    assert "<title" in carts and "<desc" in carts
    assert 'role="img"' in carts
    assert len(re.findall(r"<rect ", carts)) == 1  # every webhook in this hour's bar
    assert "3 webhooks in the last 24 hours, at most 3 in one hour." in carts
    assert "this hour: 3 webhooks" in carts
    lag = _figure(html, "lag-carts")
    median = re.search(r"From Shopify to Shoplink: ([\d.]+) s median", lag)
    assert median and 2.5 <= float(median.group(1)) < 10
    assert "1 webhook in the last 24 hours, at most 1 in one hour." in _figure(
        html, "volume-products"
    )
    quiet = re.search(r'data-family="orders">.*?</div>', html, re.S).group(0)
    assert "No webhooks in the last 24 hours." in quiet
    for family in ("customers", "orders", "checkouts", "carts", "products", "collections", "app"):
        assert f'data-family="{family}"' in html


def test_topics_fall_into_their_families():
    assert family_of("refunds/create") == "orders"
    assert family_of("customers_email_marketing_consent/update") == "customers"
    assert family_of("customer.tags_added") == "customers"
    assert family_of("customers/redact") == "app"
    assert family_of("bulk_operations/finish") == "app"
    assert family_of("collections/delete") == "collections"
    assert family_of("inventory_levels/update") is None


def test_details_draw_records_per_second_of_each_entity(project, admin_client):
    store = make_store(project, SHOP)
    samples = rates.start_samples(1000.0)
    for second, done in ((1, 200), (2, 600), (3, 900)):
        rates.add_sample(samples, done, now=1000.0 + second)
    EntitySync.objects.create(
        store=store,
        entity=Entity.ORDERS,
        state=EntityState.SYNCING,
        done=900,
        total=2000,
        rate_samples=samples,
    )
    EntitySync.objects.create(store=store, entity=Entity.CUSTOMERS, state=EntityState.PENDING)

    html = admin_client.get(reverse("shopify:store_details", args=[store.pk])).content.decode()

    chart = _figure(html, "rate-orders")
    assert "900 records of 2,000 in 3.0 s: 300 a second on average, 300 now." in chart
    assert len(re.findall(r"<rect ", chart)) == 3
    assert "after 2.0 s: 400 records a second" in chart
    assert 'data-chart="rate-customers"' not in html  # no samples yet: no chart


def test_samples_stay_few_and_close_ones_merge():
    samples = rates.start_samples(0.0)
    assert rates.add_sample(samples, 5, now=0.1)  # a first batch right after the start
    assert not rates.add_sample(samples, 7, now=0.2)  # too close: the newest one moves
    assert samples == [[0.0, 0], [0.2, 7]]
    for i in range(1, 500):
        rates.add_sample(samples, i * 10, now=float(i))
    assert len(samples) <= rates.MAX_SAMPLES
    assert samples[0][0] == 0.0 and samples[-1] == [499.0, 4990]
    assert [t for t, _ in samples] == sorted(t for t, _ in samples)
