"""``/metrics``: the operator's gauges in Prometheus' text format, behind a bearer token."""

import datetime as dt

import pytest
from django.urls import reverse

from shoplink.core.metrics import register_gauge, render, unregister_gauge
from shoplink.integrations.shopify.models import DeliveryState, ShopifyStore, WebhookDelivery

URL = "/metrics"


def test_the_url_is_the_documented_one():
    assert reverse("web:metrics") == URL


@pytest.mark.django_db
def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_a_wrong_or_missing_token_is_refused(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get(URL).status_code == 401
    refused = client.get(URL, HTTP_AUTHORIZATION="Bearer nope")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_the_gauges_an_operator_watches(client, settings, project, frozen_clock):
    settings.METRICS_TOKEN = "scrape-secret"
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    frozen_clock.freeze(now)
    ShopifyStore.objects.create(project=project, domain="a.myshopify.com", status="connected")
    for i, age in enumerate((5, 90)):
        WebhookDelivery.objects.create(
            webhook_id=f"w{i}",
            topic="orders/create",
            shop_domain="a.myshopify.com",
            received_at=now - dt.timedelta(seconds=age),
            state=DeliveryState.RECEIVED,
        )
    response = client.get(URL, HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    values = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    # At least ours: a late delivery from another test's simulator may be in this database
    # too (the gauges are global by design).
    assert float(values["shoplink_webhook_deliveries_waiting"]) >= 2
    assert float(values["shoplink_webhook_oldest_waiting_seconds"]) >= 90
    assert float(values['shoplink_stores{status="connected"}']) >= 1
    assert "# TYPE shoplink_queue_depth gauge" in text
    assert "shoplink_imports_running" in values


def test_labels_are_escaped_and_a_broken_gauge_is_skipped():
    register_gauge("test_labelled", "Labels.", lambda: {(("name", 'a"b\\c'),): 1.0})
    register_gauge("test_broken", "Raises.", lambda: 1 / 0)
    try:
        text = render()
    finally:
        unregister_gauge("test_labelled")
        unregister_gauge("test_broken")
    assert 'test_labelled{name="a\\"b\\\\c"} 1.0' in text
    assert "test_broken" not in text


@pytest.mark.django_db(transaction=True)
def test_the_queue_depth_counts_jobs_waiting_on_either_backend(client, settings, real_queue):
    """Three shops' first deliveries queue three drains: the gauge reads the real queue
    (Huey's SQLite file, or Redis when the run has ``REDIS_URL``), and reads 0 once empty."""
    from shoplink.integrations.shopify.tests.webhook_helpers import load, post

    settings.METRICS_TOKEN = "scrape-secret"

    def depth() -> float:
        text = client.get(URL, HTTP_AUTHORIZATION="Bearer scrape-secret").content.decode()
        return float(
            next(
                line.rsplit(" ", 1)[1]
                for line in text.splitlines()
                if line.startswith("shoplink_queue_depth ")
            )
        )

    assert depth() == 0
    for n in range(3):
        assert (
            post(client, "orders/create", load("orders/updated"), f"q{n}.myshopify.com").status_code
            == 200
        )
    # At least these three drains: the queue is the test process's real one, where a late
    # job of an earlier test (a simulator retry reaching its live server) may also wait.
    # Without the gauge reading the queue it would stay at 0.
    assert 3 <= depth() <= 4
    real_queue.flush()
    assert depth() == 0
