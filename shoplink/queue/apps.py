"""The queue app; registers the queue's own gauges for ``/metrics`` in :meth:`ready`."""

from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "shoplink.queue"
    label = "queue"

    def ready(self) -> None:
        from shoplink.core.metrics import register_gauge
        from shoplink.queue import monitoring

        register_gauge("shoplink_queue_depth", "Jobs waiting on the queue.", monitoring.queue_depth)
        register_gauge(
            "shoplink_worker_heartbeat_age_seconds",
            "Seconds since the most recent worker heartbeat (the minute sweep writes one).",
            monitoring.heartbeat_age,
        )
