"""Jobs of "Data to Shopify": fill-in, opt-out pushes and the 15-minute pass.

Thin by design (HOUSE_STYLE "Tasks are thin"): arguments are ids and a channel name,
never personal data; the work is in ``writeback/``. Transient Shopify failures
(throttling, 5xx) raise and are retried by Huey; a contact stays pending meanwhile.
"""

from __future__ import annotations

from huey import crontab

from shoplink.audience.models import Contact
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.writeback import consent, engagement, profile, rules
from shoplink.queue.jobs import periodic_task, task


def _store(store_id: int):
    return ShopifyStore.objects.filter(pk=store_id).select_related("project").first()


@task(retries=3, retry_delay=60)
def fill_in_store_profiles(store_id: int) -> int:
    """Fill missing Shopify profile fields for the store's pending contacts (D27)."""
    store = _store(store_id)
    return len(profile.fill_in_profiles(store).written) if store else 0


@task(retries=3, retry_delay=60)
def push_opt_out(store_id: int, contact_id: int, channel: str) -> bool:
    """Push one contact's local unsubscribe on ``channel`` to Shopify (D21)."""
    store = _store(store_id)
    contact = Contact.objects.filter(pk=contact_id).first()
    if store is None or contact is None:
        return False
    return consent.propagate_opt_out(store, contact, channel)


@task(retries=3, retry_delay=60)
def write_store_engagement(store_id: int) -> int:
    """Write the store's changed engagement metafields (D27)."""
    store = _store(store_id)
    return len(engagement.write_engagement(store).written) if store else 0


@periodic_task(crontab(minute="*/15"))
def writeback_pass() -> int:
    """Every 15 minutes: fill-in and engagement for each store with a toggle on (D27)."""
    count = 0
    for store_id, fill_in, metafields in rules.stores_owed_a_pass():
        if fill_in:
            fill_in_store_profiles(store_id)
        if metafields:
            write_store_engagement(store_id)
        count += 1
    return count
