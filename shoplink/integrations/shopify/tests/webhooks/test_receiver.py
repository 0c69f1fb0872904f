"""The receiver (D19): verify, record once, acknowledge; reject what is not Shopify's."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import (
    load,
    make_store,
    post,
    sender,
    signed_headers,
)

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def test_a_signed_delivery_is_recorded_processed_and_its_body_blanked(store, deliver):
    response = deliver("products/update", load("products/update"), SHOP, webhook_id="w-1")
    assert response.status_code == 200
    row = WebhookDelivery.objects.get(webhook_id="w-1")
    assert (row.topic, row.shop_domain, row.state) == ("products/update", SHOP, "processed")
    assert row.headers["X-Shopify-API-Version"] == "2026-07"
    assert row.triggered_at is not None and row.processed_at is not None
    assert row.body is None


def test_a_duplicate_webhook_id_answers_200_and_does_nothing(store, deliver):
    body = load("products/update")
    deliver("products/update", body, SHOP, webhook_id="dup")
    again = deliver("products/update", body, SHOP, webhook_id="dup")
    assert again.status_code == 200
    assert WebhookDelivery.objects.filter(webhook_id="dup").count() == 1


@pytest.mark.parametrize("tamper", ["body", "header", "secret", "missing"])
def test_a_bad_signature_answers_401_and_stores_nothing(client, store, tamper):
    body = json.dumps(load("products/update")).encode()
    headers = signed_headers(
        body, "products/update", SHOP, secret="not-the-secret" if tamper == "secret" else None
    )
    if tamper == "body":
        body = body.replace(b"Example T-Shirt", b"Example T-Shirz")
    if tamper == "header":
        digest = headers["HTTP_X_SHOPIFY_HMAC_SHA256"]
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = ("A" if digest[0] != "A" else "B") + digest[1:]
    if tamper == "missing":
        del headers["HTTP_X_SHOPIFY_HMAC_SHA256"]
    response = client.post(
        reverse("shopify:webhooks"), data=body, content_type="application/json", **headers
    )
    assert response.status_code == 401
    # This delivery only: a stray row committed by another test may be there (as in the
    # metrics and batch tests).
    assert not WebhookDelivery.objects.filter(
        webhook_id=headers["HTTP_X_SHOPIFY_WEBHOOK_ID"]
    ).exists()


def test_compliance_topics_also_answer_401_on_a_bad_signature(client, store):
    body = json.dumps(load("shop/redact", shop=SHOP)).encode()
    headers = signed_headers(body, "shop/redact", SHOP, secret="wrong")
    response = client.post(
        reverse("shopify:webhooks"), data=body, content_type="application/json", **headers
    )
    assert response.status_code == 401


def test_the_previous_secret_is_accepted_during_a_rotation(client, store, settings):
    settings.SHOPIFY_API_SECRET_PREVIOUS = "old-secret"
    settings.SHOPIFY_API_SECRET_PREVIOUS_UNTIL = "2999-01-01T00:00:00Z"
    assert (
        post(client, "carts/update", load("carts/update"), SHOP, secret="old-secret").status_code
        == 200
    )
    settings.SHOPIFY_API_SECRET_PREVIOUS_UNTIL = "2000-01-01T00:00:00Z"
    assert (
        post(client, "carts/update", load("carts/update"), SHOP, secret="old-secret").status_code
        == 401
    )


def test_a_malformed_body_is_400_and_recorded_as_rejected(client, store):
    response = post(client, "orders/create", b"{not json", SHOP, webhook_id="bad-json")
    assert response.status_code == 400
    row = WebhookDelivery.objects.get(webhook_id="bad-json")
    assert row.state == DeliveryState.REJECTED and row.body is None


def test_an_oversized_body_is_413_and_nothing_is_stored(client, store):
    body = b'{"pad": "' + b"x" * (5 * 1024 * 1024 + 10) + b'"}'
    response = post(client, "orders/create", body, SHOP, webhook_id="huge")
    assert response.status_code == 413
    assert not WebhookDelivery.objects.filter(webhook_id="huge").exists()


def test_an_unknown_topic_answers_200_and_is_recorded_as_ignored(client, store):
    response = post(client, "inventory_levels/update", {"id": 1}, SHOP, webhook_id="inv")
    assert response.status_code == 200
    assert WebhookDelivery.objects.get(webhook_id="inv").state == DeliveryState.IGNORED


def test_a_delivery_for_an_unknown_shop_is_ignored(deliver):
    deliver("products/update", load("products/update"), "nobody.myshopify.com", webhook_id="x")
    row = WebhookDelivery.objects.get(webhook_id="x")
    assert row.state == DeliveryState.IGNORED and row.note == "No store linked for this shop"


def test_only_post_is_accepted(client):
    assert client.get(reverse("shopify:webhooks")).status_code == 405


def test_the_sweeper_processes_deliveries_left_unprocessed(
    client, store, frozen_clock, django_capture_on_commit_callbacks
):
    """A delivery whose job was lost (worker crash) is picked up after a minute."""
    import datetime as dt

    from shoplink.queue.jobs import run_sweepers

    frozen_clock.freeze(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC))
    # No on-commit capture: the enqueued job never runs, as if the worker died.
    post(client, "products/update", load("products/update"), SHOP, webhook_id="lost")
    assert WebhookDelivery.objects.get(webhook_id="lost").state == DeliveryState.RECEIVED
    frozen_clock.advance(dt.timedelta(minutes=2))
    # The minute sweep runs in a worker, outside any transaction: its requests for work
    # are enqueued at once. Here the test's transaction is committed for it.
    with django_capture_on_commit_callbacks(execute=True):
        run_sweepers()
    assert WebhookDelivery.objects.get(webhook_id="lost").state == DeliveryState.PROCESSED


def test_a_failing_delivery_is_retried_then_failed_without_personal_data_in_logs(
    store, deliver, caplog, frozen_clock, django_capture_on_commit_callbacks
):
    """A payload our mapping cannot read fails after bounded retries; logs name no one."""
    import datetime as dt

    from shoplink.integrations.shopify.webhooks.topics.base import MAX_ATTEMPTS
    from shoplink.queue.jobs import run_sweepers

    frozen_clock.freeze(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC))
    broken = {"email": "secret.person@example.com", "line_items": "not a list"}  # no "id"
    deliver("orders/create", broken, SHOP, webhook_id="broken")
    row = WebhookDelivery.objects.get(webhook_id="broken")
    assert (row.state, row.note, row.attempts) == ("received", "Error: KeyError", 1)
    for _ in range(MAX_ATTEMPTS):
        frozen_clock.advance(dt.timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):  # a worker's autocommit
            run_sweepers()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.body) == (DeliveryState.FAILED, MAX_ATTEMPTS, None)
    assert "secret.person" not in caplog.text
    assert "KeyError" in caplog.text


@pytest.mark.parametrize("until", ["", "next tuesday", "2026-13-45"])
def test_the_previous_secret_needs_a_valid_deadline_for_webhooks_too(
    client, store, settings, until
):
    """One rule for OAuth and webhooks: no valid deadline, no previous secret (defect 3)."""
    settings.SHOPIFY_API_SECRET_PREVIOUS = "old-secret"
    settings.SHOPIFY_API_SECRET_PREVIOUS_UNTIL = until
    response = post(
        client, "carts/update", load("carts/update"), SHOP, secret="old-secret", webhook_id="old"
    )
    assert response.status_code == 401
    assert not WebhookDelivery.objects.filter(webhook_id="old").exists()
