"""Minute sweepers of the live-update side, registered on import (from receivers.py)."""

from __future__ import annotations

from shoplink.integrations.shopify.abandonment import sweep_abandoned_checkouts
from shoplink.integrations.shopify.handlers import requeue_stale_deliveries
from shoplink.queue.jobs import register_sweeper

register_sweeper(sweep_abandoned_checkouts)
register_sweeper(requeue_stale_deliveries)
