"""The Integrations page's event stream over HTTP (ADR 0056): what it sends and when it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shoplink.core import clock
from shoplink.integrations.shopify.models import (
    ActivityEntry,
    EntityState,
    EntitySync,
    ShopifyStore,
    SyncRun,
    WebhookDelivery,
)
from shoplink.integrations.shopify.ui import live
from shoplink.projects.models import Project

# Real transactions, as in production: a stream runs outside any transaction, and closing
# a response (request_finished) must not close a test's open transaction.
pytestmark = pytest.mark.django_db(transaction=True)

URL = reverse("shopify:live")


@pytest.fixture
def fast(settings):
    settings.LIVE_TICK_SECONDS = 0.02
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_MAX_STREAMS = 2
    settings.LIVE_HEARTBEAT_SECONDS = 60


@pytest.fixture
def store(project):
    return ShopifyStore.objects.create(project=project, domain="live-shop.myshopify.com")


def open_stream(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    return response, iter(response.streaming_content)


def test_first_message_sets_retry_and_an_id_of_what_the_page_shows(admin_client, fast, store):
    response, chunks = open_stream(admin_client)
    first = next(chunks).decode()
    response.close()
    assert first.startswith("retry: 1000\n")
    assert f"id: {live.token(live.fingerprints(store.project_id))}\n\n" in first
    assert "event:" not in first  # nothing changed since the page was drawn


def test_a_change_since_the_page_was_drawn_is_sent_at_once(admin_client, fast, store):
    since = live.token(live.fingerprints(store.project_id))
    ShopifyStore.objects.filter(pk=store.pk).update(last_bulk_sync_at=clock.now())
    response, chunks = open_stream(admin_client, since=since)
    first = next(chunks).decode()
    response.close()
    assert f"event: store-{store.pk}\ndata: {store.pk}\n\n" in first


def test_background_changes_become_events_for_their_store_only(admin_client, fast, project, store):
    other = ShopifyStore.objects.create(project=project, domain="quiet-shop.myshopify.com")
    response, chunks = open_stream(admin_client)
    next(chunks)
    # A write that sends no signal (QuerySet.update), as the webhook path does.
    ShopifyStore.objects.filter(pk=store.pk).update(last_webhook_at=clock.now())
    moved = next(chunks).decode()
    assert f"event: store-{store.pk}\n" in moved and f"store-{other.pk}" not in moved
    # Once more a moment later, for writes a throttle coalesced (nothing changed since).
    again = next(chunks).decode()
    assert again.startswith(f"event: store-{store.pk}\n") and f"store-{other.pk}" not in again
    # Sync progress on an entity row, as a worker writes it.
    EntitySync.objects.create(store=other, entity="customers", state=EntityState.SYNCING, done=5)
    moved = next(chunks).decode()
    assert f"event: store-{other.pk}\n" in moved and f"store-{store.pk}\n" not in moved
    response.close()


@pytest.mark.parametrize(
    "change",
    ["activity", "webhook_waiting", "run_open", "progress", "status"],
)
def test_every_part_the_fragments_show_moves_the_fingerprint(store, change):
    before = live.fingerprints(store.project_id)
    if change == "activity":
        ActivityEntry.objects.create(store=store, at=clock.now(), kind="x", message="Hello.")
    elif change == "webhook_waiting":
        WebhookDelivery.objects.create(
            webhook_id="w-1",
            topic="orders/create",
            shop_domain=store.domain,
            received_at=clock.now(),
        )
    elif change == "run_open":
        SyncRun.objects.create(store=store, kind="initial", started_at=clock.now())
    elif change == "progress":
        es = EntitySync.objects.create(store=store, entity="orders", done=1)
        assert live.fingerprints(store.project_id) != before
        before = live.fingerprints(store.project_id)
        EntitySync.objects.filter(pk=es.pk).update(done=2)
    else:
        ShopifyStore.objects.filter(pk=store.pk).update(status="error", error_reason="Broken.")
    assert live.fingerprints(store.project_id) != before


def test_other_projects_do_not_show(admin_client, fast, store):
    elsewhere = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = ShopifyStore.objects.create(project=elsewhere, domain="foreign.myshopify.com")
    assert set(live.fingerprints(store.project_id)) == {store.pk}
    response, chunks = open_stream(admin_client)
    next(chunks)
    ShopifyStore.objects.filter(pk=foreign.pk).update(last_webhook_at=clock.now())
    ShopifyStore.objects.filter(pk=store.pk).update(name="Renamed")
    moved = next(chunks).decode()
    response.close()
    assert f"store-{foreign.pk}" not in moved and f"store-{store.pk}" in moved


def test_a_deleted_store_is_announced_so_its_card_goes(admin_client, fast, store):
    response, chunks = open_stream(admin_client)
    next(chunks)
    pk = store.pk
    store.delete()
    assert f"event: store-{pk}\n" in next(chunks).decode()
    response.close()


def test_streams_per_process_are_bounded_and_freed_on_close(admin_client, fast, settings):
    settings.LIVE_MAX_STREAMS = 1
    first, chunks = open_stream(admin_client)
    next(chunks)
    refused = admin_client.get(URL)
    assert refused.status_code == 503 and refused["Retry-After"] == "30"
    first.close()  # the server closes a finished or broken stream
    again, chunks = open_stream(admin_client)
    next(chunks)
    again.close()
    assert live.SLOTS.open == 0


def test_a_stream_ends_on_its_own_with_heartbeats_meanwhile(admin_client, settings, store):
    settings.LIVE_TICK_SECONDS = 0.1
    settings.LIVE_HEARTBEAT_SECONDS = 1
    settings.LIVE_STREAM_SECONDS = -100  # the floor: two seconds
    _response, chunks = open_stream(admin_client)
    parts = [chunk.decode() for chunk in chunks]
    assert parts[0].startswith("retry:")
    assert parts[1:] and all(part == ": still here\n\n" for part in parts[1:])
    assert len(parts) <= 4


def test_stop_all_ends_open_streams(admin_client, fast, store):
    response, chunks = open_stream(admin_client)
    next(chunks)
    live.SLOTS.stop.set()
    assert list(chunks) == []  # the stream ends at once
    live.SLOTS.stop.clear()
    response.close()
    assert live.stop_all(timeout=1) is True


def test_only_project_admins_may_listen(editor_client, viewer_client, client):
    assert editor_client.get(URL).status_code == 403
    assert viewer_client.get(URL).status_code == 403
    assert client.get(URL).status_code == 302


def test_malformed_ids_are_ignored():
    assert live.parse_token("") is None
    assert live.parse_token("x-1") is None
    assert live.parse_token("3-abc") is None
    assert live.parse_token("3-0123456789.4-abcdefabcd") == {3: "0123456789", 4: "abcdefabcd"}


def test_the_card_shows_a_running_sync_with_its_progress(admin_client, store):
    url = reverse("shopify:store_card", args=[store.pk])
    assert "card-sync" not in admin_client.get(url).content.decode()
    run = SyncRun.objects.create(store=store, kind="initial", started_at=clock.now())
    EntitySync.objects.create(
        store=store, entity="customers", state=EntityState.SYNCED, done=300, total=300
    )
    EntitySync.objects.create(
        store=store,
        entity="orders",
        state=EntityState.SYNCING,
        done=1200,
        total=5000,
        progress_at=clock.now(),
        run=run,
    )
    html = admin_client.get(url).content.decode()
    assert "Syncing orders · 1,200 of ~5,000" in html
    assert 'aria-valuenow="28"' in html  # (300 + 1,200) of (300 + 5,000)
    assert "no progress since" not in html
    # Stuck: Shopify's export has not moved for minutes.
    EntitySync.objects.filter(entity="orders").update(
        progress_at=clock.now() - dt.timedelta(minutes=5)
    )
    assert "no progress since" in admin_client.get(url).content.decode()
    SyncRun.objects.filter(pk=run.pk).update(finished_at=clock.now())
    assert "card-sync" not in admin_client.get(url).content.decode()
