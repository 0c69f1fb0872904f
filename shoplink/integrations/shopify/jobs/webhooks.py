"""Jobs of the live-update side: drain a shop's inbox, process one delivery, RFM, prune.

Thin by design (HOUSE_STYLE "Tasks are thin"): arguments are ids or a shop domain, the
work is in ``webhooks/drain.py``, ``webhooks/inbox.py`` and ``events/computed.py``.
Nothing is returned where nobody reads it: Huey would keep every result in the queue.
"""

from __future__ import annotations

from huey import crontab

from shoplink.integrations.shopify.events import computed
from shoplink.integrations.shopify.webhooks import drain, retention
from shoplink.queue.jobs import periodic_task, task

# A wake-up must survive the database going away under it: a drain that raises (its
# processing of each delivery catches the delivery's own errors, so what escapes is the
# database or the network) is retried for about as long as a database restart takes,
# on a fresh connection (Huey's Django wrapper closes the broken one). Without this, a
# drain that failed at its first statement left the shop's bit set and its deliveries
# waiting for the minute sweeper (measured: bench/storm.py --fault pg-restart).
RETRIES = 10
RETRY_DELAY = 2  # seconds

@task(retries=RETRIES, retry_delay=RETRY_DELAY)
def drain_webhooks(shop_domain: str) -> None:
    """Process the shop's pending first-attempt deliveries (the receiver's wake-up)."""
    drain.drain(shop_domain)


@task(retries=RETRIES, retry_delay=RETRY_DELAY)
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


@periodic_task(crontab(minute="29", hour="2"))
def nightly_prune() -> None:
    """Apply the retention rules once a night (``webhooks/retention.py``)."""
    retention.prune()
