"""Processing of recorded webhook deliveries: routing by topic, outcome bookkeeping, retries.

Owns ``process_delivery``, the one entry point for a single delivery, and the rules a
delivery is routed by (which store it is for, :func:`routable_store`). The per-topic
work lives in ``topics/`` (``TOPIC_HANDLERS``); events are built by ``events/emit.py``.

Every delivery ends in one state: processed, skipped (Disconnected store or disabled
category, D19), ignored (no store for the shop), failed (after ``MAX_ATTEMPTS``), or it
stays received to be retried — a handler raises :class:`NotFoundYet` when its payload
refers to a record that has not arrived yet (Shopify does not order deliveries,
PLATFORM.md §2.3), and the delivery is retried when the missing record lands, or by the
minute sweeper.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from functools import partial

import orjson
from django.db import IntegrityError, transaction
from django.db.models import F

from shoplink.core import clock
from shoplink.core.dbrouter import inbox_alias, inbox_is_separate
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api.topics import TOPIC_CATEGORY
from shoplink.integrations.shopify.models import (
    DeliveryState,
    ShopifyStore,
    StoreStatus,
    WebhookDelivery,
    WebhookWake,
)
from shoplink.integrations.shopify.webhooks import wakeups
from shoplink.integrations.shopify.webhooks.topics import COMPLIANCE_HANDLERS, TOPIC_HANDLERS
from shoplink.integrations.shopify.webhooks.topics.base import MAX_ATTEMPTS, Context, NotFoundYet
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

log = logging.getLogger(__name__)

# The sweeper picks up deliveries left "received" this long (a worker died mid-way).
STALE_AFTER = dt.timedelta(seconds=60)
# The quick sweep re-arms a shop whose first attempts wait this long with no live wake-up.
REARM_AFTER = dt.timedelta(seconds=5)
LAST_WEBHOOK_EVERY = dt.timedelta(seconds=1)
# Topics that create what other deliveries wait for (a buyer, an order).
_MAY_UNBLOCK = ("customers/", "orders/")


def process_delivery(delivery_id: int) -> str:
    """Process one received delivery; return the state it ended in.

    The delivery's outcome is written in the data's transaction when the inbox shares
    its database, else right after that commit, inside the same write turn (as
    ``drain._process_new_orders`` does, for the same reasons).
    """
    separate = inbox_is_separate()
    # The same writer turn as the receiver's INSERT, so the two queue fairly instead of
    # starving each other in SQLite's sleeping busy handler (writelock.py).
    with sqlite_writer():
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update()
                .filter(pk=delivery_id, state=DeliveryState.RECEIVED)
                .first()
            )
            if delivery is None:
                return "gone"  # processed meanwhile by another worker, or never existed
            outcome = _outcome(delivery)
            if not separate:
                state = outcome()
        if separate:
            with sqlite_writer(inbox_alias()):
                state = outcome()
    if delivery.topic.startswith(_MAY_UNBLOCK) and state == DeliveryState.PROCESSED:
        wake_waiting(delivery.shop_domain)
    return state


def _outcome(delivery: WebhookDelivery) -> Callable[[], str]:
    """Run the delivery's handler; return how to record its outcome (the inbox write)."""
    ctx = Context(delivery.topic, delivery)
    try:
        state, note = _route_despite_a_race(delivery, ctx)
    except NotFoundYet as waiting:
        return partial(_retry_later, delivery, str(waiting))
    except Exception as error:
        # Never personal data in logs: an exception's message may quote payload values,
        # so only its class and the stack (code lines, no values) are written.
        log.error(
            "webhook delivery %s (%s) failed with %s\n%s",
            delivery.pk,
            delivery.topic,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return partial(_retry_later, delivery, f"Error: {type(error).__name__}")

    def finish() -> str:
        _finish(delivery, state, note, ctx.resource)
        return state

    return finish


def _route_despite_a_race(delivery: WebhookDelivery, ctx: Context) -> tuple[str, str]:
    """``_route`` in a savepoint, once more if another worker inserted the same record.

    Two deliveries about one new record (``orders/create`` and ``orders/paid`` of one
    order) may be processed at once by two workers; both read "no such row" and the
    second INSERT violates the unique key. The row exists now, so a second pass updates
    it. Counting the race as a failed attempt instead spent the retries of an order that
    had waited for its buyer, and it ended Failed with its event lost (found by the storm
    benchmark with faults, docs/decisions/0055).
    """
    try:
        with transaction.atomic():
            return _route(delivery, ctx)
    except IntegrityError:
        with transaction.atomic():
            return _route(delivery, ctx)


def _route(delivery: WebhookDelivery, ctx: Context) -> tuple[str, str]:
    payload = orjson.loads(bytes(delivery.body or b"{}"))
    topic = delivery.topic
    stores = list(
        ShopifyStore.objects.filter(domain=delivery.shop_domain).select_related(
            "project", "customer_list"
        )
    )
    if topic in COMPLIANCE_HANDLERS:
        # Privacy requests are honoured for every project holding data from the shop,
        # whatever the link's status (PLATFORM.md §2.5: even if we think we hold none).
        for store in stores:
            COMPLIANCE_HANDLERS[topic](store, payload, ctx)
        return DeliveryState.PROCESSED, "" if stores else "No store holds data for this shop"
    store = linked_store(stores)
    if store is None:
        return DeliveryState.IGNORED, "No store linked for this shop"
    skip = skip_reason(store, topic)
    if skip:
        return DeliveryState.SKIPPED, skip
    TOPIC_HANDLERS[topic](store, payload, ctx)
    note_arrival(store)
    return DeliveryState.PROCESSED, ""


def linked_store(stores: list[ShopifyStore]) -> ShopifyStore | None:
    """The store actively linked to the shop (D2), else the most recent Disconnected one."""
    for store in stores:
        if store.status != StoreStatus.DISCONNECTED:
            return store
    return max(stores, key=lambda s: s.pk, default=None)


def skip_reason(store: ShopifyStore, topic: str) -> str:
    """Why a delivery of ``topic`` is skipped for ``store`` (D19); "" when it is processed."""
    if store.status in (StoreStatus.DISCONNECTED, StoreStatus.DELETING):
        return f"Store is {store.get_status_display()}"
    category = TOPIC_CATEGORY.get(topic)
    if category and not getattr(store, category):
        return "Category turned off"
    return ""


def routable_store(shop_domain: str, topic: str) -> ShopifyStore | None:
    """The store a delivery of ``topic`` would be processed for; None if it would not be."""
    stores = list(
        ShopifyStore.objects.filter(domain=shop_domain).select_related("project", "customer_list")
    )
    store = linked_store(stores)
    if store is None or skip_reason(store, topic):
        return None
    return store


def note_arrival(store: ShopifyStore) -> None:
    """Move the store's "Last webhook" (at most one write a second: a storm need not
    rewrite the store row for every delivery)."""
    now = clock.now()
    if store.last_webhook_at is None or abs(now - store.last_webhook_at) >= LAST_WEBHOOK_EVERY:
        ShopifyStore.objects.filter(pk=store.pk).update(last_webhook_at=now)
        store.last_webhook_at = now


def _finish(delivery: WebhookDelivery, state: str, note: str, resource: str | None = None) -> None:
    headers = delivery.headers
    if resource:
        # Which record this delivery wrote, for equal-timestamp tie-breaks (handlers_base).
        headers = {**headers, "resource": resource}
    # The body held personal data only to be processed: blank it once done.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        headers=headers,
        state=state,
        note=note[:300],
        processed_at=clock.now(),
        body=None,
        attempts=F("attempts") + 1,
    )


def _retry_later(delivery: WebhookDelivery, note: str) -> str:
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _finish(delivery, DeliveryState.FAILED, note)
        return DeliveryState.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=attempts, note=note[:300])
    return DeliveryState.RECEIVED


def wake_waiting(shop_domain: str) -> None:
    """Re-enqueue deliveries of the shop waiting for a record this delivery may have brought."""
    waiting = WebhookDelivery.objects.filter(
        shop_domain=shop_domain, state=DeliveryState.RECEIVED, attempts__gt=0
    ).values_list("pk", flat=True)
    for pk in list(waiting):
        intents.process_webhook(pk)


def requeue_stale_deliveries() -> int:
    """Sweeper: re-enqueue deliveries still received after ``STALE_AFTER`` (lost jobs).

    First attempts belong to their shop's drain: the shop is re-armed whatever its wake-up
    bit says (a drain lost with the queue leaves the bit set, ``wakeups.py``). Retries are
    re-enqueued one by one, as they were scheduled.
    """
    cutoff = clock.now() - STALE_AFTER
    stale = WebhookDelivery.objects.filter(state=DeliveryState.RECEIVED, received_at__lte=cutoff)
    first_attempts = stale.filter(attempts=0).order_by("shop_domain")
    shops = list(first_attempts.values_list("shop_domain", flat=True).distinct())
    for shop_domain in shops:
        wakeups.force(shop_domain)
        intents.drain_webhooks(shop_domain)
    retries = list(stale.filter(attempts__gt=0).values_list("pk", flat=True)[:1000])
    for pk in retries:
        intents.process_webhook(pk)
    return len(shops) + len(retries)


def rearm_lost_drains() -> int:
    """Quick sweep: wake shops whose drain was lost; return how many were re-armed.

    A shop's first attempts waiting past ``REARM_AFTER`` while no drain is freshly queued
    (the bit is clear: the drain that took them died with its worker or failed; or it was
    set longer than ``wakeups.WAKE_TTL`` ago: the queued drain went with the queue) get a
    new drain. It runs every few seconds in each consumer (``queue.jobs``), so a quiet shop
    that receives nothing more is not left for the minute sweeper. One indexed query when
    nothing waits; a shop whose drain is merely slow gets at most one extra (harmless)
    drain per sweep.
    """
    now = clock.now()
    shops = set(
        WebhookDelivery.objects.filter(
            state=DeliveryState.RECEIVED, received_at__lte=now - REARM_AFTER, attempts=0
        )
        .values_list("shop_domain", flat=True)
        .distinct()
    )
    if not shops:
        return 0
    live = set(
        WebhookWake.objects.filter(
            shop_domain__in=shops, queued=True, queued_at__gt=now - wakeups.WAKE_TTL
        ).values_list("shop_domain", flat=True)
    )
    lost = sorted(shops - live)
    for shop_domain in lost:
        wakeups.force(shop_domain)
        intents.drain_webhooks(shop_domain)
    return len(lost)
