"""Webhook volume and lag of one shop over the last 24 hours, per topic family and hour.

Store details draws these as small charts (``ui/charts``). Lag is what a merchant feels:
from Shopify's trigger (``X-Shopify-Triggered-At``) to the moment the change was
applied here (``processed_at``; ``received_at`` while not processed yet).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from shoplink.core import clock
from shoplink.integrations.shopify.models import WebhookDelivery

HOURS = 24
FAMILIES = (
    ("customers", "Customers"),
    ("orders", "Orders"),
    ("checkouts", "Checkouts"),
    ("carts", "Carts"),
    ("products", "Products"),
    ("collections", "Collections"),
    ("app", "App"),
)
# Topics about the app itself rather than a record kind (compliance, install, bulk ops).
APP_TOPICS = {
    "app/uninstalled",
    "app/scopes_update",
    "bulk_operations/finish",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
}
# Topics of a family whose name does not start with the family's (refunds are orders').
OTHER_FAMILY = {
    "refunds": "orders",
    "fulfillments": "orders",
    "fulfillment_events": "orders",
    "customer.tags_added": "customers",
    "customer.tags_removed": "customers",
    "customers_email_marketing_consent": "customers",
    "customers_marketing_consent": "customers",
}


def family_of(topic: str) -> str | None:
    """``orders/paid`` → ``orders``; ``app/uninstalled`` → ``app``; None for the unknown."""
    if topic in APP_TOPICS:
        return "app"
    head = topic.split("/", 1)[0]
    if head in OTHER_FAMILY:
        return OTHER_FAMILY[head]
    if topic in OTHER_FAMILY:
        return OTHER_FAMILY[topic]
    return head if head in dict(FAMILIES) else None


@dataclass
class Family:
    key: str
    label: str
    counts: list[int] = field(default_factory=lambda: [0] * HOURS)  # oldest hour first
    lags: list[list[float]] = field(default_factory=lambda: [[] for _ in range(HOURS)])

    @property
    def total(self) -> int:
        return sum(self.counts)

    def lag_seconds(self) -> list[float | None]:
        """Median lag of each hour (None for hours without webhooks)."""
        return [statistics.median(h) if h else None for h in self.lags]

    def median_lag(self) -> float | None:
        every = [x for h in self.lags for x in h]
        return statistics.median(every) if every else None

    def max_lag(self) -> float | None:
        every = [x for h in self.lags for x in h]
        return max(every) if every else None


def last_24_hours(shop_domain: str, now: dt.datetime | None = None) -> list[Family]:
    """Every family, in ``FAMILIES`` order, with hourly counts and lags (hour 23 = now)."""
    now = now or clock.now()
    start = now - dt.timedelta(hours=HOURS)
    families = {key: Family(key, label) for key, label in FAMILIES}
    rows = WebhookDelivery.objects.filter(
        shop_domain=shop_domain, received_at__gt=start, received_at__lte=now
    ).values_list("topic", "triggered_at", "received_at", "processed_at")
    for topic, triggered, received, processed in rows.iterator():
        family = families.get(family_of(topic) or "")
        if family is None:
            continue
        hour = min(HOURS - 1, int((received - start).total_seconds() // 3600))
        family.counts[hour] += 1
        if triggered is not None:
            family.lags[hour].append(
                max(0.0, ((processed or received) - triggered).total_seconds())
            )
    return list(families.values())
