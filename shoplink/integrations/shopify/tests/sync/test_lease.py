"""One importer per store: the lease row is exclusive, expires, and frees dead holders."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys

import pytest

from shoplink.integrations.shopify.models import ShopifyStore, SyncLease
from shoplink.integrations.shopify.sync import lease
from shoplink.integrations.shopify.sync import runs as sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(project):
    return ShopifyStore.objects.create(project=project, domain="lease-shop.myshopify.com")


def test_a_second_worker_does_not_get_the_lease(store):
    first = lease.acquire(store.pk)
    assert first is not None
    assert lease.acquire(store.pk) is None
    assert sync.advance(store.pk) == "busy"  # the step function backs off too
    first.release()
    assert lease.acquire(store.pk) is not None


def test_an_expired_lease_is_taken_over(store, frozen_clock):
    frozen_clock.freeze(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    stale = lease.acquire(store.pk)
    frozen_clock.advance(dt.timedelta(minutes=10))
    fresh = lease.acquire(store.pk)
    assert fresh is not None
    assert stale.renew() is False  # the old holder learns it lost the lease


def test_a_lease_held_by_a_dead_local_process_is_free(store):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    SyncLease.objects.create(
        store=store,
        holder=f"{socket.gethostname()}:{dead.pid}:abc",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    assert lease.acquire(store.pk) is not None


def test_a_lease_held_by_a_live_process_is_respected(store):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        SyncLease.objects.create(
            store=store,
            holder=f"{socket.gethostname()}:{alive.pid}:abc",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        )
        assert lease.acquire(store.pk) is None
    finally:
        alive.kill()
        alive.wait()
