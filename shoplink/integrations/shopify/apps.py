"""The Shopify integration's app config: every registration happens in :meth:`ready`.

Nothing registers itself on import. ``ready`` imports the jobs (which registers them
with Huey), binds the intents services use to ask for them, registers the minute
sweepers, connects the signal receivers and registers the ``/metrics`` gauges, so this
method is the one list of the
integration's side effects.
"""

from django.apps import AppConfig


class ShopifyConfig(AppConfig):
    name = "shoplink.integrations.shopify"
    label = "shopify"
    verbose_name = "Shopify integration"

    def ready(self) -> None:
        from shoplink.core.metrics import register_gauge
        from shoplink.integrations.shopify import intents, jobs, metrics
        from shoplink.integrations.shopify.events import abandonment
        from shoplink.integrations.shopify.sync import recovery
        from shoplink.integrations.shopify.webhooks import inbox
        from shoplink.integrations.shopify.writeback import receivers
        from shoplink.queue.jobs import (
            register_gone_check,
            register_quick_sweeper,
            register_sweeper,
        )

        intents.bind(jobs.INTENT_JOBS)
        register_gone_check(jobs.store_gone)  # jobs still queued after Delete end quietly
        register_sweeper(recovery.recover_stalled)  # D17: stalled syncs
        register_sweeper(inbox.requeue_stale_deliveries)  # D19: lost wake-ups and retries
        register_quick_sweeper(inbox.rearm_lost_drains)  # drains lost with a queue or worker
        register_sweeper(abandonment.sweep_abandoned_checkouts)  # D23
        receivers.connect()  # D21/D27: local profile and consent changes
        for name, help_text, read in metrics.GAUGES:  # /metrics (docs/operations.md)
            register_gauge(name, help_text, read)
