"""Abandoned checkouts (D23) on an injectable clock, and the RFM table (D25) through the job."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from shoplink.audience.models import Contact
from shoplink.events.models import Event
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.tests.webhook_helpers import load, make_store, sender
from shoplink.queue.jobs import run_sweepers

SHOP = "snowdevil.myshopify.com"
T0 = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    return sender(client, django_capture_on_commit_callbacks)


@pytest.fixture
def store(project, frozen_clock):
    frozen_clock.freeze(T0)
    return make_store(project, SHOP, sync_customers=False)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def checkout(token: str, updated: dt.datetime, **fields) -> dict:
    body = copy.deepcopy(load("checkouts/update"))
    body.update(token=token, created_at=iso(updated), updated_at=iso(updated), customer=None)
    body.update(fields)
    return body


def abandoned() -> list[str]:
    return sorted(
        Event.objects.filter(name="shopify_checkout_abandoned").values_list(
            "data__checkout_token", flat=True
        )
    )


def test_an_inactive_checkout_is_abandoned_once_after_60_minutes(store, deliver, frozen_clock):
    deliver("checkouts/create", checkout("c1", T0), SHOP)
    frozen_clock.advance(dt.timedelta(minutes=59))
    run_sweepers()
    assert abandoned() == []
    frozen_clock.advance(dt.timedelta(minutes=2))
    run_sweepers()
    run_sweepers()
    assert abandoned() == ["c1"]
    event = Event.objects.get(name="shopify_checkout_abandoned")
    assert event.idempotency_key == "shopify_checkout_abandoned:c1"
    assert event.data["last_activity_at"] == "2026-07-01T12:00:00Z"
    assert event.data["abandoned_checkout_url"].endswith("recover?key=example-secret-token")
    assert event.data["total_price"] == "421.88" and event.data["currency"] == "USD"


def test_an_update_restarts_the_60_minutes(store, deliver, frozen_clock):
    deliver("checkouts/create", checkout("c2", T0), SHOP)
    frozen_clock.advance(dt.timedelta(minutes=40))
    deliver("checkouts/update", checkout("c2", T0 + dt.timedelta(minutes=40)), SHOP)
    frozen_clock.advance(dt.timedelta(minutes=30))
    run_sweepers()
    assert abandoned() == []
    frozen_clock.advance(dt.timedelta(minutes=31))
    run_sweepers()
    assert abandoned() == ["c2"]


def test_completed_converted_and_anonymous_checkouts_are_never_abandoned(
    store, deliver, frozen_clock
):
    deliver("checkouts/create", checkout("done", T0, completed_at=iso(T0)), SHOP)
    deliver("checkouts/create", checkout("anon", T0, email=None), SHOP)
    deliver("checkouts/create", checkout("bought", T0), SHOP)
    order = dict(load("orders/updated"), checkout_token="bought", customer=None)
    deliver("orders/create", order, SHOP)
    frozen_clock.advance(dt.timedelta(hours=3))
    run_sweepers()
    assert abandoned() == []


def test_checkouts_imported_as_history_are_not_announced(store, deliver, frozen_clock):
    ShopifyStore.objects.filter(pk=store.pk).update(initial_sync_completed_at=T0)
    deliver("checkouts/update", checkout("old", T0 - dt.timedelta(days=3)), SHOP)
    frozen_clock.advance(dt.timedelta(hours=2))
    run_sweepers()
    assert abandoned() == []


def test_no_abandonment_when_orders_are_turned_off(store, deliver, frozen_clock):
    deliver("checkouts/create", checkout("c3", T0), SHOP)
    ShopifyStore.objects.filter(pk=store.pk).update(sync_orders=False)
    frozen_clock.advance(dt.timedelta(hours=2))
    run_sweepers()
    assert abandoned() == []


# --- computed properties and RFM ---------------------------------------------------------

# (customer id, days since each order, spend per order): built so R, F and M ranks differ.
CUSTOMERS = [
    ("900", [400, 420, 440, 460, 480], "10.00"),  # R1 F5 M5 -> cant_lose
    ("901", [200, 220], "10.00"),  # R2 F2 M2 -> about_to_sleep
    ("902", [100, 110, 120], "10.00"),  # R3 F3 M3 -> need_attention
    ("903", [30, 40, 50, 60], "10.00"),  # R4 F4 M4 -> champion
    ("904", [1], "10.00"),  # R5 F1 M1 -> new_customer
]
EXPECTED = {
    "900": "cant_lose",
    "901": "about_to_sleep",
    "902": "need_attention",
    "903": "champion",
    "904": "new_customer",
    "905": None,
}


def order(order_id: int, customer_id: str, created: dt.datetime, amount: str) -> dict:
    body = copy.deepcopy(load("orders/updated"))
    body.update(
        id=order_id,
        customer={"id": int(customer_id)},
        created_at=iso(created),
        updated_at=iso(created),
        cancelled_at=None,
        cancel_reason=None,
        test=False,
        current_total_price=amount,
        total_price=amount,
    )
    return body


def test_order_changes_update_counts_and_the_nightly_job_sets_the_rfm_table(
    project, deliver, frozen_clock
):
    from shoplink.integrations.shopify.jobs.webhooks import nightly_rfm

    frozen_clock.freeze(T0)
    make_store(project, SHOP)
    for cid in [*(c for c, _, _ in CUSTOMERS), "905"]:
        body = dict(load("customers/update"), id=int(cid), email=f"{cid}@example.com")
        deliver("customers/create", body, SHOP)
    next_id = 1000
    for cid, days, amount in CUSTOMERS:
        for d in days:
            next_id += 1
            deliver("orders/create", order(next_id, cid, T0 - dt.timedelta(days=d), amount), SHOP)
    attrs = Contact.objects.get(external_id="900").attributes
    assert (attrs["shopify_order_count"], attrs["shopify_total_spent"]) == (5, "50.00")
    # A cancelled order stops counting (D24) as soon as its webhook lands.
    cancelled = order(1001, "900", T0 - dt.timedelta(days=400), "10.00")
    cancelled.update(cancelled_at=iso(T0), updated_at=iso(T0))
    deliver("orders/cancelled", cancelled, SHOP)
    attrs = Contact.objects.get(external_id="900").attributes
    assert (attrs["shopify_order_count"], attrs["shopify_total_spent"]) == (4, "40.00")
    deliver("orders/create", order(1001 + 100, "900", T0 - dt.timedelta(days=500), "10.00"), SHOP)

    nightly_rfm()  # the periodic task, run as the scheduler would

    segments = {
        c.external_id: c.attributes.get("shopify_rfm_segment")
        for c in Contact.objects.filter(project=project)
    }
    assert segments == EXPECTED
