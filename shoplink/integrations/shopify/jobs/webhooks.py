"""Jobs of the live-update side: drain a shop's inbox, process one delivery, RFM.

Thin by design (HOUSE_STYLE "Tasks are thin"): arguments are ids or a shop domain, the
work is in ``webhooks/drain.py``, ``webhooks/inbox.py`` and ``events/computed.py``.
Nothing is returned where nobody reads it: Huey would keep every result in the queue.
"""

from __future__ import annotations

from huey import crontab

from shoplink.integrations.shopify.events import computed
from shoplink.integrations.shopify.webhooks import drain
from shoplink.queue.jobs import periodic_task, task


@task()
def drain_webhooks(shop_domain: str) -> None:
    """Process the shop's pending first-attempt deliveries (the receiver's wake-up)."""
    drain.drain(shop_domain)


@task()
def process_webhook(delivery_id: int) -> None:
    """One delivery: a retry, a delivery that waited for a record, or the sweeper's."""
    drain.process_pending(delivery_id)


@task()
def recompute_store_rfm(store_id: int) -> dict:
    return computed.recompute_store_rfm(store_id)


@periodic_task(crontab(minute="17", hour="3"))
def nightly_rfm() -> int:
    """Recompute RFM for every linked store once a night (D25)."""
    ids = computed.stores_for_rfm()
    for store_id in ids:
        recompute_store_rfm(store_id)
    return len(ids)
