"""The receiver while PostgreSQL is unreachable: a quick 5xx, then Shopify's retry counts.

gunicorn as ``shoplink serve`` starts it (``config.wsgi`` with ``config.gunicorn``) talks
to the test database through a TCP proxy (``bench/storm.py _proxy``, the storm's own)
that the test kills and restarts, as the storm's ``pg-restart`` fault does. While the
database is away a delivery must be answered 5xx inside Shopify's 5 s (PLATFORM.md
§2.2), so that Shopify retries it, and the ones right after it at once (503, ADR 0080);
a receiver thread held longer answered nothing, and the deliveries behind it timed out
(docs/performance.md, "Storm", session 7). Once the
database is back the retry is stored once and a real consumer processes it.

PostgreSQL only: SQLite is a file in the process, with no server to lose.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.db import connection

from config.wsgi import WEBHOOK_PATH
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, signed_headers

ROOT = Path(__file__).resolve().parents[5]
SHOP = "snowdevil.myshopify.com"
# Shopify's whole budget for one delivery (PLATFORM.md §2.2): the client gives up after it.
SHOPIFY_TIMEOUT = httpx.Timeout(5.0, connect=1.0)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database server to take away"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the process exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def _proxy(listen: int) -> subprocess.Popen:
    target = str(connection.settings_dict["PORT"] or 5432)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "storm.py"), "_proxy", str(listen), target],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(listen, proc)
    return proc


def _delivery(order_id: int) -> tuple[bytes, dict]:
    """A new guest order (no buyer to wait for), signed as Shopify signs it."""
    body = json.dumps(dict(load("orders/updated"), id=order_id, customer=None)).encode()
    environ = signed_headers(body, "orders/create", SHOP, webhook_id=str(uuid.uuid4()))
    headers = {
        key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in environ.items()
    }
    return body, dict(headers, **{"Content-Type": "application/json"})


def test_a_delivery_while_the_database_is_away_gets_a_quick_5xx_and_its_retry_counts(
    project, worker_env, real_queue
):
    make_store(project, SHOP)
    proxy_port, web_port = _free_port(), _free_port()
    settings_dict = connection.settings_dict
    env = dict(
        worker_env,
        DATABASE_URL=(
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{proxy_port}/{settings_dict['NAME']}"
        ),
    )
    proxy = _proxy(proxy_port)
    # As ``shoplink serve`` starts it, smaller.
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    command += ["--config", "python:config.gunicorn", "--bind", f"127.0.0.1:{web_port}"]
    command += ["--workers", "1", "--threads", "2"]
    web = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    url = f"http://127.0.0.1:{web_port}{WEBHOOK_PATH}"
    try:
        _wait_port(web_port, web)
        with httpx.Client(timeout=SHOPIFY_TIMEOUT) as shopify:
            body, headers = _delivery(1001)
            assert shopify.post(url, content=body, headers=headers).status_code == 200

            proxy.kill()
            proxy.wait()
            # The first attempt may fail at once on the pool's dead connection, or wait
            # for a new one, which must not outlast Shopify's deadline (an httpx
            # ReadTimeout fails the test); the next ones are answered 503 at once
            # (receiver.Outage) rather than each holding a thread for the pool's wait.
            statuses = []
            for order_id in (1003, 1004, 1002):
                body, headers = _delivery(order_id)
                statuses.append(shopify.post(url, content=body, headers=headers).status_code)
            assert statuses[0] == 500 and statuses[1:] == [503, 503], statuses

            proxy = _proxy(proxy_port)
            # Shopify's retry of the same delivery (same webhook id), until one is taken.
            deadline = time.monotonic() + 30
            while (status := shopify.post(url, content=body, headers=headers).status_code) != 200:
                assert status in (500, 503) and time.monotonic() < deadline, status
                time.sleep(0.5)

        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
            cwd=ROOT,
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        placed = Event.objects.filter(name="shopify_order_placed")
        deadline = time.monotonic() + 60
        while placed.count() < 2:
            assert time.monotonic() < deadline, list(placed.values_list("idempotency_key"))
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
    finally:
        for proc in (worker, web, proxy):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    delivered = WebhookDelivery.objects.filter(shop_domain=SHOP)
    assert sorted(delivered.values_list("state", flat=True)) == ["processed", "processed"]
    assert placed.count() == 2
