"""The client against the simulator over HTTP: token rotation, one refresh in flight, throttling.

Keeps the simulator honest for what the client relies on (HOUSE_STYLE "Keep the
simulator honest"): rotating refresh tokens, the token endpoint, cost and THROTTLED.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connections

from shoplink.core import clock, crypto
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.connection import access, tokens
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.tests.connect_helpers import connect

pytestmark = pytest.mark.simulator


def expire_soon(store: ShopifyStore) -> None:
    ShopifyStore.objects.filter(pk=store.pk).update(
        access_token_expires_at=clock.now() + dt.timedelta(minutes=2)
    )
    store.refresh_from_db()


def tokens_issued(sim, domain: str) -> int:
    return sim.control("GET", f"/shops/{domain}/tokens")["issued"]


@pytest.mark.django_db
def test_refresh_rotates_the_pair_and_the_new_refresh_token_works(
    admin_client, shopify_sim, unique_shop
):
    connect(admin_client, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    first_refresh = crypto.decrypt(store.refresh_token_enc)
    for _ in range(2):  # the second refresh uses the token the first one stored
        expire_soon(store)
        data = access.client_for(store).graphql(queries.ACCESS_SCOPES)
        assert data["currentAppInstallation"]["accessScopes"]
    store.refresh_from_db()
    assert crypto.decrypt(store.refresh_token_enc) != first_refresh
    assert store.access_token_expires_at > clock.now() + dt.timedelta(minutes=55)


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_make_one_token_call(
    make_user, project, shopify_sim, unique_shop
):
    from django.test import Client

    admin = Client()
    admin.force_login(make_user("alice", project, "admin"))
    connect(admin, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    expire_soon(store)
    before = tokens_issued(shopify_sim, unique_shop)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            mine = ShopifyStore.objects.get(pk=store.pk)
            barrier.wait()
            results.append(tokens.get_access_token(mine))
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
    assert len(set(results)) == 1
    assert tokens_issued(shopify_sim, unique_shop) == before + 1


@pytest.mark.django_db
def test_throttling_is_paced_and_retried_not_raised(
    admin_client, shopify_sim, unique_shop, settings
):
    """A burst beyond the bucket is paced/retried by the client and never raised."""
    settings.SHOPIFY_RETRY_BASE_DELAY = 0.2
    settings.SHOPIFY_RETRY_MAX_DELAY = 3.0
    settings.SHOPIFY_RETRY_ATTEMPTS = 6
    connect(admin_client, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"restore_rate": 3})
    client = access.client_for(store)
    started = time.monotonic()
    for _ in range(12):  # ~6 points each; the bucket holds 60, refilling at 3/s
        data = client.graphql(queries.SHOP_INFO)
        assert data["shop"]["myshopifyDomain"] == unique_shop
    # The bucket ran dry, so someone waited for it to refill (pacer or THROTTLED retry).
    assert time.monotonic() - started > 1.0


@pytest.mark.django_db(transaction=True)
def test_a_slow_refresh_holds_no_lock_the_receiver_waits_on(
    make_user, project, shopify_sim, unique_shop
):
    """While Shopify takes 3 s to answer a refresh (and a second worker waits for it), a
    webhook delivery is still acknowledged at once: no write lock spans the HTTP call."""
    import http.client
    import json
    from wsgiref.simple_server import WSGIServer, make_server

    from django.test import Client

    from config.wsgi import WEBHOOK_PATH, application
    from shoplink.integrations.shopify.models import WebhookDelivery
    from shoplink.integrations.shopify.tests.webhook_helpers import load, signed_headers
    from shoplink.integrations.shopify.tests.webhooks.test_dispatcher import (
        _http_headers,
        _QuietHandler,
    )

    admin = Client()
    admin.force_login(make_user("alice", project, "admin"))
    connect(admin, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    expire_soon(store)
    before = tokens_issued(shopify_sim, unique_shop)
    shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"latency_ms": 3000})
    httpd = make_server("127.0.0.1", 0, application, WSGIServer, _QuietHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    results, errors = [], []

    def worker():
        try:
            results.append(tokens.get_access_token(ShopifyStore.objects.get(pk=store.pk)))
        except Exception as e:  # collected and asserted below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for t in threads:
            t.start()
            time.sleep(0.2)  # the first one's call is in flight when the second arrives
        time.sleep(0.3)
        body = json.dumps(load("products/update")).encode()
        headers = _http_headers(signed_headers(body, "products/update", unique_shop))
        conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=30)
        started = time.monotonic()
        conn.request("POST", WEBHOOK_PATH, body, headers)
        answer = conn.getresponse()
        answer.read()
        elapsed = time.monotonic() - started
        conn.close()
        for t in threads:
            t.join(30)
    finally:
        httpd.shutdown()
        httpd.server_close()
        shopify_sim.control("POST", f"/shops/{unique_shop}/faults", {"reset": True})
    assert answer.status == 200
    assert elapsed < 1.0, f"the receiver waited {elapsed:.1f} s behind the refresh"
    assert WebhookDelivery.objects.filter(shop_domain=unique_shop).count() == 1
    assert errors == [] and len(set(results)) == 1
    assert tokens_issued(shopify_sim, unique_shop) == before + 1
