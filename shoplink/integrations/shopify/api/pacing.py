"""Retry and pacing policy of the Shopify client (split from client.py to keep it small).

* :class:`Retry`: bounded exponential backoff with full jitter for THROTTLED, 429, 5xx
  and timeouts; sizes come from settings so tests retry in milliseconds.
* :class:`Pacer`: a per-shop estimate of Shopify's leaky bucket from the last
  ``extensions.cost.throttleStatus`` (PLATFORM §3), to wait *before* a request that
  would be throttled.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from django.conf import settings


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class Retry:
    """Bounded exponential backoff with full jitter (PLATFORM §9 trap 15).

    ``SHOPIFY_RETRY_ATTEMPTS`` total tries, delays ``base × 2^n`` capped at
    ``SHOPIFY_RETRY_MAX_DELAY``; tests set a tiny base so retries cost milliseconds.
    """

    def __init__(self) -> None:
        self.attempts = max(1, int(_setting("SHOPIFY_RETRY_ATTEMPTS", 4)))
        self.base = float(_setting("SHOPIFY_RETRY_BASE_DELAY", 0.5))
        self.cap = float(_setting("SHOPIFY_RETRY_MAX_DELAY", 20.0))
        self.tried = 0

    def more(self) -> bool:
        return self.tried < self.attempts

    def sleep(self, at_least: float = 0.0) -> None:
        delay = min(self.cap, self.base * (2 ** (self.tried - 1)))
        # Full jitter spreads workers that were throttled together; a server hint
        # (Retry-After, throttle refill time) is a floor, still capped.
        time.sleep(min(self.cap, max(at_least, random.uniform(0, delay))))


class Pacer:
    """Per-shop leaky-bucket estimate from the last ``throttleStatus`` (PLATFORM §3).

    Waits before a request when the last answer said fewer points were available than
    that request is likely to cost, instead of spending a round trip on THROTTLED.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float, float, float]] = {}

    def wait(self, domain: str) -> None:
        with self._lock:
            state = self._state.get(domain)
        if not state:
            return
        available, restore, last_cost, seen_at = state
        refilled = available + restore * (time.monotonic() - seen_at)
        if restore > 0 and refilled < last_cost:
            cap = float(_setting("SHOPIFY_RETRY_MAX_DELAY", 20.0))
            time.sleep(min(cap, (last_cost - refilled) / restore))

    def note(self, domain: str, cost: dict | None) -> float:
        """Record ``extensions.cost``; return seconds until the requested cost fits."""
        if not isinstance(cost, dict):
            return 0.0
        status = cost.get("throttleStatus") or {}
        try:
            available = float(status.get("currentlyAvailable"))
            restore = float(status.get("restoreRate"))
            requested = float(cost.get("requestedQueryCost") or 0)
        except (TypeError, ValueError):
            return 0.0
        with self._lock:
            self._state[domain] = (available, restore, requested, time.monotonic())
        if restore <= 0 or available >= requested:
            return 0.0
        return (requested - available) / restore


pacer = Pacer()
