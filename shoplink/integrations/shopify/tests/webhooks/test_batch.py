"""One drain per shop: woken once for a burst, it takes the shop's pending deliveries
together (new orders set-wise), with the same per-delivery outcomes as one at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from shoplink.events.models import Event
from shoplink.integrations.shopify.jobs.webhooks import drain_webhooks
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery, WebhookWake
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender
from shoplink.integrations.shopify.webhooks.inbox import requeue_stale_deliveries

SHOP = "snowdevil.myshopify.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks, real_queue):
    # Jobs wait in the real queue, so several deliveries are pending when one job runs.
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


def _order(order_id: int, customer_id: int | None = None) -> dict:
    customer = {"id": customer_id} if customer_id else None
    return dict(load("orders/updated"), id=order_id, customer=customer)


def _run_next_job(queue):
    """Take the next job off the queue and run its task here (inside the test's transaction)."""
    job = queue.dequeue()
    assert job.name.endswith("drain_webhooks")
    assert job.args == (SHOP,)  # a shop domain: no payload, no personal data
    drain_webhooks.call_local(*job.args)


def _jobs(queue) -> list:
    return [queue.dequeue() for _ in range(len(queue))]


def _states() -> dict[str, str]:
    # This shop's deliveries only: on PostgreSQL a late delivery from another test's
    # simulator can be committed in the same database meanwhile.
    return dict(WebhookDelivery.objects.filter(shop_domain=SHOP).values_list("webhook_id", "state"))


def test_a_burst_wakes_one_drain_that_processes_every_pending_delivery(store, deliver, real_queue):
    for n in range(3):
        assert (
            deliver("orders/create", _order(1000 + n), SHOP, webhook_id=f"o-{n}").status_code == 200
        )
    deliver("orders/updated", dict(_order(1000), updated_at="2030-01-01T00:00:00Z"), SHOP)
    assert len(real_queue) == 1  # one wake-up for the burst, not one job per delivery
    assert WebhookWake.objects.get(shop_domain=SHOP).queued

    _run_next_job(real_queue)
    assert set(_states().values()) == {DeliveryState.PROCESSED}
    placed = Event.objects.filter(name="shopify_order_placed")
    assert sorted(e.data["order_id"] for e in placed) == ["1000", "1001", "1002"]
    assert WebhookDelivery.objects.filter(body__isnull=False).count() == 0
    assert WebhookDelivery.objects.get(webhook_id="o-1").headers["resource"] == "order:1001"
    assert len(real_queue) == 0 and not WebhookWake.objects.get(shop_domain=SHOP).queued

    # The drain released the bit: the next delivery wakes a new one.
    deliver("orders/create", _order(1003), SHOP, webhook_id="o-3")
    assert len(real_queue) == 1
    _run_next_job(real_queue)
    assert _states()["o-3"] == DeliveryState.PROCESSED
    assert Event.objects.filter(name="shopify_order_placed").count() == 4


def test_a_drain_lost_with_the_queue_is_re_armed_by_the_sweeper(
    store, deliver, real_queue, frozen_clock, django_capture_on_commit_callbacks
):
    frozen_clock.freeze(frozen_clock.now())
    deliver("orders/create", _order(1100), SHOP, webhook_id="lost")
    real_queue.flush()  # the queue file deleted: the bit still says "queued"
    deliver("orders/create", _order(1101), SHOP, webhook_id="after")
    assert len(real_queue) == 0  # nothing enqueued, the bit is set

    frozen_clock.advance(dt.timedelta(seconds=61))
    # The sweeper asks for the drain on commit (it runs outside any transaction in a
    # worker; here the test's transaction stands in for that commit).
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_deliveries() == 1  # one shop re-armed
    assert len(real_queue) == 1
    _run_next_job(real_queue)
    assert _states() == {"lost": DeliveryState.PROCESSED, "after": DeliveryState.PROCESSED}


def test_a_drain_lost_with_the_queue_is_re_armed_by_the_next_delivery_after_the_ttl(
    store, deliver, real_queue, frozen_clock
):
    from shoplink.integrations.shopify.webhooks.wakeups import WAKE_TTL

    frozen_clock.freeze(frozen_clock.now())
    deliver("orders/create", _order(1200), SHOP, webhook_id="lost")
    real_queue.flush()  # Redis restarted empty: the bit still says "queued"
    frozen_clock.advance(WAKE_TTL - dt.timedelta(seconds=1))
    deliver("orders/create", _order(1201), SHOP, webhook_id="young")
    assert len(real_queue) == 0  # a drain queued this recently may just be waiting its turn

    frozen_clock.advance(dt.timedelta(seconds=2))
    deliver("orders/create", _order(1202), SHOP, webhook_id="re-arms")
    assert len(real_queue) == 1  # queued past the TTL: presumed lost, re-armed once
    deliver("orders/create", _order(1203), SHOP, webhook_id="fresh-again")
    assert len(real_queue) == 1  # the re-armed drain is fresh: no second wake-up
    _run_next_job(real_queue)
    assert set(_states().values()) == {DeliveryState.PROCESSED}
    placed = Event.objects.filter(name="shopify_order_placed")
    assert sorted(e.data["order_id"] for e in placed) == ["1200", "1201", "1202", "1203"]


def test_the_quick_sweep_re_arms_a_shop_whose_drain_died_or_was_lost(
    store, deliver, real_queue, frozen_clock, django_capture_on_commit_callbacks
):
    from shoplink.integrations.shopify.webhooks import wakeups
    from shoplink.integrations.shopify.webhooks.inbox import REARM_AFTER, rearm_lost_drains

    frozen_clock.freeze(frozen_clock.now())
    deliver("orders/create", _order(1300), SHOP, webhook_id="in-flight")
    real_queue.flush()
    wakeups.release(SHOP)  # the drain started (released the bit) and its worker was killed
    frozen_clock.advance(REARM_AFTER - dt.timedelta(seconds=1))
    assert rearm_lost_drains() == 0  # not waiting long enough yet: a drain may be running
    frozen_clock.advance(dt.timedelta(seconds=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert rearm_lost_drains() == 1
    assert len(real_queue) == 1 and WebhookWake.objects.get(shop_domain=SHOP).queued
    with django_capture_on_commit_callbacks(execute=True):
        assert rearm_lost_drains() == 0  # freshly queued: not again
    assert len(real_queue) == 1

    real_queue.flush()  # now the queued drain is lost with the queue
    frozen_clock.advance(wakeups.WAKE_TTL + dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert rearm_lost_drains() == 1
    _run_next_job(real_queue)
    assert _states() == {"in-flight": DeliveryState.PROCESSED}
    assert rearm_lost_drains() == 0  # nothing waits


def test_an_order_whose_buyer_is_not_held_yet_waits_on_its_own(
    store, deliver, real_queue, django_capture_on_commit_callbacks
):
    deliver("orders/create", _order(2000), SHOP, webhook_id="guest")
    deliver("orders/create", _order(2001, customer_id=777), SHOP, webhook_id="buyer-missing")
    deliver("orders/create", _order(2000), SHOP, webhook_id="same-order-again")

    # A worker runs the drain in autocommit; the captured commit stands in for that.
    with django_capture_on_commit_callbacks(execute=True):
        _run_next_job(real_queue)
    # The batch takes "guest"; the other two get their own turn in the same drain.
    assert _states() == {
        "guest": DeliveryState.PROCESSED,
        "buyer-missing": DeliveryState.RECEIVED,  # waits for its buyer, as a retry
        "same-order-again": DeliveryState.PROCESSED,
    }
    waiting = WebhookDelivery.objects.get(webhook_id="buyer-missing")
    assert (waiting.attempts, waiting.note) == (1, "Waiting for customer 777")
    assert Event.objects.filter(name="shopify_order_placed").count() == 1  # no duplicate
    # No new drain: the waiting one is retried on its own (woken by the later order).
    assert [job.name.rsplit(".", 1)[-1] for job in _jobs(real_queue)] == ["process_webhook"]


def test_a_store_that_is_not_linked_gets_the_usual_outcome(deliver, real_queue):
    deliver("orders/create", _order(3000), SHOP, webhook_id="nobody")
    _run_next_job(real_queue)
    row = WebhookDelivery.objects.get(webhook_id="nobody")
    assert (row.state, row.note) == (DeliveryState.IGNORED, "No store linked for this shop")


def test_a_payload_that_breaks_the_batch_costs_speed_not_the_others(store, deliver, real_queue):
    deliver("orders/create", _order(4000), SHOP, webhook_id="good-1")
    deliver("orders/create", dict(_order(4001), updated_at="not a date"), SHOP, webhook_id="bad")
    deliver("orders/create", _order(4002), SHOP, webhook_id="good-2")

    _run_next_job(real_queue)
    states = _states()
    assert (states["good-1"], states["good-2"]) == (DeliveryState.PROCESSED,) * 2
    bad = WebhookDelivery.objects.get(webhook_id="bad")
    assert (bad.state, bad.attempts) == (DeliveryState.RECEIVED, 1)  # left for a retry
    assert bad.note.startswith("Error: ")
    placed = Event.objects.filter(name="shopify_order_placed")
    assert sorted(e.data["order_id"] for e in placed) == ["4000", "4002"]


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no deferred on_commit
def test_a_queue_that_refuses_the_wake_up_leaves_the_bit_clear(store, client, real_queue):
    from shoplink.integrations.shopify.tests.webhook_helpers import post

    def refuse(task):
        raise ConnectionError("queue down")

    original, real_queue.enqueue = real_queue.enqueue, refuse
    try:
        with pytest.raises(ConnectionError):
            post(client, "orders/create", _order(4100), SHOP, webhook_id="refused")
    finally:
        real_queue.enqueue = original
    # The row is kept (the sweeper will find it) and the next delivery wakes a drain.
    assert _states() == {"refused": DeliveryState.RECEIVED}
    assert not WebhookWake.objects.get(shop_domain=SHOP).queued
    post(client, "orders/create", _order(4101), SHOP, webhook_id="next")
    assert len(real_queue) == 1


@pytest.mark.django_db(transaction=True)
def test_shopifys_retry_of_a_refused_wake_up_wakes_the_shop(store, client, real_queue):
    """Stored, but answered 500 because the queue refused the wake-up: Shopify's retry
    of the same delivery is a duplicate, and it is the one left to wake the drain."""
    from shoplink.integrations.shopify.tests.webhook_helpers import post

    def refuse(task):
        raise ConnectionError("queue down")

    original, real_queue.enqueue = real_queue.enqueue, refuse
    try:
        with pytest.raises(ConnectionError):
            post(client, "orders/create", _order(4300), SHOP, webhook_id="refused")
    finally:
        real_queue.enqueue = original
    assert len(real_queue) == 0
    retry = post(client, "orders/create", _order(4300), SHOP, webhook_id="refused")
    assert retry.status_code == 200
    assert len(real_queue) == 1  # the retry woke the shop instead of waiting for the sweeper
    drain_webhooks.call_local(*real_queue.dequeue().args)
    assert _states() == {"refused": DeliveryState.PROCESSED}
    # Once processed, a later duplicate finds nothing to do and records nothing.
    assert (
        post(client, "orders/create", _order(4300), SHOP, webhook_id="refused").status_code == 200
    )
    assert Event.objects.filter(name="shopify_order_placed", data__order_id="4300").count() == 1


def test_a_long_storm_is_handed_to_a_fresh_drain(
    store, deliver, real_queue, monkeypatch, django_capture_on_commit_callbacks
):
    from shoplink.integrations.shopify.webhooks import drain as handlers_batch

    # One delivery a pass and no time budget: every pass ends in a hand-over.
    monkeypatch.setattr(handlers_batch, "DRAIN_PAGE", 1)
    monkeypatch.setattr(handlers_batch, "DRAIN_SECONDS", 0.0)
    for n in range(3):
        deliver("orders/updated", _order(4200 + n), SHOP, webhook_id=f"u-{n}")
    assert len(real_queue) == 1

    def run_next():  # the drain runs in autocommit in a worker: its enqueue is immediate
        with django_capture_on_commit_callbacks(execute=True):
            _run_next_job(real_queue)

    run_next()
    assert list(_states().values()).count(DeliveryState.PROCESSED) == 1
    assert len(real_queue) == 1 and WebhookWake.objects.get(shop_domain=SHOP).queued
    run_next()
    run_next()
    assert set(_states().values()) == {DeliveryState.PROCESSED}
    assert len(real_queue) == 0  # nothing left: the last drain does not hand over


@pytest.mark.django_db(transaction=True)
def test_a_real_consumer_re_arms_a_lost_drain_without_the_minute_sweep(
    store, client, real_queue, worker_env
):
    """The quick sweep runs in the consumer process itself (not as a queued job): with
    periodic tasks off, a delivery whose drain died with its worker is still processed."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from shoplink.core import clock
    from shoplink.integrations.shopify.tests.webhook_helpers import post
    from shoplink.integrations.shopify.webhooks import wakeups
    from shoplink.integrations.shopify.webhooks.inbox import REARM_AFTER

    assert post(client, "orders/create", _order(1400), SHOP, webhook_id="orphan").status_code == 200
    real_queue.flush()  # the drain was taken by a worker that was then killed
    wakeups.release(SHOP)
    WebhookDelivery.objects.filter(webhook_id="orphan").update(
        received_at=clock.now() - REARM_AFTER - dt.timedelta(seconds=1)
    )
    root = Path(__file__).resolve().parents[5]
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--no-periodic"],
        cwd=root,
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while _states() != {"orphan": DeliveryState.PROCESSED}:
            assert time.monotonic() < deadline, "the lost drain was never re-armed"
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)
    assert Event.objects.filter(name="shopify_order_placed", data__order_id="1400").count() == 1
