"""Reads for a store's Activity list (D13): webhook traffic, privacy requests, recent entries.

Owns the numbers Store details shows about live updates: deliveries per topic with the
last one's time and the lag between ``X-Shopify-Triggered-At`` and our processing, the
recent privacy requests (with their exports) and the latest Activity entries written by
every part of the integration, and the latest deliveries one by one (matching the
simulator's / Shopify's delivery log by webhook id). Read-only; four queries whatever
the traffic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Count, Max

from shoplink.integrations.shopify.models import ActivityEntry, WebhookDelivery

PRIVACY_KINDS = ("privacy_export", "privacy_redact", "privacy_shop_redact")
RECENT_ENTRIES = 12
RECENT_DELIVERIES = 15
_LAG_SAMPLE = 300


@dataclasses.dataclass
class TopicTraffic:
    topic: str
    count: int
    last_at: dt.datetime | None
    lag_ms: int | None  # processing lag of the newest processed delivery of the topic


def _deliveries(store):
    # A shop can have been linked to another project before: count only our time.
    return WebhookDelivery.objects.filter(
        shop_domain=store.domain, received_at__gte=store.created_at
    )


def webhook_traffic(store) -> list[TopicTraffic]:
    """Deliveries per topic, newest topic first."""
    rows = (
        _deliveries(store)
        .values("topic")
        .annotate(n=Count("id"), last=Max("received_at"))
        .order_by("-last")
    )
    lags: dict[str, int] = {}
    recent = (
        _deliveries(store)
        .filter(processed_at__isnull=False, triggered_at__isnull=False)
        .order_by("-id")
        .values_list("topic", "triggered_at", "processed_at")[:_LAG_SAMPLE]
    )
    for topic, triggered, processed in recent:
        if topic not in lags:
            lags[topic] = max(0, int((processed - triggered).total_seconds() * 1000))
    return [TopicTraffic(r["topic"], r["n"], r["last"], lags.get(r["topic"])) for r in rows]


def recent_deliveries(store) -> list[WebhookDelivery]:
    """The latest deliveries one by one: what Shopify's delivery log shows from its side
    (Settings → Notifications → Webhooks), ours says received, processed, skipped and why."""
    return list(
        _deliveries(store)
        .order_by("-id")
        .only("webhook_id", "topic", "received_at", "processed_at", "state", "attempts", "note")[
            :RECENT_DELIVERIES
        ]
    )


def store_activity(store) -> dict:
    """Everything the Activity section renders for ``store``."""
    traffic = webhook_traffic(store)
    entries = list(ActivityEntry.objects.filter(store=store)[: RECENT_ENTRIES * 2])
    privacy = [e for e in entries if e.kind in PRIVACY_KINDS][:5]
    return {
        "store": store,
        "traffic": traffic,
        "deliveries": recent_deliveries(store) if traffic else [],
        "total_deliveries": sum(t.count for t in traffic),
        "last_webhook_at": store.last_webhook_at,
        "privacy": privacy,
        "entries": entries[:RECENT_ENTRIES],
    }
