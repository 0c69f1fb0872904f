"""One importer per store at a time, on any number of workers (D16, issue 5).

A lease is a row per store (``SyncLease``) taken with a single conditional UPDATE
("set holder where free or expired"), which is atomic on SQLite and PostgreSQL alike,
so no advisory locks or ``select_for_update`` are needed. The holder renews it while
it works; a worker that dies simply stops renewing and the lease expires. A holder
that is a dead process on this same host is treated as expired at once, so a worker
restarted after a crash (SIGKILL, OOM) resumes without waiting out the expiry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection
from django.db.models import Q

from shoplink.core import clock
from shoplink.integrations.shopify.models import ShopifyStore, SyncLease

__all__ = ["Lease", "acquire", "held"]


def _ttl() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "SHOPIFY_SYNC_LEASE_SECONDS", 300))


def _new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _process_gone(holder: str) -> bool:
    """True when ``holder`` names a process on this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process: a live holder (another thread) or our own
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """A held lease; ``renew()`` while working, ``release()`` when done."""

    def __init__(self, store_id: int, holder: str):
        self.store_id = store_id
        self.holder = holder

    def renew(self) -> bool:
        """Extend the lease; False if it was lost (expired and taken by another worker)."""
        return bool(
            SyncLease.objects.filter(store_id=self.store_id, holder=self.holder).update(
                expires_at=clock.now() + _ttl()
            )
        )

    def release(self) -> None:
        SyncLease.objects.filter(store_id=self.store_id, holder=self.holder).update(
            holder="", expires_at=clock.now()
        )


def acquire(store_id: int) -> Lease | None:
    """Take the store's lease if it is free, expired or held by a dead local process."""
    now = clock.now()
    try:
        row, _ = SyncLease.objects.get_or_create(
            store_id=store_id, defaults={"holder": "", "expires_at": now}
        )
    except IntegrityError as exc:
        # No lease row can point at a store that is gone: a job queued before Delete.
        # Said as "the store does not exist", which the queue ends quietly (queue.jobs).
        raise ShopifyStore.DoesNotExist(f"store {store_id} no longer exists") from exc
    holder = _new_holder()
    free = Q(holder="") | Q(expires_at__lte=now)
    if row.holder and _process_gone(row.holder):
        free |= Q(holder=row.holder)
    taken = SyncLease.objects.filter(free, store_id=store_id).update(
        holder=holder, expires_at=now + _ttl()
    )
    return Lease(store_id, holder) if taken else None


@contextlib.contextmanager
def held(store_id: int) -> Iterator[Lease | None]:
    """``with held(id) as lease:`` — ``lease`` is None when another worker has it."""
    lease = acquire(store_id)
    try:
        yield lease
    finally:
        if lease is not None:
            _release_patiently(lease)


# A release that meets the database away (a restart, a failover: what usually made the
# import fail in the first place) is tried again for about as long as one takes. A lease
# left held names a live process, so no worker could resume the import until its TTL ran
# out, minutes later (measured: bench/storm.py --fault pg-restart, session 7).
RELEASE_TRIES = 8
RELEASE_PAUSE = 2.0  # seconds


def _release_patiently(lease: Lease) -> None:
    for attempt in range(RELEASE_TRIES):
        try:
            lease.release()
            return
        except DatabaseError:
            if attempt == RELEASE_TRIES - 1 or connection.in_atomic_block:
                raise
            connection.close()  # the next try on a fresh connection
            time.sleep(RELEASE_PAUSE)
