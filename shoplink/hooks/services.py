"""Push the event log to the platform's endpoints: register, fan out, deliver, retry.

- ``fan_out`` turns events past an endpoint's cursor into ``Delivery`` rows (the
  events it subscribes to); it reads the log, so recording events costs nothing more.
- ``deliver_pending`` sends one endpoint's pending deliveries oldest first, one at a
  time under a lease: a failure stops the pass and the endpoint retries with backoff,
  so nothing overtakes a delivery that has not gone through and each contact's events
  arrive in the order they happened (ADR 0030). After ``HOOKS_RETRY_WINDOW_SECONDS``
  of failures the endpoint is disabled with the reason; enabling it resumes in order.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from shoplink.core import clock, crypto
from shoplink.core.errors import ValidationFailed
from shoplink.events.models import Event
from shoplink.hooks import signing, transport
from shoplink.hooks.guard import UnsafeUrl, resolve
from shoplink.hooks.models import Delivery, DeliveryStatus, Endpoint
from shoplink.hooks.signals import endpoint_woken

TEST_EVENT = "shoplink.test"
FAN_OUT_BATCH = 1000
# Events are read again for this long after they were recorded: on PostgreSQL ids are
# taken at insert but become visible at commit, so a lower id can appear after a higher
# one was read. The unique (endpoint, event) pair makes the re-read create nothing twice.
SETTLE = dt.timedelta(seconds=30)
LEASE = dt.timedelta(seconds=120)
# Seconds between attempts after the 1st, 2nd, ... consecutive failure; the last repeats
# until the retry window (a day by default) has passed.
BACKOFF = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


# --- registering ------------------------------------------------------------------------


def _check_url(url: str) -> str:
    try:
        resolve(url)
    except UnsafeUrl as e:
        raise ValidationFailed(str(e)) from e
    return url.strip()


def _clean_names(names) -> list[str]:
    return sorted({n.strip() for n in names or [] if n and n.strip()})


def create_endpoint(project, url: str, event_names=(), description: str = ""):
    """Register ``url``; return the endpoint and its secret (shown once, stored encrypted).

    Only events recorded from now on are pushed (the cursor starts at the log's end).
    """
    url = _check_url(url)
    secret = signing.new_secret()
    last = Event.objects.filter(project=project).aggregate(m=Max("id"))["m"] or 0
    endpoint = Endpoint.objects.create(
        project=project,
        url=url,
        description=description.strip()[:200],
        event_names=_clean_names(event_names),
        secret_encrypted=crypto.encrypt(secret),
        cursor=last,
    )
    return endpoint, secret


def update_endpoint(endpoint: Endpoint, *, url=None, event_names=None, description=None):
    if url is not None:
        endpoint.url = _check_url(url)
    if event_names is not None:
        endpoint.event_names = _clean_names(event_names)
    if description is not None:
        endpoint.description = description.strip()[:200]
    endpoint.save(update_fields=["url", "event_names", "description"])
    return endpoint


def reveal_secret(endpoint: Endpoint) -> str:
    return crypto.decrypt(endpoint.secret_encrypted)


def rotate_secret(endpoint: Endpoint) -> str:
    secret = signing.new_secret()
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


def disable_endpoint(endpoint: Endpoint, reason: str) -> None:
    endpoint.disabled_at = clock.now()
    endpoint.disabled_reason = reason[:500]
    endpoint.retry_at = None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "retry_at"])


def enable_endpoint(endpoint: Endpoint) -> None:
    """Resume: pending deliveries and events recorded meanwhile go out, in order."""
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    endpoint.consecutive_failures = 0
    endpoint.retry_at = None
    endpoint.save()
    _wake(endpoint)


def send_test_event(endpoint: Endpoint) -> Delivery:
    """Queue a ``shoplink.test`` delivery behind the endpoint's pending ones."""
    delivery = Delivery.objects.create(endpoint=endpoint, name=TEST_EVENT)
    _wake(endpoint)
    return delivery


def _wake(endpoint: Endpoint) -> None:
    # After commit, so the job sees the rows; the listener (tasks) queues the fan-out.
    project_id = endpoint.project_id
    transaction.on_commit(lambda: endpoint_woken.send(sender=Endpoint, project_id=project_id))


# --- fan-out ----------------------------------------------------------------------------


def fan_out(endpoint: Endpoint) -> int:
    """Create deliveries for the endpoint's events past its cursor; return how many."""
    created = 0
    while True:
        settled_before = clock.now() - SETTLE
        with transaction.atomic():
            ep = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
            if not ep.active:
                return created
            rows = list(
                Event.objects.filter(project_id=ep.project_id, id__gt=ep.cursor)
                .order_by("id")
                .values_list("id", "name", "recorded_at")[:FAN_OUT_BATCH]
            )
            wanted = [Delivery(endpoint=ep, event_id=i, name=n) for i, n, _ in rows if ep.wants(n)]
            Delivery.objects.bulk_create(wanted, ignore_conflicts=True)
            created += len(wanted)
            settled = [i for i, _, at in rows if at < settled_before]
            # Advance over the settled prefix only; newer rows are read again next time.
            cursor = ep.cursor
            for i, _, at in rows:
                if at >= settled_before:
                    break
                cursor = i
            if cursor != ep.cursor:
                Endpoint.objects.filter(pk=ep.pk).update(cursor=cursor)
        if len(rows) < FAN_OUT_BATCH or len(settled) < len(rows):
            return created


# --- delivery ---------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def body_for(delivery: Delivery, now: dt.datetime) -> bytes:
    """The JSON body: ``type``, ``timestamp`` and ``data`` (an event as ``GET /events`` has it)."""
    if delivery.event_id is None:
        payload = {
            "type": TEST_EVENT,
            "timestamp": _iso(now),
            "data": {"endpoint_id": delivery.endpoint_id, "message": "Test event from Shoplink"},
        }
    else:
        e = delivery.event
        payload = {
            "type": e.name,
            "timestamp": _iso(e.occurred_at),
            "data": {
                "id": e.id,
                "name": e.name,
                "contact": e.contact_external_id,
                "occurred_at": _iso(e.occurred_at),
                "recorded_at": _iso(e.recorded_at),
                "idempotency_key": e.idempotency_key,
                "data": e.data,
            },
        }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _attempt(ep: Endpoint, delivery: Delivery, secret: str) -> transport.Outcome:
    now = clock.now()
    body = body_for(delivery, now)
    headers = signing.headers(secret, delivery.message_id, int(now.timestamp()), body)
    outcome = transport.post(ep.url, body, headers)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = outcome.status
    delivery.error = outcome.error[:500]
    delivery.response_excerpt = outcome.excerpt[:1024]
    fields = ["attempts", "last_attempt_at", "response_code", "error", "response_excerpt"]
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = clock.now()
        fields += ["status", "delivered_at"]
    delivery.save(update_fields=fields)
    return outcome


def _failed(ep: Endpoint, outcome: transport.Outcome) -> str:
    now = clock.now()
    ep.consecutive_failures += 1
    ep.failing_since = ep.failing_since or now
    window = dt.timedelta(seconds=settings.HOOKS_RETRY_WINDOW_SECONDS)
    if now - ep.failing_since >= window:
        ep.save(update_fields=["consecutive_failures", "failing_since"])
        since = ep.failing_since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        disable_endpoint(
            ep,
            f"Disabled after failing since {since} ({ep.consecutive_failures} attempts). "
            f"Last: {outcome.error}",
        )
        return "disabled"
    step = BACKOFF[min(ep.consecutive_failures, len(BACKOFF)) - 1]
    ep.retry_at = now + dt.timedelta(seconds=step)
    ep.save(update_fields=["consecutive_failures", "failing_since", "retry_at"])
    return "failed"


def _recovered(ep: Endpoint) -> None:
    if ep.consecutive_failures or ep.failing_since or ep.retry_at:
        ep.consecutive_failures, ep.failing_since, ep.retry_at = 0, None, None
        ep.save(update_fields=["consecutive_failures", "failing_since", "retry_at"])


def _claim(endpoint_id: int) -> dt.datetime | None:
    now = clock.now()
    until = now + LEASE
    claimed = (
        Endpoint.objects.filter(pk=endpoint_id, disabled_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=until)
    )
    return until if claimed else None


def deliver_pending(endpoint_id: int, budget: int = 200) -> str:
    """Send pending deliveries in order.

    Returns ``done``, ``more`` (budget used up), ``failed`` (an attempt failed just now;
    ``retry_at`` is set), ``waiting`` (still backing off), ``busy`` (another worker
    holds the endpoint) or ``disabled``.
    """
    lease = _claim(endpoint_id)
    if lease is None:
        return "busy"
    try:
        ep = Endpoint.objects.get(pk=endpoint_id)
        if ep.retry_at and ep.retry_at > clock.now():
            return "waiting"
        secret = crypto.decrypt(ep.secret_encrypted)
        pending = ep.deliveries.filter(status=DeliveryStatus.PENDING).select_related("event")
        for _ in range(budget):
            delivery = pending.order_by("id").first()
            if delivery is None:
                return "done"
            outcome = _attempt(ep, delivery, secret)
            if not outcome.ok:
                return _failed(ep, outcome)
            _recovered(ep)
            lease = clock.now() + LEASE
            Endpoint.objects.filter(pk=endpoint_id).update(lease_until=lease)
        return "more"
    finally:
        Endpoint.objects.filter(pk=endpoint_id, lease_until=lease).update(lease_until=None)


def seconds_until_retry(endpoint_id: int) -> float:
    ep = Endpoint.objects.filter(pk=endpoint_id).values_list("retry_at", flat=True).first()
    if not ep:
        return 0.0
    return max(0.0, (ep - clock.now()).total_seconds())


def prune_log(now: dt.datetime | None = None) -> int:
    """Forget delivered rows older than ``HOOKS_LOG_DAYS``; pending ones always stay."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.HOOKS_LOG_DAYS)
    deleted, _ = Delivery.objects.filter(
        status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff
    ).delete()
    return deleted
