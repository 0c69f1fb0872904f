"""The Shopify integration's gauges for ``/metrics`` (registered in ``ShopifyConfig.ready``).

What an operator watches on a busy day (docs/operations.md, "Monitoring"): the webhook
inbox (how many deliveries wait, how old the oldest is: Shopify gives up on a store
whose deliveries fail for long), imports that stopped moving, and stores by status.
"""

from __future__ import annotations

from django.db.models import Count, Min

from shoplink.core import clock
from shoplink.integrations.shopify.models import (
    DeliveryState,
    EntitySync,
    ShopifyStore,
    WebhookDelivery,
)
from shoplink.integrations.shopify.sync.entities import ACTIVE


def _age(at) -> float:
    return max(0.0, (clock.now() - at).total_seconds()) if at else 0.0


def deliveries_waiting() -> float:
    return float(WebhookDelivery.objects.filter(state=DeliveryState.RECEIVED).count())


def oldest_waiting_delivery_seconds() -> float:
    oldest = WebhookDelivery.objects.filter(state=DeliveryState.RECEIVED).aggregate(
        at=Min("received_at")
    )["at"]
    return _age(oldest)


def imports_running() -> float:
    return float(EntitySync.objects.filter(state__in=ACTIVE, run__isnull=False).count())


def import_lag_seconds() -> float:
    """Seconds since the least recently moving running import last made progress (D17)."""
    stalest = EntitySync.objects.filter(state__in=ACTIVE, run__isnull=False).aggregate(
        at=Min("progress_at")
    )["at"]
    return _age(stalest)


def stores_by_status() -> dict[tuple[tuple[str, str], ...], float]:
    rows = ShopifyStore.objects.values("status").annotate(n=Count("id"))
    return {(("status", row["status"]),): float(row["n"]) for row in rows}


GAUGES = (
    (
        "shoplink_webhook_deliveries_waiting",
        "Webhook deliveries received and not processed yet.",
        deliveries_waiting,
    ),
    (
        "shoplink_webhook_oldest_waiting_seconds",
        "Age of the oldest webhook delivery not processed yet (0 when none waits).",
        oldest_waiting_delivery_seconds,
    ),
    ("shoplink_imports_running", "Entities of bulk imports pending or syncing.", imports_running),
    (
        "shoplink_import_lag_seconds",
        "Seconds since the stalest running import last moved (0 when none runs).",
        import_lag_seconds,
    ),
    ("shoplink_stores", "Connected Shopify stores by status.", stores_by_status),
)
