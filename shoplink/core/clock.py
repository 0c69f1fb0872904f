"""The one clock the product reads, so tests can move time without patching.

Code calls ``clock.now()``; tests call ``clock.freeze(dt)`` / ``clock.advance(delta)``
and ``clock.reset()``. A frozen clock can also be set for separate processes (worker,
web server) through ``SHOPLINK_FROZEN_NOW`` (ISO 8601) — used by stall/abandonment tests.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

_lock = threading.Lock()
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware UTC time (or the frozen time in tests)."""
    if _frozen is not None:
        return _frozen
    env = os.environ.get("SHOPLINK_FROZEN_NOW")
    if env:
        return dt.datetime.fromisoformat(env)
    return dt.datetime.now(dt.UTC)


def freeze(moment: dt.datetime) -> None:
    """Freeze ``now()`` at ``moment`` (must be timezone-aware)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = moment


def advance(delta: dt.timedelta) -> dt.datetime:
    """Move a frozen clock forward by ``delta`` and return the new time."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("advance() needs a frozen clock")
        _frozen = _frozen + delta
        return _frozen


def reset() -> None:
    """Return to real time."""
    global _frozen
    with _lock:
        _frozen = None
