"""Helpers for sync tests: a store connected to the simulator through real OAuth over HTTP."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import httpx
from django.conf import settings

from shoplink.audience.services import create_list
from shoplink.integrations.shopify.api import client
from shoplink.integrations.shopify.connection import tokens
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore

SCOPES = "read_customers,read_orders,read_products"
EXPORTS = {
    "customers": "customers",
    "orders": "orders",
    "checkouts": "checkouts",
    "products": "products",
    "collections": "collections",
}


def create_shop(sim, domain: str, **profile) -> None:
    """Create (or replace) a simulator shop with its own data profile."""
    sim.control("POST", "/shops", {"domain": domain, **profile})


def connect_store(sim, project, domain: str, scopes=SCOPES, **fields) -> ShopifyStore:
    """Install the app on ``domain`` in the simulator and store the expiring token pair.

    The one test helper for "a store connected to the simulator" (sync, webhook and
    write-back tests alike). Runs the merchant's Install click (the authorize form POST)
    and the code exchange over HTTP, exactly as a browser and the OAuth callback would,
    then stores the tokens the way the callback does (``tokens.apply_token_response``:
    encrypted at rest). ``scopes`` is a comma string or a list; ``fields`` go on the
    store row (e.g. Data-to-Shopify toggles).
    """
    if not isinstance(scopes, str):
        scopes = ",".join(scopes)
    redirect = "http://127.0.0.1/integrations/shopify/callback"
    answer = httpx.post(
        f"{sim.url}/{domain}/admin/oauth/authorize",
        data={
            "client_id": settings.SHOPIFY_API_KEY,
            "redirect_uri": redirect,
            "state": "test-state",
            "scope": scopes,
            "grant": "",
            "decision": "install",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
    body = client.request_token(
        domain,
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "client_secret": settings.SHOPIFY_API_SECRET,
            "code": code,
            "expiring": "1",
        },
    )
    store = ShopifyStore(project=project, domain=domain, name=domain.split(".")[0], **fields)
    tokens.apply_token_response(store, body)
    store.save()
    return store


def with_customer_list(store: ShopifyStore) -> ShopifyStore:
    """Give ``store`` its "<shop> customers" list, as a real connect does (D8).

    ``connect_store`` skips the OAuth callback, which creates the list; a sync with
    Customer profiles on refuses to start without one (issue 14).
    """
    store.customer_list = create_list(store.project, f"{store.domain} customers")
    store.save(update_fields=["customer_list"])
    return store


def exported_ids(sim, domain: str, resource: str) -> set[str]:
    rows = sim.control("GET", f"/shops/{domain}/export/{resource}")
    return {str(r["id"]) for r in rows}


def entity_states(store) -> dict[str, str]:
    return dict(EntitySync.objects.filter(store=store).values_list("entity", "state"))


def wait_for(predicate, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)
