"""The Event push pages over HTTP: admins only, secret shown once, test event, log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shoplink.hooks import signing
from shoplink.hooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_only_admins_open_event_push(viewer_client, editor_client, admin_client):
    url = reverse("hooks:endpoints")
    assert viewer_client.get(url).status_code == 403
    assert editor_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_admin_adds_an_endpoint_sends_a_test_and_sees_the_log(
    admin_client, project, receiver, django_capture_on_commit_callbacks
):
    response = admin_client.post(
        reverse("hooks:endpoints"),
        {"url": receiver.url, "description": "CRM", "event_names": ["shopify_order_placed"]},
    )
    assert response.status_code == 201
    endpoint = Endpoint.objects.get(project=project)
    assert endpoint.event_names == ["shopify_order_placed"]
    body = response.content.decode()
    secret = body.split('id="signing-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and response["Cache-Control"] == "no-store"
    # Shown once: the page does not show it again.
    again = admin_client.get(reverse("hooks:endpoint", args=[endpoint.pk])).content.decode()
    assert secret not in again

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("hooks:endpoint_action", args=[endpoint.pk, "test"]))
    [request] = receiver.accepted
    assert request["json"]["type"] == "shoplink.test"
    assert signing.verify(
        secret, request["headers"], request["body"], int(request["headers"]["webhook-timestamp"])
    )
    log = admin_client.get(reverse("hooks:endpoint", args=[endpoint.pk])).content.decode()
    assert Delivery.objects.get().message_id in log and "Delivered" in log


def test_an_unsafe_url_is_refused_with_the_reason(admin_client, project, settings):
    settings.HOOKS_ALLOWED_NETWORKS = []
    response = admin_client.post(reverse("hooks:endpoints"), {"url": "http://127.0.0.1:9/x"})
    assert response.status_code == 400
    assert "loopback" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_another_projects_endpoint_is_404(admin_client, receiver):
    from shoplink.hooks import services
    from shoplink.projects.services import create_project

    other, _ = services.create_endpoint(create_project("Other"), receiver.url)
    assert admin_client.get(reverse("hooks:endpoint", args=[other.pk])).status_code == 404
    action = reverse("hooks:endpoint_action", args=[other.pk, "reveal"])
    assert admin_client.post(action).status_code == 404


def test_the_log_and_the_list_cost_the_same_queries_for_few_or_many_rows(
    admin_client, project, receiver
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shoplink.hooks import services

    endpoint, _ = services.create_endpoint(project, receiver.url)

    def add(n):
        for _ in range(n):
            services.create_endpoint(project, receiver.url)
            Delivery.objects.create(endpoint=endpoint, name="shoplink.test")

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx)

    detail = reverse("hooks:endpoint", args=[endpoint.pk])
    add(3)
    few = (queries(detail), queries(reverse("hooks:endpoints")))
    add(40)
    assert (queries(detail), queries(reverse("hooks:endpoints"))) == few
