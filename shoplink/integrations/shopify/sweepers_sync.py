"""Registers the sync sweeper (D17): every minute, wake or recover stuck syncs."""

from __future__ import annotations

from shoplink.queue.jobs import register_sweeper


def sweep_syncs() -> int:
    from shoplink.integrations.shopify import sync_recovery

    return sync_recovery.recover_stalled()


register_sweeper(sweep_syncs)
