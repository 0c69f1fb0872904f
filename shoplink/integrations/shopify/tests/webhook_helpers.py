"""Factories for webhook tests: a linked store, fixture bodies, signed deliveries.

The HMAC is always computed here with the test secret (HOUSE_STYLE: never a hard-coded
digest), so a test that tampers with body, header or secret proves the check.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from shoplink.audience.services import create_list
from shoplink.core import clock
from shoplink.integrations.shopify.api.signing import webhook_hmac
from shoplink.integrations.shopify.models import ShopifyStore

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"


def make_store(project, domain: str = "snowdevil.myshopify.com", **fields) -> ShopifyStore:
    """A Connected store whose initial sync finished a day ago, with its customer list."""
    name = fields.pop("name", "Snow Devil")
    store = ShopifyStore.objects.create(project=project, domain=domain, name=name, **fields)
    if "customer_list" not in fields:
        store.customer_list = create_list(
            project, f"{name} customers", created_by_source=store.source
        )
    if "initial_sync_completed_at" not in fields:
        store.initial_sync_completed_at = clock.now() - dt.timedelta(days=1)
    store.save()
    return store


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.json"))


def topic_of(fixture_name: str) -> str:
    """``orders__updated__sample.json`` → ``orders/updated`` (the part before the variant)."""
    stem = fixture_name.removesuffix(".json")
    topic_part, _, _variant = stem.rpartition("__")
    return topic_part.replace("__", "/")


def load(topic: str, variant: str = "sample", shop: str | None = None) -> dict:
    """The fixture body as a dict, with the compliance samples' ``{shop}`` filled in."""
    text = (FIXTURES / f"{topic.replace('/', '__')}__{variant}.json").read_text()
    if shop:
        text = text.replace("{shop}.myshopify.com", shop)
    return json.loads(text)


def signed_headers(body: bytes, topic: str, shop: str, secret: str | None = None, **extra):
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_HMAC_SHA256": webhook_hmac(body, secret or settings.SHOPIFY_API_SECRET),
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
        "HTTP_X_SHOPIFY_API_VERSION": "2026-07",
        "HTTP_X_SHOPIFY_WEBHOOK_ID": extra.pop("webhook_id", None) or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_TRIGGERED_AT": extra.pop(
            "triggered_at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ),
        "HTTP_X_SHOPIFY_EVENT_ID": str(uuid.uuid4()),
    }
    headers.update(extra)
    return headers


def post(client, topic: str, payload: dict | bytes, shop: str, **kwargs):
    """POST one signed delivery to the receiver; returns the response."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(body, topic, shop, **kwargs)
    return client.post(
        reverse("shopify:webhooks"), data=body, content_type="application/json", **headers
    )


def sender(client, capture_on_commit):
    """Return ``send(topic, payload, shop, **headers)``: post signed, then run what was enqueued.

    ``capture_on_commit`` is pytest-django's ``django_capture_on_commit_callbacks``; the
    queue runs in immediate mode, so processing happens inside ``send``.
    """

    def send(topic: str, payload: dict | bytes, shop: str, **kwargs):
        with capture_on_commit(execute=True):
            return post(client, topic, payload, shop, **kwargs)

    return send
