"""The REST Admin API's request-based leaky bucket, per (app, shop) (PLATFORM §3, §10).

Every request adds one to the bucket; it leaks at the plan's rate. Figures from Shopify's
REST rate-limit page: 2 requests/s (Standard), 4 (Advanced), 20 (Plus), 40 (enterprise);
bucket 40 for Standard and 400 for Plus per Shopify staff in the community forum, 80 for
Advanced ("the bucket grows with the leak rate"). The enterprise bucket is not published:
we take the same 20 s of leak (800). `faults.rest_leak_rate` overrides the rate (the bucket
keeps 20 s of it), so a test can drain or widen it.
"""

from __future__ import annotations

import math
import time

RATES = {"advanced": 4.0, "plus": 20.0, "shopify_plus": 20.0, "enterprise": 40.0}
BUCKET_SECONDS = 20  # bucket size = 20 s of leak: 40/2, 80/4, 400/20


def leak_rate(shop) -> float:
    override = getattr(shop.faults, "rest_leak_rate", None)
    return float(override) if override else RATES.get(shop.props["plan"], 2.0)


def size(shop) -> int:
    return int(BUCKET_SECONDS * leak_rate(shop))


def _drain(shop) -> float:
    now = time.monotonic()
    level = max(0.0, shop.rest_bucket_level - (now - shop.rest_bucket_at) * leak_rate(shop))
    shop.rest_bucket_level, shop.rest_bucket_at = level, now
    return level


def take(shop) -> tuple[bool, str, float]:
    """Add one request. Returns (allowed, call-limit header value, seconds until one fits)."""
    with shop.lock:
        level = _drain(shop)
        cap = size(shop)
        if level + 1 > cap:
            wait = (level + 1 - cap) / leak_rate(shop)
            return False, f"{cap}/{cap}", float(max(1, math.ceil(wait)))
        shop.rest_bucket_level = level + 1
        return True, f"{math.ceil(shop.rest_bucket_level)}/{cap}", 0.0
