"""The Shopify client's edge cases, with Shopify faked at the HTTP transport.

Each test stubs the answers Shopify gives (throttling, 401, 402/423, 5xx, userErrors,
malformed JSON, expiring tokens) with ``httpx.MockTransport`` and checks what the
product does: the named error, retries, the store's status, the stored token pair.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid

import httpx
import pytest
from django.db import connection, connections

from shoplink.core import clock, crypto
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.client import (
    ShopifyAccessDenied,
    ShopifyAuthError,
    ShopifyError,
    ShopifyStoreUnavailable,
    ShopifyThrottled,
    ShopifyUnavailable,
    ShopifyUserError,
)
from shoplink.integrations.shopify.connection import access, tokens
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

COST = {
    "requestedQueryCost": 2,
    "actualQueryCost": 2,
    "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 1990, "restoreRate": 100},
}
THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 50,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 2000,
                "currentlyAvailable": 10,
                "restoreRate": 100000,
            },
        }
    },
}
SHOP_DATA = {"shop": {"name": "Acme"}, "currentAppInstallation": {"accessScopes": []}}


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.SHOPIFY_BASE_URL = "https://{shop}"
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    settings.SHOPIFY_RETRY_MAX_DELAY = 0.01
    settings.SHOPIFY_RETRY_ATTEMPTS = 4


def make_store(project, *, expires_in: int | None = 3600, refresh: bool = True) -> ShopifyStore:
    store = ShopifyStore(
        project=project, domain=f"c{uuid.uuid4().hex[:10]}.myshopify.com", name="Acme"
    )
    body = {"access_token": "shpat_old", "scope": "read_customers,read_orders"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    if refresh:
        body.update(refresh_token="shprt_old", refresh_token_expires_in=7776000)
    tokens.apply_token_response(store, body)
    store.save()
    return store


class FakeShopify:
    """A queue of answers for GraphQL, and a token endpoint; records every request."""

    def __init__(self, *answers, token_answer=None, token_delay: float = 0.0):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.token_requests: list[dict] = []
        self.token_answer = token_answer or {
            "access_token": "shpat_new",
            "scope": "read_customers,read_orders",
            "expires_in": 3600,
            "refresh_token": "shprt_new",
            "refresh_token_expires_in": 7776000,
        }
        self.token_delay = token_delay
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/access_token"):
            with self.lock:
                self.token_requests.append(json.loads(request.content))
            time.sleep(self.token_delay)
            answer = self.token_answer
            if isinstance(answer, httpx.Response):
                return answer
            return httpx.Response(200, json=answer)
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer, headers={"X-Request-Id": "req-123"})

    def client(self, store):
        return access.client_for(store, transport=httpx.MockTransport(self))


def ok(data=SHOP_DATA):
    return {"data": data, "extensions": {"cost": COST}}


@pytest.mark.django_db
def test_graphql_sends_token_and_version_and_returns_data(project, settings):
    """A call goes to <shop>/admin/api/<version>/graphql.json with the access token header."""
    store = make_store(project)
    fake = FakeShopify(ok())
    assert fake.client(store).graphql(queries.SHOP_INFO) == SHOP_DATA
    request = fake.requests[0]
    assert str(request.url) == (
        f"https://{store.domain}/admin/api/{settings.SHOPIFY_API_VERSION}/graphql.json"
    )
    assert request.headers["X-Shopify-Access-Token"] == "shpat_old"


@pytest.mark.django_db
def test_throttled_200_is_retried_then_succeeds(project):
    store = make_store(project)
    fake = FakeShopify(THROTTLED, ok())
    assert fake.client(store).graphql(queries.SHOP_INFO) == SHOP_DATA
    assert len(fake.requests) == 2


@pytest.mark.django_db
def test_throttled_until_retries_run_out_raises_throttled(project):
    store = make_store(project)
    fake = FakeShopify(THROTTLED)
    with pytest.raises(ShopifyThrottled) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    assert len(fake.requests) == 4
    assert info.value.code == "THROTTLED" and info.value.operation == "ShopInfo"


@pytest.mark.django_db
def test_429_with_retry_after_is_retried(project):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(429, headers={"Retry-After": "0.001"}), ok())
    assert fake.client(store).graphql(queries.SHOP_INFO) == SHOP_DATA
    assert len(fake.requests) == 2


@pytest.mark.django_db
def test_5xx_is_retried_with_backoff_then_succeeds(project):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(503), httpx.Response(502), ok())
    assert fake.client(store).graphql(queries.SHOP_INFO) == SHOP_DATA
    assert len(fake.requests) == 3


@pytest.mark.django_db
def test_persistent_5xx_raises_unavailable_after_bounded_retries(project):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(500, headers={"X-Request-Id": "req-500"}))
    with pytest.raises(ShopifyUnavailable) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    assert len(fake.requests) == 4
    assert info.value.status == 500 and info.value.request_id == "req-500"


@pytest.mark.django_db
def test_timeouts_are_retried_then_raise_unavailable(project):
    store = make_store(project)
    fake = FakeShopify(httpx.ReadTimeout("slow"))
    with pytest.raises(ShopifyUnavailable) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    assert info.value.code == "TIMEOUT" and len(fake.requests) == 4


@pytest.mark.django_db
def test_401_without_refresh_token_raises_auth_error_and_requires_reconnect(project):
    store = make_store(project, expires_in=None, refresh=False)
    body = {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    fake = FakeShopify(httpx.Response(401, json=body))
    with pytest.raises(ShopifyAuthError):
        fake.client(store).graphql(queries.SHOP_INFO)
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert store.last_failure["technical"]["http_status"] == 401
    assert "shpat" not in json.dumps(store.last_failure)


@pytest.mark.django_db
def test_401_refreshes_the_token_once_and_retries(project):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(401, json={"errors": "bad"}), ok())
    assert fake.client(store).graphql(queries.SHOP_INFO) == SHOP_DATA
    assert len(fake.token_requests) == 1
    assert fake.requests[1].headers["X-Shopify-Access-Token"] == "shpat_new"


@pytest.mark.parametrize("code", [402, 423])
@pytest.mark.django_db
def test_frozen_or_locked_store_is_not_retried_and_shows_error(project, code):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(code, json={"errors": "Unavailable Shop"}))
    with pytest.raises(ShopifyStoreUnavailable):
        fake.client(store).graphql(queries.SHOP_INFO)
    assert len(fake.requests) == 1
    store.refresh_from_db()
    assert store.status == StoreStatus.ERROR
    assert store.unavailable_reason == "Store unavailable in Shopify (payment required / locked)"


@pytest.mark.django_db
def test_access_denied_graphql_error_raises_access_denied(project):
    store = make_store(project)
    body = {"errors": [{"message": "Access denied", "extensions": {"code": "ACCESS_DENIED"}}]}
    with pytest.raises(ShopifyAccessDenied):
        FakeShopify(body).client(store).graphql(queries.SHOP_INFO)


@pytest.mark.django_db
def test_graphql_errors_in_a_200_are_raised_never_ignored(project):
    store = make_store(project)
    body = {
        "data": {"shop": None},
        "errors": [
            {"message": "Field 'x' doesn't exist", "extensions": {"code": "undefinedField"}}
        ],
    }
    with pytest.raises(ShopifyError) as info:
        FakeShopify(body).client(store).graphql(queries.SHOP_INFO)
    assert info.value.code == "undefinedField"


@pytest.mark.django_db
def test_user_errors_raise_shopify_user_error(project):
    store = make_store(project)
    payload = {
        "webhookSubscriptionCreate": {
            "webhookSubscription": None,
            "userErrors": [{"field": ["uri"], "message": "Address is invalid"}],
        }
    }
    with pytest.raises(ShopifyUserError) as info:
        FakeShopify(ok(payload)).client(store).mutate(
            queries.WEBHOOK_SUBSCRIPTION_CREATE,
            queries.webhook_subscription_create_variables("orders/create", "https://x"),
            "webhookSubscriptionCreate",
        )
    assert info.value.user_errors[0]["message"] == "Address is invalid"
    assert "Address is invalid" in info.value.user_message


@pytest.mark.django_db
def test_malformed_json_raises_unavailable(project):
    store = make_store(project)
    fake = FakeShopify(httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(ShopifyUnavailable) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    assert info.value.code == "MALFORMED_RESPONSE"


@pytest.mark.django_db
def test_token_is_refreshed_five_minutes_before_expiry(project):
    store = make_store(project, expires_in=4 * 60)
    fake = FakeShopify(ok())
    fake.client(store).graphql(queries.SHOP_INFO)
    assert fake.token_requests[0]["grant_type"] == "refresh_token"
    assert fake.token_requests[0]["refresh_token"] == "shprt_old"
    assert fake.requests[0].headers["X-Shopify-Access-Token"] == "shpat_new"
    store.refresh_from_db()
    assert crypto.decrypt(store.access_token_enc) == "shpat_new"
    assert crypto.decrypt(store.refresh_token_enc) == "shprt_new"
    assert store.access_token_expires_at > clock.now() + dt.timedelta(minutes=59)


@pytest.mark.django_db
def test_token_not_refreshed_while_more_than_five_minutes_left(project):
    store = make_store(project, expires_in=6 * 60)
    fake = FakeShopify(ok())
    fake.client(store).graphql(queries.SHOP_INFO)
    assert fake.token_requests == []


@pytest.mark.django_db
def test_invalid_grant_on_refresh_requires_reconnect(project):
    store = make_store(project, expires_in=60)
    bad = httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "The refresh token is invalid"}
    )
    fake = FakeShopify(ok(), token_answer=bad)
    with pytest.raises(ShopifyAuthError) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    assert info.value.code == "invalid_grant"
    store.refresh_from_db()
    assert store.status == StoreStatus.RECONNECT_REQUIRED
    assert "invalid_grant" in store.reconnect_reason
    assert fake.requests == []


@pytest.mark.django_db
def test_no_plain_token_is_stored(project):
    store = make_store(project)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_enc, refresh_token_enc FROM shopify_shopifystore WHERE id = %s",
            [store.pk],
        )
        access, refresh = cursor.fetchone()
    assert "shpat_old" not in access and "shprt_old" not in refresh
    assert crypto.decrypt(access) == "shpat_old"


@pytest.mark.django_db
def test_stream_lines_yields_each_jsonl_line_without_the_token(project):
    store = make_store(project)
    seen = {}

    def handler(request):
        seen["headers"] = request.headers
        return httpx.Response(200, content=b'{"id":"1"}\n{"id":"2"}\n\n{"id":"3"}')

    client = access.client_for(store, transport=httpx.MockTransport(handler))
    url = "https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/out/x-final?s=1"
    lines = list(client.stream_lines(url))
    assert lines == [b'{"id":"1"}', b'{"id":"2"}', b'{"id":"3"}']
    assert "X-Shopify-Access-Token" not in seen["headers"]


class _BreaksAfter(httpx.SyncByteStream):
    """A response body that sends some lines, then loses the connection."""

    def __init__(self, sent: bytes):
        self.sent = sent

    def __iter__(self):
        yield self.sent
        raise httpx.ReadError("connection reset")


RESULT_URL = "https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/out/x-final?s=1"


@pytest.mark.django_db
def test_a_download_that_fails_before_any_line_is_retried(project, settings):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    attempts = []

    def handler(request):
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, content=b'{"id":"1"}\n')

    client = access.client_for(make_store(project), transport=httpx.MockTransport(handler))
    assert list(client.stream_lines(RESULT_URL)) == [b'{"id":"1"}']
    assert len(attempts) == 2


@pytest.mark.django_db
def test_a_download_cut_mid_file_is_not_reread_from_the_start(project, settings):
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.001
    attempts = []

    def handler(request):
        attempts.append(1)
        return httpx.Response(200, stream=_BreaksAfter(b'{"id":"1"}\n{"id":"2"}\n'))

    client = access.client_for(make_store(project), transport=httpx.MockTransport(handler))
    got = []
    with pytest.raises(ShopifyUnavailable) as cut:
        for line in client.stream_lines(RESULT_URL):
            got.append(line)
    # The caller resumes from its checkpoint; a silent re-read would hand it line 1 twice.
    assert got == [b'{"id":"1"}', b'{"id":"2"}'] and len(attempts) == 1
    assert cut.value.code == "NETWORK_ERROR"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://files.example/result.jsonl",
        "http://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/x",  # not https
        "https://storage.googleapis.com/someone-elses-bucket/x",
        "https://storage.googleapis.com/shopify-tiers-assets-/x",
        "https://storage.googleapis.com.evil.example/shopify-tiers-assets-prod/x",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_bulk_result_elsewhere_is_refused_before_any_request(project, url):
    store = make_store(project)
    requested = []

    def handler(request):
        requested.append(str(request.url))
        return httpx.Response(200, content=b'{"id":"1"}')

    client = access.client_for(store, transport=httpx.MockTransport(handler))
    with pytest.raises(ShopifyError) as refused:
        list(client.stream_lines(url))
    assert refused.value.code == "UNTRUSTED_RESULT_URL"
    assert "Refused to download a bulk result from" in str(refused.value)
    assert requested == []


@pytest.mark.django_db
def test_a_bulk_result_on_the_configured_base_url_is_fetched(project, settings):
    settings.SHOPIFY_BASE_URL = "http://127.0.0.1:8081/{shop}"
    store = make_store(project)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b'{"id":"1"}'))
    client = access.client_for(store, transport=transport)
    assert list(client.stream_lines("http://127.0.0.1:8081/_files/t.jsonl")) == [b'{"id":"1"}']
    with pytest.raises(ShopifyError):
        list(client.stream_lines("http://127.0.0.1:9999/_files/t.jsonl"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_makes_exactly_one_token_call(project):
    """Two workers with the same expiring token: one refreshes, the other reuses its result."""
    store = make_store(project, expires_in=60)
    fake = FakeShopify(ok(), token_delay=0.3)
    transport = httpx.MockTransport(fake)
    results, errors = [], []

    def worker():
        try:
            mine = ShopifyStore.objects.get(pk=store.pk)
            results.append(tokens.get_access_token(mine, http=httpx.Client(transport=transport)))
        except Exception as e:  # collected and asserted below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results == ["shpat_new", "shpat_new"]
    assert len(fake.token_requests) == 1


@pytest.mark.django_db
def test_idle_grants_are_refreshed_before_the_refresh_token_runs_out(project):
    due = make_store(project)
    ShopifyStore.objects.filter(pk=due.pk).update(
        refresh_token_expires_at=clock.now() + dt.timedelta(days=2)
    )
    fresh = make_store(project)
    fake = FakeShopify(ok())
    assert (
        tokens.refresh_expiring_grants(http=httpx.Client(transport=httpx.MockTransport(fake))) == 1
    )
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert crypto.decrypt(due.refresh_token_enc) == "shprt_new"
    assert crypto.decrypt(fresh.refresh_token_enc) == "shprt_old"


@pytest.mark.django_db
def test_tokens_never_reach_logs_errors_or_activity(project, caplog):
    caplog.set_level("DEBUG")
    store = make_store(project, expires_in=60)
    fake = FakeShopify(httpx.Response(401, json={"errors": "bad"}), httpx.Response(500))
    with pytest.raises(ShopifyError) as info:
        fake.client(store).graphql(queries.SHOP_INFO)
    store.refresh_from_db()
    seen = " ".join(
        [
            caplog.text,
            str(info.value),
            json.dumps(info.value.technical()),
            json.dumps(store.last_failure),
            *store.activity.values_list("message", flat=True),
        ]
    )
    for secret in ("shpat_old", "shprt_old", "shpat_new", "shprt_new", "shoplink-test-secret"):
        assert secret not in seen
