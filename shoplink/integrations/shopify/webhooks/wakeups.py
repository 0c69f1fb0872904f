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

A drain lost with the queue (a deleted queue file, a restarted Redis) leaves the bit set.
The bit carries when it was set (``queued_at``): a receiver that finds it set for longer
than ``WAKE_TTL`` presumes the drain lost and re-arms it (one receiver wins the guarded
UPDATE), so a shop that keeps receiving is drained again within ``WAKE_TTL``. A drain
merely waiting behind a deep queue costs at most one extra drain per shop per
``WAKE_TTL``, and a second drain of a shop is harmless (each delivery is taken under a
row lock, and a drain with nothing pending is two statements). A shop that receives
nothing more is re-armed by the minute sweeper (``inbox.requeue_stale_deliveries``),
whatever the bit says, once its deliveries wait past ``inbox.STALE_AFTER``; sooner, the
consumers' quick sweep (``inbox.rearm_lost_drains``, every few seconds) re-arms a shop
whose first attempts wait past ``inbox.REARM_AFTER`` with no fresh wake-up. The storm
benchmark's ``--fault redis-restart`` measured both (docs/performance.md, "Storm").
"""

from __future__ import annotations

import datetime as dt

from django.db import connections

from shoplink.core import clock
from shoplink.core.dbrouter import inbox_alias
from shoplink.integrations.shopify.models import WebhookWake
from shoplink.integrations.shopify.webhooks.writelock import sqlite_writer

_TABLE = WebhookWake._meta.db_table
# Longer than a drain waits on a healthy queue (the worker's threads pick one up within
# milliseconds; a drain hands over after ``drain.DRAIN_SECONDS``), short enough that a
# lost queue delays a busy shop's events by seconds, not until the minute sweeper.
WAKE_TTL = dt.timedelta(seconds=5)


def claim(shop_domain: str) -> bool:
    """Mark a drain of the shop as queued; True when the caller must enqueue it.

    Call it after the delivery row is committed. The read takes no write turn (the
    common case in a storm: the bit is set and fresh, nothing to write); only setting
    it, or re-arming a drain queued longer than ``WAKE_TTL`` (presumed lost), does.
    """
    connection = connections[inbox_alias()]
    quote = connection.ops.quote_name
    table, queued, queued_at = quote(_TABLE), quote("queued"), quote("queued_at")
    now = clock.now()
    cutoff = connection.ops.adapt_datetimefield_value(now - WAKE_TTL)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {queued}, ({queued_at} IS NULL OR {queued_at} < %s) "
            f"FROM {table} WHERE shop_domain = %s",
            [cutoff, shop_domain],
        )
        row = cursor.fetchone()
        if row is not None and row[0] and not row[1]:
            return False
        with sqlite_writer(inbox_alias()):
            if row is not None and row[0]:
                # Queued too long: the drain went with the queue. Re-arm it once.
                cursor.execute(
                    f"UPDATE {table} SET {queued_at} = %s WHERE shop_domain = %s "
                    f"AND {queued} = %s AND ({queued_at} IS NULL OR {queued_at} < %s)",
                    [stamp, shop_domain, True, cutoff],
                )
            elif row is not None:
                cursor.execute(
                    f"UPDATE {table} SET {queued} = %s, {queued_at} = %s "
                    f"WHERE shop_domain = %s AND {queued} = %s",
                    [True, stamp, shop_domain, False],
                )
            else:
                cursor.execute(
                    f"INSERT INTO {table} (shop_domain, {queued}, {queued_at}) "
                    "VALUES (%s, %s, %s) ON CONFLICT (shop_domain) DO NOTHING",
                    [shop_domain, True, stamp],
                )
            # 0 rows: another receiver set (or re-armed) the bit between our read and write.
            return cursor.rowcount == 1


def release(shop_domain: str) -> None:
    """The drain has started: deliveries from now on need a new wake-up."""
    with sqlite_writer(inbox_alias()):
        WebhookWake.objects.filter(shop_domain=shop_domain, queued=True).update(queued=False)


def force(shop_domain: str) -> None:
    """Mark the shop's drain queued whatever the bit says (the sweeper enqueues it)."""
    with sqlite_writer(inbox_alias()):
        now = clock.now()
        updated = WebhookWake.objects.filter(shop_domain=shop_domain).update(
            queued=True, queued_at=now
        )
        if not updated:
            WebhookWake.objects.get_or_create(
                shop_domain=shop_domain, defaults={"queued": True, "queued_at": now}
            )
