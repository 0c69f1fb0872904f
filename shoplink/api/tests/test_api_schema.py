"""The JSON API against its own OpenAPI description, with schemathesis (issue 12).

Generated requests for every operation: no answer is a 500 and every answer matches
the schema; without a key every operation is refused (401); with another project's
key, this project's store is never found (404). Kept short (a few examples per
operation) so it runs in ``make test`` in well under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from shoplink.api.models import ApiKey
from shoplink.api.v1 import api
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.projects.services import create_project

pytestmark = pytest.mark.django_db
_HANDLER = WSGIHandler()


def _app(environ, start_response):
    """Django's WSGI handler inside the test's transaction (as Django's test client does,
    the per-request connection closing is off, or the test database would be closed)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        return _HANDLER(environ, start_response)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


EXAMPLES = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = _app
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
STORE_OPERATIONS = [op for op in OPERATIONS if "{store_id}" in op.path]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _label(op) -> str:
    return f"{op.method.upper()} {op.path}"


@pytest.fixture(autouse=True)
def no_real_shop(settings):
    # Nothing generated may reach a real shop: any Shopify call fails fast and locally.
    settings.SHOPIFY_BASE_URL = "http://127.0.0.1:9/{shop}"
    settings.SHOPIFY_RETRY_ATTEMPTS = 1


@pytest.fixture
def keys(project):
    """A key of this project (which holds a store) and one of another project."""
    ShopifyStore.objects.create(project=project, domain="mine.myshopify.com")
    _, own = ApiKey.issue(project, "own")
    _, other = ApiKey.issue(create_project("Other"), "other")
    return {"own": own, "other": other}


def _without_auth(case) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_no_500_and_every_answer_matches_the_schema(operation, keys):
    @EXAMPLES
    @given(case=operation.as_strategy())
    def run(case):
        _without_auth(case)
        case.call_and_validate(headers={"Authorization": f"Bearer {keys['own']}"}, checks=CHECKS)

    run()


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_every_operation_refuses_a_call_without_a_valid_key(operation, keys):
    @settings(EXAMPLES, max_examples=2)
    @given(case=operation.as_strategy())
    def run(case):
        _without_auth(case)
        for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": keys["own"]}):
            response = case.call(headers=headers)
            assert response.status_code == 401, (headers, response.status_code)

    run()


@pytest.mark.parametrize("operation", STORE_OPERATIONS, ids=_label)
def test_another_projects_key_never_reaches_this_projects_store(operation, keys, project):
    store = ShopifyStore.objects.get(project=project)

    @settings(EXAMPLES, max_examples=3)
    @given(case=operation.as_strategy())
    def run(case):
        _without_auth(case)
        case.path_parameters = {**(case.path_parameters or {}), "store_id": store.pk}
        response = case.call(headers={"Authorization": f"Bearer {keys['other']}"})
        assert response.status_code in (404, 422), response.status_code
        store.refresh_from_db()
        assert store.status == "connected"

    run()
