"""What the queue tells an operator: how much waits, and whether a worker is alive."""

from __future__ import annotations

from django.db.models import Max
from huey.contrib.djhuey import HUEY

from shoplink.core import clock
from shoplink.queue.models import WorkerHeartbeat


def queue_depth() -> float:
    """Jobs enqueued and not yet taken (scheduled ones are not counted)."""
    return float(len(HUEY))


def heartbeat_age() -> float:
    """Seconds since a worker last beat; NaN when none ever has."""
    last = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
    if last is None:
        return float("nan")
    return max(0.0, (clock.now() - last).total_seconds())
