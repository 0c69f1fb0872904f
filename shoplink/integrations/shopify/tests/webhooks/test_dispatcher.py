"""The production WSGI entry (``config.wsgi``) answers deliveries without Django's stack.

Served over real HTTP by a WSGI server in a thread, so the tests go through the same
``application`` gunicorn loads: the receiver's verify → insert → enqueue → 200 must hold
there exactly as through the Django view, and every other request must reach Django.
"""

from __future__ import annotations

import http.client
import json
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from config.wsgi import WEBHOOK_PATH, application
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, signed_headers
from shoplink.integrations.shopify.webhooks.receiver import MAX_BODY_BYTES

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db(transaction=True)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # the test output is not an access log
        pass


@pytest.fixture
def server():
    httpd = make_server("127.0.0.1", 0, application, WSGIServer, _QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def _send(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _http_headers(environ_headers: dict) -> dict:
    """``HTTP_X_SHOPIFY_TOPIC`` → ``X-Shopify-Topic`` (the helpers speak WSGI environ)."""
    return {
        key.removeprefix("HTTP_").replace("_", "-").title(): value
        for key, value in environ_headers.items()
    }


def _new_order(order_id: int = 820982911946154508) -> dict:
    """The sample order as an ``orders/create`` of a guest (no buyer to wait for)."""
    return dict(load("orders/updated"), id=order_id, customer=None)


def _deliver(port: int, topic: str, payload, **kwargs):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = _http_headers(signed_headers(body, topic, SHOP, **kwargs))
    return _send(port, "POST", WEBHOOK_PATH, body, headers)


def test_a_signed_delivery_is_acknowledged_recorded_and_processed(server, store):
    status, _ = _deliver(server, "orders/create", _new_order(), webhook_id="d-1")
    assert status == 200
    row = WebhookDelivery.objects.get(webhook_id="d-1")
    assert (row.topic, row.shop_domain, row.state) == ("orders/create", SHOP, "processed")
    assert row.headers["X-Shopify-API-Version"] == "2026-07"
    assert row.body is None
    assert Event.objects.filter(name="shopify_order_placed").count() == 1


def test_a_duplicate_answers_200_and_does_nothing(server, store):
    body = json.dumps(_new_order()).encode()
    assert _deliver(server, "orders/create", body, webhook_id="dup")[0] == 200
    assert _deliver(server, "orders/create", body, webhook_id="dup")[0] == 200
    assert WebhookDelivery.objects.filter(webhook_id="dup").count() == 1
    assert Event.objects.filter(name="shopify_order_placed").count() == 1


def test_a_tampered_body_answers_401_and_stores_nothing(server, store):
    body = json.dumps(_new_order()).encode()
    headers = _http_headers(signed_headers(body, "orders/create", SHOP))
    status, text = _send(server, "POST", WEBHOOK_PATH, body.replace(b"1", b"2", 1), headers)
    assert (status, text) == (401, b"Invalid signature")
    assert not WebhookDelivery.objects.exists()


def test_an_oversized_body_is_413_and_recorded_as_rejected(server, store):
    body = b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'
    status, _ = _deliver(server, "orders/create", body, webhook_id="big")
    assert status == 413
    row = WebhookDelivery.objects.get(webhook_id="big")
    assert (row.state, row.note, row.body) == (DeliveryState.REJECTED, "Body too large", None)


def test_a_body_beyond_the_hard_limit_is_413_without_being_read(server, store):
    headers = {"Content-Length": str(100 * MAX_BODY_BYTES), "X-Shopify-Topic": "orders/create"}
    status, text = _send(server, "POST", WEBHOOK_PATH, b"{}", headers)
    assert (status, text) == (413, b"Payload too large")
    assert not WebhookDelivery.objects.exists()


def test_other_requests_still_go_through_django(server):
    assert _send(server, "GET", WEBHOOK_PATH)[0] == 405  # require_POST, as before
    assert _send(server, "GET", "/healthz")[0] == 200


def test_deliveries_skip_the_middleware_stack(server, store):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    body = json.dumps(_new_order()).encode()
    conn.request(
        "POST", WEBHOOK_PATH, body, _http_headers(signed_headers(body, "orders/create", SHOP))
    )
    delivered = conn.getresponse()
    delivered.read()
    conn.request("GET", "/healthz")
    django_answer = conn.getresponse()
    conn.close()
    # XFrameOptionsMiddleware marks every Django response; the dispatcher's has no such stamp.
    assert delivered.status == 200 and delivered.getheader("X-Frame-Options") is None
    assert django_answer.getheader("X-Frame-Options") == "DENY"


def test_a_concurrent_storm_with_a_real_worker_loses_no_delivery(store, worker_env, real_queue):
    """Many receivers and a worker process race on the shop's wake-up bit (wakeups.py).

    Eight client threads post new orders to a threaded server while a real consumer
    drains; whatever the interleaving, every delivery must end processed with its event,
    though the burst needs far fewer queue entries than deliveries.
    """
    from concurrent.futures import ThreadPoolExecutor
    from wsgiref.simple_server import WSGIServer as _Base

    from huey.contrib.djhuey import HUEY

    class ThreadedServer(socketserver.ThreadingMixIn, _Base):
        daemon_threads = True

    httpd = make_server("127.0.0.1", 0, application, ThreadedServer, _QuietHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    enqueued = []
    original = HUEY.enqueue
    HUEY.enqueue = lambda task: (enqueued.append(task.name), original(task))[1]
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--no-periodic"],
        cwd=Path(__file__).resolve().parents[5],
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    total = 240

    def deliver(n: int) -> int:
        time.sleep(0.07)  # spread over ~2 s, so drains start and end during the burst
        return _deliver(port, "orders/create", _new_order(5_000 + n))[0]

    try:
        _wait_for_ping(worker)  # the consumer is up and polling before the burst
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(deliver, range(total)))
        assert statuses == [200] * total
        deadline = time.monotonic() + 60
        placed = Event.objects.filter(name="shopify_order_placed")
        while placed.count() < total:
            assert time.monotonic() < deadline, f"{placed.count()} of {total} events"
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
    finally:
        HUEY.enqueue = original
        worker.terminate()
        worker.wait(10)
        httpd.shutdown()
        httpd.server_close()
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"processed"}
    assert Event.objects.filter(name="shopify_order_placed").count() == total
    # Drains started and ended during the burst (the race was run), yet far fewer
    # queue entries than deliveries.
    assert 2 <= enqueued.count("drain_webhooks") < total / 2


def _wait_for_ping(worker) -> None:
    from shoplink.queue.jobs import ping
    from shoplink.queue.models import WorkerHeartbeat

    token = uuid.uuid4().hex
    ping(token)
    deadline = time.monotonic() + 30
    while not WorkerHeartbeat.objects.filter(worker=f"ping:{token}").exists():
        assert time.monotonic() < deadline, "the consumer never ran the job"
        assert worker.poll() is None, "the consumer exited"
        time.sleep(0.1)
