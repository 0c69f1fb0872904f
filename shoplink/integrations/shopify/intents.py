"""Named requests for background work: how services ask for a job without importing it.

A service never imports ``jobs/`` (jobs import services, never the reverse, so there
is no cycle). It asks for work by name here instead, and every request is enqueued
once the surrounding transaction commits (``queue.enqueue_on_commit``): a job never
starts before the rows it needs are visible, and a rolled-back change asks for nothing.
Outside a transaction the request is enqueued at once.

Which job serves which intent is bound once, in ``ShopifyConfig.ready`` from
``jobs.INTENT_JOBS``. Arguments are ids and plain strings only (no payloads, tokens or
personal data), like every job argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db import transaction

from shoplink.queue.jobs import enqueue_on_commit

_jobs: dict[str, Callable] = {}


class UnboundIntent(LookupError):
    """An intent was asked for before ``ready()`` bound its job (a wiring bug)."""


def bind(jobs: Mapping[str, Callable]) -> None:
    """Bind intent names to the jobs that serve them (from ``ShopifyConfig.ready``)."""
    _jobs.update(jobs)


def _job(name: str) -> Callable:
    try:
        return _jobs[name]
    except KeyError as e:
        raise UnboundIntent(f"no job is bound to the intent {name!r}") from e


def _ask(name: str, *args) -> None:
    enqueue_on_commit(_job(name), *args)


def advance_sync(store_id: int) -> None:
    """Move the store's bulk sync forward (start, poll, ingest, finish)."""
    _ask("advance_sync", store_id)


def advance_sync_later(store_id: int, delay: int) -> None:
    """Poll the store's running bulk operations again in ``delay`` seconds."""
    job = _job("advance_sync")
    transaction.on_commit(lambda: job.schedule((store_id,), delay=delay))


def reconcile_store(store_id: int) -> None:
    """Read what changed in Shopify since the last pass (D18), or the gap after Reconnect (D31)."""
    _ask("reconcile_store", store_id)


def catch_up_store(store_id: int) -> None:
    """After a Reconnect, read the gap and emit its events flagged ``catch_up`` (D31)."""
    _ask("catch_up_store", store_id)


def delete_store_data(store_id: int) -> None:
    """Clean up a deleted store in the background (D30)."""
    _ask("delete_store", store_id)


def check_store_health(store_id: int) -> None:
    """Run one scheduled health check (D12)."""
    _ask("check_store_health", store_id)


def drain_webhooks(shop_domain: str) -> None:
    """Process the shop's pending first-attempt webhook deliveries (ADR 0006)."""
    _ask("drain_webhooks", shop_domain)


def process_webhook(delivery_id: int) -> None:
    """Process one webhook delivery again (a retry, or one that waited for a record)."""
    _ask("process_webhook", delivery_id)


def recompute_store_rfm(store_id: int) -> None:
    """Rank the store's customers for RFM again (D25)."""
    _ask("recompute_store_rfm", store_id)


def fill_in_profiles(store_id: int) -> None:
    """Fill missing Shopify profile fields for the store's pending contacts (D27)."""
    _ask("fill_in_profiles", store_id)


def write_engagement(store_id: int) -> None:
    """Write the store's changed engagement metafields (D27)."""
    _ask("write_engagement", store_id)


def push_opt_out(store_id: int, contact_id: int, channel: str) -> None:
    """Push one contact's local unsubscribe on ``channel`` to Shopify (D21)."""
    _ask("push_opt_out", store_id, contact_id, channel)
