"""Processing of recorded webhook deliveries: routing by topic, outcome bookkeeping, retries.

Owns ``TOPIC_HANDLERS`` (topic → ``handle_<topic>`` function) and ``process_delivery``,
the one entry point a worker calls with a delivery id. The per-topic work lives in
``handlers_customers`` / ``handlers_orders`` / ``handlers_checkouts`` /
``handlers_catalog`` / ``handlers_app`` and ``privacy``; events are built by
``shopify_events``.

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

import orjson
from django.db import transaction
from django.db.models import F

from shoplink.core import clock
from shoplink.integrations.shopify import (
    handlers_app,
    handlers_catalog,
    handlers_checkouts,
    handlers_customers,
    handlers_orders,
    privacy,
)
from shoplink.integrations.shopify.handlers_base import MAX_ATTEMPTS, Context, NotFoundYet
from shoplink.integrations.shopify.models import (
    DeliveryState,
    ShopifyStore,
    StoreStatus,
    WebhookDelivery,
)
from shoplink.integrations.shopify.subscriptions import (
    KNOWN_TOPICS,
    TOPIC_CATEGORY,
)
from shoplink.integrations.shopify.writelock import sqlite_writer

log = logging.getLogger(__name__)

# The sweeper picks up deliveries left "received" this long (a worker died mid-way).
STALE_AFTER = dt.timedelta(seconds=60)
LAST_WEBHOOK_EVERY = dt.timedelta(seconds=1)
# Topics that create what other deliveries wait for (a buyer, an order).
_MAY_UNBLOCK = ("customers/", "orders/")


Handler = Callable[[ShopifyStore, dict, Context], None]

TOPIC_HANDLERS: dict[str, Handler] = {
    "customers/create": handlers_customers.handle_customers_create,
    "customers/update": handlers_customers.handle_customers_update,
    "customers/delete": handlers_customers.handle_customers_delete,
    "customer.tags_added": handlers_customers.handle_customer_tags,
    "customer.tags_removed": handlers_customers.handle_customer_tags,
    "customers/purchasing_summary": handlers_customers.handle_customers_purchasing_summary,
    "customers_email_marketing_consent/update": handlers_customers.handle_consent_update,
    "customers_marketing_consent/update": handlers_customers.handle_consent_update,
    "orders/create": handlers_orders.handle_orders_create,
    "orders/updated": handlers_orders.handle_orders_updated,
    "orders/paid": handlers_orders.handle_orders_paid,
    "orders/fulfilled": handlers_orders.handle_orders_fulfilled,
    "orders/partially_fulfilled": handlers_orders.handle_orders_partially_fulfilled,
    "orders/cancelled": handlers_orders.handle_orders_cancelled,
    "orders/delete": handlers_orders.handle_orders_delete,
    "refunds/create": handlers_orders.handle_refunds_create,
    "fulfillments/create": handlers_orders.handle_fulfillments_create,
    "fulfillments/update": handlers_orders.handle_fulfillments_update,
    "fulfillment_events/create": handlers_orders.handle_fulfillment_events_create,
    "checkouts/create": handlers_checkouts.handle_checkouts_create,
    "checkouts/update": handlers_checkouts.handle_checkouts_update,
    "checkouts/delete": handlers_checkouts.handle_checkouts_delete,
    "carts/create": handlers_checkouts.handle_carts,
    "carts/update": handlers_checkouts.handle_carts,
    "products/create": handlers_catalog.handle_products_create,
    "products/update": handlers_catalog.handle_products_update,
    "products/delete": handlers_catalog.handle_products_delete,
    "collections/create": handlers_catalog.handle_collections,
    "collections/update": handlers_catalog.handle_collections,
    "collections/delete": handlers_catalog.handle_collections_delete,
    "app/uninstalled": handlers_app.handle_app_uninstalled,
    "app/scopes_update": handlers_app.handle_app_scopes_update,
    "bulk_operations/finish": handlers_app.handle_bulk_operations_finish,
}
COMPLIANCE_HANDLERS = {
    "customers/data_request": privacy.handle_customers_data_request,
    "customers/redact": privacy.handle_customers_redact,
    "shop/redact": privacy.handle_shop_redact,
}
assert set(TOPIC_HANDLERS) | set(COMPLIANCE_HANDLERS) == KNOWN_TOPICS


def process_delivery(delivery_id: int) -> str:
    """Process one received delivery; return the state it ended in."""
    # The same writer turn as the receiver's INSERT, so the two queue fairly instead of
    # starving each other in SQLite's sleeping busy handler (writelock.py).
    with sqlite_writer(), transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery_id, state=DeliveryState.RECEIVED)
            .first()
        )
        if delivery is None:
            return "gone"  # processed meanwhile by another worker, or never existed
        ctx = Context(delivery.topic, delivery)
        try:
            with transaction.atomic():
                state, note = _route(delivery, ctx)
        except NotFoundYet as waiting:
            return _retry_later(delivery, str(waiting))
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
            return _retry_later(delivery, f"Error: {type(error).__name__}")
        _finish(delivery, state, note, ctx.resource)
    if delivery.topic.startswith(_MAY_UNBLOCK) and state == DeliveryState.PROCESSED:
        _wake_waiting(delivery.shop_domain)
    return state


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
    store = _active(stores)
    if store is None:
        return DeliveryState.IGNORED, "No store linked for this shop"
    if store.status in (StoreStatus.DISCONNECTED, StoreStatus.DELETING):
        return DeliveryState.SKIPPED, f"Store is {store.get_status_display()}"
    category = TOPIC_CATEGORY.get(topic)
    if category and not getattr(store, category):
        return DeliveryState.SKIPPED, "Category turned off"
    TOPIC_HANDLERS[topic](store, payload, ctx)
    now = clock.now()
    # One write a second is enough for "Last webhook"; a storm need not rewrite the store.
    if store.last_webhook_at is None or abs(now - store.last_webhook_at) >= LAST_WEBHOOK_EVERY:
        ShopifyStore.objects.filter(pk=store.pk).update(last_webhook_at=now)
    return DeliveryState.PROCESSED, ""


def _active(stores: list[ShopifyStore]) -> ShopifyStore | None:
    """The store actively linked to the shop (D2), else the most recent Disconnected one."""
    for store in stores:
        if store.status != StoreStatus.DISCONNECTED:
            return store
    return max(stores, key=lambda s: s.pk, default=None)


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


def _wake_waiting(shop_domain: str) -> None:
    """Re-enqueue deliveries of the shop waiting for a record this delivery may have brought."""
    from shoplink.integrations.shopify.tasks_webhooks import process_webhook

    waiting = WebhookDelivery.objects.filter(
        shop_domain=shop_domain, state=DeliveryState.RECEIVED, attempts__gt=0
    ).values_list("pk", flat=True)
    for pk in list(waiting):
        process_webhook(pk)


def requeue_stale_deliveries() -> int:
    """Sweeper: re-enqueue deliveries still received after ``STALE_AFTER`` (lost jobs).

    First attempts belong to their shop's drain: the shop is re-armed whatever its wake-up
    bit says (a drain lost with the queue leaves the bit set, ``wakeups.py``). Retries are
    re-enqueued one by one, as they were scheduled.
    """
    from shoplink.integrations.shopify import wakeups
    from shoplink.integrations.shopify.tasks_webhooks import drain_webhooks, process_webhook

    cutoff = clock.now() - STALE_AFTER
    stale = WebhookDelivery.objects.filter(state=DeliveryState.RECEIVED, received_at__lte=cutoff)
    first_attempts = stale.filter(attempts=0).order_by("shop_domain")
    shops = list(first_attempts.values_list("shop_domain", flat=True).distinct())
    for shop_domain in shops:
        wakeups.force(shop_domain)
        drain_webhooks(shop_domain)
    retries = list(stale.filter(attempts__gt=0).values_list("pk", flat=True)[:1000])
    for pk in retries:
        process_webhook(pk)
    return len(shops) + len(retries)
