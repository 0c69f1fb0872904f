"""Retention (issue 12, defect 7): the nightly prune through its command and the job."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shoplink.integrations.shopify.models import ActivityEntry, DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, post, sender

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def _prune(*args: str) -> str:
    out = io.StringIO()
    call_command("shopify_prune", *args, stdout=out)
    return out.getvalue()


def test_deliveries_are_kept_fourteen_days_and_pending_ones_for_ever(
    store, client, deliver, frozen_clock
):
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    frozen_clock.freeze(start)
    for n in range(25):
        deliver("products/update", load("products/update"), SHOP, webhook_id=f"old-{n}")
    # One the worker never got to (its drain was lost): it stays whatever its age.
    other = "other.myshopify.com"
    post(client, "products/update", load("products/update"), other, webhook_id="pending")
    frozen_clock.freeze(start + dt.timedelta(days=13, hours=23))
    deliver("products/update", load("products/update"), SHOP, webhook_id="recent")
    assert "webhook_deliveries: 0" in _prune()

    frozen_clock.freeze(start + dt.timedelta(days=14, minutes=1))
    # The inbox may be a database of its own (core/dbrouter.py): count its statements.
    with CaptureQueriesContext(connections[router.db_for_write(WebhookDelivery)]) as queries:
        assert "webhook_deliveries: 25" in _prune("--batch-size", "10")
    deletes = [q for q in queries if q["sql"].startswith('DELETE FROM "shopify_webhookdelivery"')]
    assert len(deletes) == 3  # 10 + 10 + 5: bounded batches, never one huge statement
    # This test's shops only: on PostgreSQL a late simulator retry for another test's shop
    # is visible as soon as the live server commits it.
    mine = WebhookDelivery.objects.filter(shop_domain__in=[SHOP, other])
    left = dict(mine.values_list("webhook_id", "state"))
    assert left == {"pending": DeliveryState.RECEIVED, "recent": DeliveryState.PROCESSED}


def test_activity_is_kept_ninety_days_then_configurable(store, settings, frozen_clock):
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    for age in (100, 91, 89, 1):
        ActivityEntry.objects.create(
            store=store, at=start - dt.timedelta(days=age), kind="sync", message=f"{age}"
        )
    frozen_clock.freeze(start)
    assert "activity: 2" in _prune()
    assert sorted(store.activity.values_list("message", flat=True)) == ["1", "89"]
    settings.ACTIVITY_RETENTION_DAYS = 7
    assert "activity: 1" in _prune()


def test_a_data_request_export_expires_after_thirty_days(
    store, admin_client, deliver, frozen_clock, settings
):
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    frozen_clock.freeze(start)
    deliver("customers/data_request", load("customers/data_request", shop=SHOP), SHOP)
    entry = ActivityEntry.objects.get(kind="privacy_export")
    url = reverse("shopify:privacy_export", args=[store.pk, entry.pk])
    assert admin_client.get(url).status_code == 200
    frozen_clock.freeze(start + dt.timedelta(days=31))
    assert admin_client.get(url).status_code == 404  # expired before the prune ran
    assert "exports_expired: 1" in _prune()
    entry.refresh_from_db()
    assert "export" not in entry.detail and entry.detail["expired"] is True
    assert entry.detail["customer_id"] == "191167"  # the record that it was answered


def test_the_nightly_job_is_declared_and_prunes(store, frozen_clock):
    from huey.contrib.djhuey import HUEY

    from shoplink.integrations.shopify.jobs.webhooks import nightly_prune

    assert "nightly_prune" in {t.__name__ for t in HUEY._registry._periodic_tasks}
    frozen_clock.freeze(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    ActivityEntry.objects.create(
        store=store, at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), kind="x", message="old"
    )
    nightly_prune.call_local()
    assert not store.activity.exists()
