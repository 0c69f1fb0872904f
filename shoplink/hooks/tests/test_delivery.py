"""Pushing events to a real local receiver: signed, once, in order, through outages."""

from __future__ import annotations

import datetime as dt

import pytest

from shoplink.audience.models import Contact
from shoplink.core.errors import ValidationFailed
from shoplink.events.services import EventInput, record_events
from shoplink.hooks import services, signing
from shoplink.hooks.models import Delivery, DeliveryStatus
from shoplink.queue.jobs import run_sweepers

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def contacts(project):
    return [
        Contact.objects.create(project=project, external_id=f"c{i}", email=f"c{i}@example.test")
        for i in range(3)
    ]


def record(capture, project, contacts, start: int, n: int, name="shopify_order_placed"):
    """Record ``n`` events round-robin over the contacts, committed (so pushes wake)."""
    with capture(execute=True):
        record_events(
            project,
            [
                EventInput(
                    name,
                    f"k{start + i}",
                    T0 + dt.timedelta(seconds=start + i),
                    {"n": start + i},
                    contact_id=contacts[(start + i) % len(contacts)].pk,
                    contact_external_id=contacts[(start + i) % len(contacts)].external_id,
                )
                for i in range(n)
            ],
        )


def sweep(capture):
    with capture(execute=True):
        run_sweepers()


def test_events_arrive_signed_with_a_stable_id(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock
):
    frozen_clock.freeze(T0)
    endpoint, secret = services.create_endpoint(project, receiver.url, ["shopify_order_placed"])
    record(django_capture_on_commit_callbacks, project, contacts, 0, 3)
    record(django_capture_on_commit_callbacks, project, contacts, 3, 1, name="other_event")

    assert [r["json"]["data"]["data"]["n"] for r in receiver.accepted] == [0, 1, 2]
    for r in receiver.accepted:
        assert signing.verify(secret, r["headers"], r["body"], int(T0.timestamp()))
        assert r["json"]["type"] == "shopify_order_placed"
        assert r["headers"]["content-type"] == "application/json"
    assert not signing.verify(secret, receiver.accepted[0]["headers"], b"{}", int(T0.timestamp()))
    ids = [r["headers"]["webhook-id"] for r in receiver.accepted]
    assert len(set(ids)) == 3
    assert set(Delivery.objects.values_list("message_id", flat=True)) == set(ids)
    assert set(Delivery.objects.values_list("response_code", flat=True)) == {204}
    # The secret is stored encrypted, never as is.
    assert secret not in endpoint.secret_encrypted


def test_a_receiver_down_then_failing_then_back_gets_every_event_once_in_order(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock, settings
):
    frozen_clock.freeze(T0)
    capture = django_capture_on_commit_callbacks
    endpoint, _ = services.create_endpoint(project, receiver.url)
    receiver.stop()  # down: connection refused
    record(capture, project, contacts, 0, 4)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.retry_at == T0 + dt.timedelta(seconds=10)

    sweep(capture)  # not due yet: nothing is tried
    assert Delivery.objects.get(endpoint=endpoint, event__idempotency_key="k0").attempts == 1

    frozen_clock.advance(dt.timedelta(seconds=11))
    record(capture, project, contacts, 4, 3)  # events keep coming while it is down
    sweep(capture)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2

    receiver.start()
    receiver.mode = "fail"  # back, but answering 503
    for _ in range(3):
        frozen_clock.advance(dt.timedelta(minutes=5))
        sweep(capture)
    assert receiver.requests and not receiver.accepted
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {
        Delivery.objects.get(event__idempotency_key="k0").message_id
    }  # nothing overtook the first event

    receiver.mode = "ok"
    record(capture, project, contacts, 7, 2)
    frozen_clock.advance(dt.timedelta(minutes=10))
    sweep(capture)

    delivered = [r["json"]["data"] for r in receiver.accepted]
    assert sorted(d["data"]["n"] for d in delivered) == list(range(9))  # every event once
    assert len({r["headers"]["webhook-id"] for r in receiver.accepted}) == 9
    for contact in contacts:
        mine = [d["id"] for d in delivered if d["contact"] == contact.external_id]
        assert mine == sorted(mine)  # in order per contact
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 0 and endpoint.retry_at is None
    first = Delivery.objects.get(event__idempotency_key="k0")
    assert first.status == DeliveryStatus.DELIVERED and first.attempts >= 5


def test_failing_for_a_day_disables_with_the_reason_and_enable_resumes(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock
):
    frozen_clock.freeze(T0)
    capture = django_capture_on_commit_callbacks
    receiver.mode = "fail"
    endpoint, _ = services.create_endpoint(project, receiver.url)
    record(capture, project, contacts, 0, 2)
    for _ in range(14):
        frozen_clock.advance(dt.timedelta(hours=2))
        sweep(capture)
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "HTTP 503" in endpoint.disabled_reason and "Disabled after failing since" in (
        endpoint.disabled_reason
    )
    tried = len(receiver.requests)
    frozen_clock.advance(dt.timedelta(hours=2))
    sweep(capture)
    assert len(receiver.requests) == tried  # a disabled endpoint gets nothing

    receiver.mode = "ok"
    record(capture, project, contacts, 2, 1)  # recorded while disabled
    with capture(execute=True):
        services.enable_endpoint(endpoint)
    assert [r["json"]["data"]["data"]["n"] for r in receiver.accepted] == [0, 1, 2]


def test_redirects_are_not_followed(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock
):
    frozen_clock.freeze(T0)
    receiver.mode = "redirect"
    services.create_endpoint(project, receiver.url)
    record(django_capture_on_commit_callbacks, project, contacts, 0, 1)
    assert [r["path"] for r in receiver.requests] == ["/hooks"]
    d = Delivery.objects.get()
    assert d.response_code == 302 and "redirect" in d.error and d.status == "pending"


def test_a_big_answer_is_read_only_up_to_the_limit(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock
):
    frozen_clock.freeze(T0)
    receiver.mode = "big"
    services.create_endpoint(project, receiver.url)
    record(django_capture_on_commit_callbacks, project, contacts, 0, 1)
    d = Delivery.objects.get()
    assert d.status == "delivered" and len(d.response_excerpt) == 1024


def test_a_slow_receiver_times_out(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock, settings
):
    frozen_clock.freeze(T0)
    settings.HOOKS_TIMEOUT_SECONDS = 1
    receiver.mode, receiver.delay = "slow", 3
    services.create_endpoint(project, receiver.url)
    record(django_capture_on_commit_callbacks, project, contacts, 0, 1)
    d = Delivery.objects.get()
    assert d.status == "pending" and "timeout" in d.error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.1.2.3/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://[::1]:9/x", "private"),
        ("http://user:pw@example.com/", "user name or password"),
        ("ftp://example.com/", "https://"),
        ("http://nonexistent.invalid/", "cannot be resolved"),
    ],
)
def test_unsafe_urls_are_refused(project, settings, url, message):
    settings.HOOKS_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationFailed, match=message):
        services.create_endpoint(project, url)


def test_https_only_and_loopback_refused_in_production_settings(project, settings, receiver):
    settings.HOOKS_REQUIRE_HTTPS = True
    with pytest.raises(ValidationFailed, match="https://"):
        services.create_endpoint(project, receiver.url)
    settings.HOOKS_REQUIRE_HTTPS = False
    settings.HOOKS_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationFailed, match=r"127\.0\.0\.1"):
        services.create_endpoint(project, receiver.url)


def test_the_guard_runs_again_at_send_time(
    project, contacts, receiver, django_capture_on_commit_callbacks, frozen_clock, settings
):
    frozen_clock.freeze(T0)
    services.create_endpoint(project, receiver.url)
    settings.HOOKS_ALLOWED_NETWORKS = []  # the operator withdraws loopback
    record(django_capture_on_commit_callbacks, project, contacts, 0, 1)
    assert receiver.requests == []
    assert "loopback" in Delivery.objects.get().error


def test_recording_events_only_queues_the_push(
    project, contacts, receiver, real_queue, django_capture_on_commit_callbacks
):
    """Webhook processing records events; the push happens later, in a worker."""
    services.create_endpoint(project, receiver.url)
    receiver.mode, receiver.delay = "slow", 5
    before = real_queue.pending_count()
    with django_capture_on_commit_callbacks(execute=True):
        record_events(project, [EventInput("shopify_order_placed", "k", T0, {})])
    assert receiver.requests == []
    assert real_queue.pending_count() == before + 1  # one fan-out job, nothing sent yet
    with django_capture_on_commit_callbacks(execute=True):
        record_events(project, [EventInput("shopify_order_placed", "k2", T0, {})])
    assert real_queue.pending_count() == before + 1  # still one: the wake-up is deduplicated
