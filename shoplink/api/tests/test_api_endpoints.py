"""The JSON API's push endpoints: register (secret once), test, log, disable, refuse."""

from __future__ import annotations

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.hooks import signing
from shoplink.hooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def receiver():
    r = Receiver()
    r.start()
    yield r
    r.stop()


def test_register_test_and_read_the_log(api, receiver, django_capture_on_commit_callbacks):
    created = api.post(
        "/api/v1/endpoints",
        {"url": receiver.url, "event_names": ["shopify_order_paid"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    secret, endpoint_id = body["secret"], body["id"]
    assert "secret" not in api.get(f"/api/v1/endpoints/{endpoint_id}").json()

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/endpoints/{endpoint_id}/test").status_code == 202
    [request] = receiver.accepted
    now = int(request["headers"]["webhook-timestamp"])
    assert signing.verify(secret, request["headers"], request["body"], now)
    [logged] = api.get(f"/api/v1/endpoints/{endpoint_id}/deliveries").json()
    assert logged["status"] == "delivered" and logged["response_code"] == 204
    assert logged["message_id"] == request["headers"]["webhook-id"]

    patched = api.patch(
        f"/api/v1/endpoints/{endpoint_id}", {"enabled": False}, content_type="application/json"
    ).json()
    assert patched["enabled"] is False and patched["disabled_reason"]
    assert api.delete(f"/api/v1/endpoints/{endpoint_id}").status_code == 204
    assert api.get("/api/v1/endpoints").json() == []


def test_unsafe_urls_get_400_with_the_reason(api, settings):
    settings.HOOKS_ALLOWED_NETWORKS = []
    response = api.post(
        "/api/v1/endpoints", {"url": "http://169.254.169.254/"}, content_type="application/json"
    )
    assert response.status_code == 400 and "link-local" in response.json()["detail"]
