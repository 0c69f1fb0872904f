"""Jobs still queued for a deleted store end quietly: one log line each, no traceback.

A real Huey consumer runs the jobs; its whole output is read back.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from shoplink.integrations.shopify.api.errors import ShopifyAuthError
from shoplink.integrations.shopify.jobs import connection, store_gone, sync
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from shoplink.integrations.shopify.tests.webhook_helpers import make_store
from shoplink.queue.jobs import gone_reason, ping
from shoplink.queue.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[5]


@pytest.mark.django_db(transaction=True)
def test_jobs_for_a_deleted_store_end_with_one_line_and_no_traceback(
    project, worker_env, real_queue
):
    store = make_store(project, "gone-store.myshopify.com")
    store_id = store.pk
    ShopifyStore.objects.filter(pk=store_id).delete()  # Delete finished before the jobs ran
    sync.advance_sync(store_id)  # .get(pk=…) inside: ShopifyStore.DoesNotExist
    connection.check_store_health(store_id)
    token = uuid.uuid4().hex
    ping(token)  # runs after the others (one worker thread): the sentinel

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env={**worker_env, "TEST_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.filter(worker=f"ping:{token}").exists():
            assert time.monotonic() < deadline, "the consumer never ran the jobs"
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=15)[0]

    assert "Traceback" not in output, output
    ended = [line for line in output.splitlines() if "ended without work" in line]
    assert ended == [line for line in ended if f"advance_sync({store_id},)" in line], (
        output
    )  # check_store_health finds no store and returns: nothing to say
    assert len(ended) == 1, output
    assert "ShopifyStore no longer exists" in ended[0]
    # Each line once: the "huey" logger has one handler (no copy via the root logger).
    stamped = [
        (m.group(0), line[-60:])
        for line in output.splitlines()
        if (m := re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line))
    ]
    assert len(stamped) == len(set(stamped)), output


@pytest.mark.django_db
def test_an_auth_error_is_quiet_only_for_a_deleted_store(project):
    live = make_store(project, "live-store.myshopify.com")
    deleting = make_store(project, "deleting-store.myshopify.com", status=StoreStatus.DELETING)
    error = ShopifyAuthError("Invalid API key or access token", status=401)
    assert store_gone(error, "advance_sync", (live.pk,)) is None
    assert gone_reason(error, "advance_sync", (live.pk,)) is None  # a live store: raised
    assert "deleted" in gone_reason(error, "advance_sync", (deleting.pk,))
    assert "deleted" in gone_reason(error, "drain_webhooks", ("deleting-store.myshopify.com",))
    assert "deleted" in gone_reason(error, "reconcile_store", (10**9,))
    assert gone_reason(RuntimeError("bug"), "advance_sync", (deleting.pk,)) is None
    # Jobs whose first argument is not a store id never take it for one.
    assert gone_reason(error, "process_webhook", (deleting.pk,)) is None
