"""The worker's side of the inbox: a shop's drain, with new orders processed set-wise.

``drain`` is what the receiver's wake-up runs (``wakeups.py``): every pending
first-attempt delivery of the shop, oldest first.

A storm is mostly new orders, and one ``orders/create`` through ``process_delivery``
costs ~20 queries, nearly all of it query building rather than SQLite work; the same
queries over a whole batch cost little more than over one. So a new order takes the
shop's other pending ``orders/create`` deliveries (first attempts only, up to
``BATCH_SIZE``) along and runs them through ``topics.orders.orders_created`` (what
``handle_orders_create`` does for one) once, with the same outcome per delivery:
the order upserted, ``shopify_order_placed`` and ``shopify_ordered_product`` emitted
(deduplicated by their idempotency keys), the delivery processed and its body blanked.

Whatever does not fit the batch goes through ``inbox.process_delivery``: other topics,
retries (``process_pending``, one job per delivery), a buyer not held yet (it waits,
§2.3), an equal-second tie-break, a second delivery for the same order, a store that is
not plainly active. If anything in the batch raises, the batch is rolled back and the
deliveries are processed one at a time, so one bad payload costs speed, never
correctness.
"""

from __future__ import annotations

import logging
import time

import orjson
from django.db import connections, transaction

from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.core import clock
from shoplink.core.dbrouter import inbox_alias, inbox_is_separate
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.models import DeliveryState, ShopifyStore, WebhookDelivery
from shoplink.integrations.shopify.webhooks import inbox, wakeups
from shoplink.integrations.shopify.webhooks.topics import orders
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

log = logging.getLogger(__name__)

BATCH_TOPIC = "orders/create"
# Large enough to amortise the query building, small enough that a writer turn (~0.4 ms
# per order) never keeps the receiver waiting long.
BATCH_SIZE = 100
# A drain reads this many pending deliveries at a time, and hands the rest of a storm to
# a fresh drain after this long.
DRAIN_PAGE = 500
DRAIN_SECONDS = 5.0
_FINISHED = ("headers", "state", "note", "processed_at", "body", "attempts")


def drain(shop_domain: str) -> int:
    """Process the shop's pending first-attempt deliveries, oldest first; return how many.

    The receiver's wake-up (``wakeups.py``): the bit is released before anything is read,
    so a delivery committed after that read wakes another drain. New orders go set-wise
    (a batch may take later ones ahead of their turn, as one job per delivery did); each
    other delivery goes through ``process_delivery``, which either finishes it or leaves
    it for a retry (``attempts`` > 0), so every pass makes progress. After
    ``DRAIN_SECONDS`` the rest is left to a fresh drain at the back of the queue, so one
    busy shop cannot hold a worker thread from the others.
    """
    wakeups.release(shop_domain)
    deadline = time.monotonic() + DRAIN_SECONDS
    handled = 0
    while pending := _first_attempts(shop_domain):
        taken: set[int] = set()
        batching = True
        for delivery_id, topic in pending:
            if delivery_id in taken:
                continue
            if topic == BATCH_TOPIC and batching:
                batch = _process_new_orders(shop_domain)
                # Nothing taken (none fits, or the batch raised): the rest of this pass
                # goes one at a time rather than retrying the same batch per delivery.
                batching = bool(batch)
                taken |= batch
                if delivery_id in taken:
                    continue
            inbox.process_delivery(delivery_id)
            taken.add(delivery_id)
        handled += len(taken)
        if time.monotonic() > deadline:
            if _first_attempts(shop_domain) and wakeups.claim(shop_domain):
                intents.drain_webhooks(shop_domain)
            break
    return handled


def _first_attempts(shop_domain: str) -> list[tuple[int, str]]:
    return list(
        WebhookDelivery.objects.filter(
            shop_domain=shop_domain, state=DeliveryState.RECEIVED, attempts=0
        )
        .order_by("pk")
        .values_list("pk", "topic")[:DRAIN_PAGE]
    )


def _process_new_orders(shop_domain: str) -> set[int]:
    """The shop's pending new orders, set-wise; the ids of the deliveries it finished.

    With the inbox in the main database (PostgreSQL) the deliveries are finished in the
    same transaction as the orders and events. With an inbox of its own (SQLite,
    ``core/dbrouter.py``) no transaction spans both: they are finished right after the
    data's commit, still inside the main database's write turn (so no other worker reads
    them as pending meanwhile) and in one short inbox write turn (so the receiver waits
    for that UPDATE, never for the batch). A crash between the two commits leaves them
    pending; processing them again changes nothing (upserts keep the newer row, events
    are deduplicated by their idempotency keys).
    """
    separate = inbox_is_separate()
    try:
        with sqlite_writer():
            with transaction.atomic():
                picked = _process_batch(shop_domain)
                if picked and not separate:
                    _finish_all(picked)
            if picked and separate:
                with sqlite_writer(inbox_alias()):
                    _finish_all(picked)
    except Exception as error:
        # Rolled back as a whole; one at a time gives each delivery its own outcome.
        log.warning("orders/create batch fell back to one delivery (%s)", type(error).__name__)
        picked = []
    done = {delivery.pk for delivery, _ in picked}
    if done:
        inbox.wake_waiting(shop_domain)  # new orders may unblock waiting deliveries
    return done


def process_pending(delivery_id: int) -> str:
    """Process this delivery (with its shop's pending new orders); return its state."""
    head = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.RECEIVED)
        .only("topic", "shop_domain", "attempts")
        .first()
    )
    if head is None:
        return "gone"  # processed meanwhile, by a batch or another worker
    if head.topic != BATCH_TOPIC or head.attempts:
        return inbox.process_delivery(delivery_id)
    if delivery_id in _process_new_orders(head.shop_domain):
        return DeliveryState.PROCESSED
    return inbox.process_delivery(delivery_id)


def _process_batch(shop_domain: str) -> list[tuple]:
    """Process what can be processed set-wise; return those (delivery, record) pairs.

    The caller marks the deliveries finished (``_finish_all``).
    """
    store = inbox.routable_store(shop_domain, BATCH_TOPIC)
    if store is None:
        return []
    batch = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(
            shop_domain=shop_domain,
            topic=BATCH_TOPIC,
            state=DeliveryState.RECEIVED,
            attempts=0,
        )
        .order_by("pk")[:BATCH_SIZE]
    )
    picked = _pick(store, batch)
    if not picked:
        return []
    # The same handler logic as one orders/create at a time, over the whole batch.
    orders.orders_created(store, [record for _, record in picked])
    inbox.note_arrival(store)
    return picked


def _finish_all(picked: list[tuple]) -> None:
    """``inbox``'s finish for the whole batch in one ``executemany``.

    Each row keeps its own headers (with the order it wrote, for tie-breaks), so one
    UPDATE per row is needed; built once here rather than by the ORM per row.
    """
    connection = connections[inbox_alias()]
    meta = WebhookDelivery._meta
    quote = connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in _FINISHED}
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {column['headers']} = %s, {column['state']} = %s, "
        f"{column['note']} = '', {column['processed_at']} = %s, {column['body']} = NULL, "
        f"{column['attempts']} = {column['attempts']} + 1 WHERE {quote(meta.pk.column)} = %s"
    )
    headers = meta.get_field("headers")
    processed_at = meta.get_field("processed_at").get_db_prep_save(clock.now(), connection)
    rows = [
        (
            headers.get_db_prep_save(
                {**delivery.headers, "resource": f"order:{record.external_id}"}, connection
            ),
            DeliveryState.PROCESSED.value,
            processed_at,
            delivery.pk,
        )
        for delivery, record in picked
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _pick(store: ShopifyStore, batch: list[WebhookDelivery]) -> list[tuple]:
    """(delivery, record) pairs that behave exactly as they would one at a time."""
    pairs, seen = [], set()
    for delivery in batch:
        record = mapping.order_from_webhook(orjson.loads(bytes(delivery.body or b"{}")))
        if record.external_id in seen:
            continue  # a second delivery for one order: its own turn orders the two
        seen.add(record.external_id)
        pairs.append((delivery, record))
    if store.sync_customers:
        # The buyer must be held first (§2.3); those wait through process_delivery.
        wanted = {r.customer_external_id for _, r in pairs if r.customer_external_id}
        held = set(
            Contact.objects.filter(project=store.project, external_id__in=wanted).values_list(
                "external_id", flat=True
            )
        )
        pairs = [
            (d, r) for d, r in pairs if not r.customer_external_id or r.customer_external_id in held
        ]
    stored = dict(
        Order.objects.filter(
            project=store.project,
            source=store.source,
            external_id__in=[r.external_id for _, r in pairs],
        ).values_list("external_id", "source_updated_at")
    )
    # An equal-second version already stored needs the triggered-at tie-break: one at a time.
    return [
        (d, r)
        for d, r in pairs
        if stored.get(r.external_id) is None or stored[r.external_id] != r.source_updated_at
    ]
