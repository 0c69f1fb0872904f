"""Per-store webhook subscriptions: which topics a store needs, and making Shopify agree.

Owns the three verbs the other modules call (the topic tables are ``api/topics.py``):
``sync_subscriptions`` (initial sync start, toggle changes, health check),
``remove_subscriptions`` (Disconnect) and ``list_subscriptions``. Subscriptions exist only
for enabled categories plus the app/ops topics (D19); compliance topics are app-level
(TOML / Partner Dashboard) and never subscribed per shop (§2.4).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import ShopifyUserError
from shoplink.integrations.shopify.api.topics import ALWAYS_TOPICS, CATEGORY_TOPICS, KNOWN_TOPICS
from shoplink.integrations.shopify.connection.access import client_for


def callback_url() -> str:
    """The receiver's absolute URL, as Shopify must call it."""
    return settings.APP_URL.rstrip("/") + reverse("shopify:webhooks")


def expected_topics(store) -> set[str]:
    """Return the topics ``store`` should be subscribed to for its current toggles."""
    topics = set(ALWAYS_TOPICS)
    for category, category_topics in CATEGORY_TOPICS.items():
        if getattr(store, category):
            topics.update(category_topics)
    return topics


def list_subscriptions(store) -> list[dict[str, Any]]:
    """Return the store's subscriptions as ``{"id", "topic", "uri"}`` (topic as header form)."""
    client = client_for(store)
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = client.graphql(
            queries.WEBHOOK_SUBSCRIPTIONS, queries.webhook_subscriptions_variables(after)
        )
        page = data["webhookSubscriptions"]
        for edge in page["edges"]:
            node = edge["node"]
            found.append(
                {"id": node["id"], "topic": topic_from_enum(node["topic"]), "uri": node.get("uri")}
            )
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def sync_subscriptions(store) -> dict[str, list[str]]:
    """Create missing and delete unneeded subscriptions; return what changed.

    The answer is ``{"created": [...], "deleted": [...], "present": n}``: ``present``
    counts our subscriptions on the shop afterwards, so Store details can say what
    exists rather than what was expected.

    Only subscriptions pointing at our receiver are managed: anything else on the shop
    belongs to someone else. Also re-creates subscriptions Shopify deleted after eight
    failed deliveries (PLATFORM.md §2.2, §9 trap 8).
    """
    uri = callback_url()
    wanted = expected_topics(store)
    ours = [s for s in list_subscriptions(store) if s["uri"] == uri]
    have = {s["topic"] for s in ours}
    client = client_for(store)
    created, deleted = [], []
    for topic in sorted(wanted - have):
        data = client.graphql(
            queries.WEBHOOK_SUBSCRIPTION_CREATE,
            queries.webhook_subscription_create_variables(topic, uri),
        )
        errors = data["webhookSubscriptionCreate"]["userErrors"]
        if errors:
            raise ShopifyUserError(errors)
        created.append(topic)
    seen: set[str] = set()
    for sub in ours:
        # Unneeded topics go, and so do duplicates of a needed one (one delivery each).
        if sub["topic"] not in wanted or sub["topic"] in seen:
            _delete(client, sub["id"])
            deleted.append(sub["topic"])
        seen.add(sub["topic"])
    return {"created": created, "deleted": deleted, "present": len(wanted)}


def remove_subscriptions(store) -> int:
    """Delete every subscription of ours on the shop (Disconnect, D29); return how many."""
    uri = callback_url()
    client = client_for(store)
    ours = [s for s in list_subscriptions(store) if s["uri"] == uri]
    for sub in ours:
        _delete(client, sub["id"])
    return len(ours)


def _delete(client, subscription_id: str) -> None:
    client.graphql(queries.WEBHOOK_SUBSCRIPTION_DELETE, queries.id_variables(subscription_id))


_ENUM_SPECIAL = {
    "CUSTOMER_TAGS_ADDED": "customer.tags_added",
    "CUSTOMER_TAGS_REMOVED": "customer.tags_removed",
}
_ENUM_TO_TOPIC = {queries.topic_enum(t): t for t in KNOWN_TOPICS}


def topic_from_enum(enum: str) -> str:
    """Return the header form of a ``WebhookSubscriptionTopic`` value (inverse of topic_enum)."""
    if enum in _ENUM_TO_TOPIC:
        return _ENUM_TO_TOPIC[enum]
    if enum in _ENUM_SPECIAL:
        return _ENUM_SPECIAL[enum]
    head, _, tail = enum.lower().rpartition("_")
    return f"{head}/{tail}"
