"""One worker job takes a shop's pending new orders together, with per-delivery outcomes."""

from __future__ import annotations

import pytest

from shoplink.events.models import Event
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tasks_webhooks import process_webhook
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender

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
    assert job.name.endswith("process_webhook")
    process_webhook.call_local(*job.args)


def _states() -> dict[str, str]:
    return dict(WebhookDelivery.objects.values_list("webhook_id", "state"))


def test_the_first_job_processes_every_pending_new_order_of_the_shop(store, deliver, real_queue):
    for n in range(3):
        assert (
            deliver("orders/create", _order(1000 + n), SHOP, webhook_id=f"o-{n}").status_code == 200
        )
    assert len(real_queue) == 3

    _run_next_job(real_queue)
    assert set(_states().values()) == {DeliveryState.PROCESSED}
    placed = Event.objects.filter(name="shopify_order_placed")
    assert sorted(e.data["order_id"] for e in placed) == ["1000", "1001", "1002"]
    assert WebhookDelivery.objects.filter(body__isnull=False).count() == 0
    assert WebhookDelivery.objects.get(webhook_id="o-1").headers["resource"] == "order:1001"

    # The other jobs find their deliveries done and change nothing.
    processed_at = dict(WebhookDelivery.objects.values_list("webhook_id", "processed_at"))
    _run_next_job(real_queue)
    _run_next_job(real_queue)
    assert dict(WebhookDelivery.objects.values_list("webhook_id", "processed_at")) == processed_at
    assert placed.count() == 3 and len(real_queue) == 0


def test_an_order_whose_buyer_is_not_held_yet_waits_on_its_own(store, deliver, real_queue):
    deliver("orders/create", _order(2000), SHOP, webhook_id="guest")
    deliver("orders/create", _order(2001, customer_id=777), SHOP, webhook_id="buyer-missing")
    deliver("orders/create", _order(2000), SHOP, webhook_id="same-order-again")

    _run_next_job(real_queue)
    assert _states() == {
        "guest": DeliveryState.PROCESSED,
        "buyer-missing": DeliveryState.RECEIVED,  # left for its own job
        "same-order-again": DeliveryState.RECEIVED,  # a second delivery takes its own turn
    }
    _run_next_job(real_queue)
    _run_next_job(real_queue)
    assert _states()["same-order-again"] == DeliveryState.PROCESSED
    waiting = WebhookDelivery.objects.get(webhook_id="buyer-missing")
    assert (waiting.attempts, waiting.note) == (1, "Waiting for customer 777")
    assert Event.objects.filter(name="shopify_order_placed").count() == 1  # no duplicate


def test_a_store_that_is_not_linked_gets_the_usual_outcome(deliver, real_queue):
    deliver("orders/create", _order(3000), SHOP, webhook_id="nobody")
    _run_next_job(real_queue)
    row = WebhookDelivery.objects.get(webhook_id="nobody")
    assert (row.state, row.note) == (DeliveryState.IGNORED, "No store linked for this shop")
