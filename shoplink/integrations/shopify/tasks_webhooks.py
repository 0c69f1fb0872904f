"""Huey tasks of the live-update side: drain a shop's inbox, process one delivery, RFM.

Thin by design (HOUSE_STYLE "Tasks are thin"): arguments are ids, the work is in
``handlers``, ``abandonment`` and ``commerce.services``.
"""

from __future__ import annotations

from huey import crontab

from shoplink.queue.jobs import periodic_task, task


@task()
def drain_webhooks(shop_domain: str) -> None:
    """Process the shop's pending first-attempt deliveries (the receiver's wake-up)."""
    from shoplink.integrations.shopify.handlers_batch import drain

    drain(shop_domain)


@task()
def process_webhook(delivery_id: int) -> None:
    """One delivery: a retry, a delivery that waited for a record, or the sweeper's."""
    # New orders of the same shop are taken together (handlers_batch); the rest one by one.
    # Nothing is returned: Huey would keep every job's result in the queue file, unread.
    from shoplink.integrations.shopify.handlers_batch import process_pending

    process_pending(delivery_id)


@task()
def recompute_store_rfm(store_id: int) -> dict:
    from shoplink.integrations.shopify.computed import recompute_store_rfm as run

    return run(store_id)


@periodic_task(crontab(minute="17", hour="3"))
def nightly_rfm() -> int:
    """Recompute RFM for every linked store once a night (D25)."""
    from shoplink.integrations.shopify.computed import stores_for_rfm

    ids = stores_for_rfm()
    for store_id in ids:
        recompute_store_rfm(store_id)
    return len(ids)
