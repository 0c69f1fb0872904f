"""Push jobs: thin (ids in, one service call); the wake-up on recorded events; the sweeper."""

from __future__ import annotations

import logging

from shoplink.core import clock
from shoplink.hooks import services
from shoplink.hooks.models import DeliveryStatus, Endpoint
from shoplink.queue.jobs import task

log = logging.getLogger(__name__)


@task()
def fan_out_project(project_id: int) -> None:
    """Turn the project's new events into deliveries, then wake each endpoint's sender."""
    Endpoint.objects.filter(project_id=project_id, wake_pending=True).update(wake_pending=False)
    for endpoint in Endpoint.objects.filter(project_id=project_id, disabled_at__isnull=True):
        if (
            services.fan_out(endpoint)
            or endpoint.deliveries.filter(status=DeliveryStatus.PENDING).exists()
        ):
            deliver(endpoint.pk)


@task()
def deliver(endpoint_id: int) -> None:
    result = services.deliver_pending(endpoint_id)
    if result == "more":
        deliver(endpoint_id)  # give the worker back between batches
    elif result == "failed":
        # One scheduled retry per failure; the minute sweeper also resends what is due,
        # and a run that finds the endpoint still backing off ("waiting") just stops.
        deliver.schedule(args=(endpoint_id,), delay=services.seconds_until_retry(endpoint_id))


def wake_on_events(sender, project_id: int, **kwargs) -> None:
    """After events commit: queue one fan-out unless one is already queued.

    Runs in whatever recorded the events (webhook processing too), so it is one read
    when no endpoint exists and at most one small UPDATE and one enqueue otherwise.
    """
    waiting = Endpoint.objects.filter(
        project_id=project_id, disabled_at__isnull=True, wake_pending=False
    )
    if waiting.exists() and waiting.update(wake_pending=True):
        fan_out_project(project_id)


def wake_endpoint(sender, project_id: int, **kwargs) -> None:
    """An endpoint was enabled or got a test event: fan out and send (in order)."""
    fan_out_project(project_id)


def sweep() -> None:
    """Every minute: fan out every project with endpoints (a lost wake-up only delays;
    the fan-out also resends what is due) and trim the delivery log."""
    active = Endpoint.objects.filter(disabled_at__isnull=True)
    for project_id in set(active.values_list("project_id", flat=True)):
        fan_out_project(project_id)
    services.prune_log(clock.now())
