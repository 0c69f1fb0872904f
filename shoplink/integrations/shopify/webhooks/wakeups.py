"""Coalesced wake-ups of the webhook worker: at most one queued drain per shop.

A storm of deliveries used to cost one queue entry per delivery, and nearly every job
then found its delivery already taken by a batch. Now the receiver enqueues a *drain of
the shop's inbox* only when none is queued, and the drain processes whatever the shop has
pending (``handlers_batch.drain``). ``WebhookWake.queued`` is the one shared bit:

* receiver, after its delivery row is committed: :func:`claim` — if the shop's drain is
  not queued, mark it queued and enqueue one; if it is, do nothing more;
* drain, before it reads anything: :func:`release` (committed on its own), then read
  the shop's pending deliveries.

Why nothing is lost: a receiver that saw "queued" read the bit before the drain's release
was committed, and its delivery row was committed before that read, so the drain's read
(after the release) sees the row. A receiver that saw "not queued" enqueues a drain
itself. The statements run in autocommit (never inside one transaction), which is what
makes each step visible to the other side in that order on SQLite and PostgreSQL alike.

A drain lost with the queue (a deleted queue file, a flushed Redis) leaves the bit set;
the minute sweeper (``handlers.requeue_stale_deliveries``) re-arms any shop whose
deliveries wait past ``STALE_AFTER``, so the worst case is a minute's delay.
"""

from __future__ import annotations

from django.db import connections

from shoplink.core.dbrouter import inbox_alias
from shoplink.integrations.shopify.models import WebhookWake
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

_TABLE = WebhookWake._meta.db_table


def claim(shop_domain: str) -> bool:
    """Mark a drain of the shop as queued; True when the caller must enqueue it.

    Call it after the delivery row is committed. The read takes no write turn (the
    common case in a storm: the bit is set, nothing to write); only setting it does.
    """
    connection = connections[inbox_alias()]
    quote = connection.ops.quote_name
    table, queued = quote(_TABLE), quote("queued")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {queued} FROM {table} WHERE shop_domain = %s", [shop_domain])
        row = cursor.fetchone()
        if row is not None and row[0]:
            return False
        with sqlite_writer(inbox_alias()):
            if row is not None:
                cursor.execute(
                    f"UPDATE {table} SET {queued} = %s WHERE shop_domain = %s AND {queued} = %s",
                    [True, shop_domain, False],
                )
            else:
                cursor.execute(
                    f"INSERT INTO {table} (shop_domain, {queued}) VALUES (%s, %s) "
                    "ON CONFLICT (shop_domain) DO NOTHING",
                    [shop_domain, True],
                )
            # 0 rows: another receiver set the bit between our read and our write.
            return cursor.rowcount == 1


def release(shop_domain: str) -> None:
    """The drain has started: deliveries from now on need a new wake-up."""
    with sqlite_writer(inbox_alias()):
        WebhookWake.objects.filter(shop_domain=shop_domain, queued=True).update(queued=False)


def force(shop_domain: str) -> None:
    """Mark the shop's drain queued whatever the bit says (the sweeper enqueues it)."""
    with sqlite_writer(inbox_alias()):
        updated = WebhookWake.objects.filter(shop_domain=shop_domain).update(queued=True)
        if not updated:
            WebhookWake.objects.get_or_create(shop_domain=shop_domain, defaults={"queued": True})
