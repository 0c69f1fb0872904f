"""Endpoints a project registers to receive its events, and the deliveries to them.

An ``Endpoint`` keeps its signing secret encrypted (``core.crypto``), the id of the
last event it has been given (``cursor``: fan-out reads the event log past it, so
webhook processing never does delivery work), and the state of its retries. A
``Delivery`` is one event for one endpoint: its ``message_id`` is the same on every
attempt (the receiver's dedupe key) and the row is the delivery log.
"""

from __future__ import annotations

import uuid

from django.db import models

from shoplink.events.models import Event
from shoplink.projects.models import Project


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


class Endpoint(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="push_endpoints")
    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True, default="")
    # Event names to push; empty means every event of the project.
    event_names = models.JSONField(default=list, blank=True)
    secret_encrypted = models.TextField()
    cursor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.IntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    # One sender per endpoint at a time keeps deliveries in order (tasks.deliver).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set by the first wake-up after events are recorded, cleared by the fan-out, so a
    # burst of recorded batches queues one fan-out job (docs/decisions/0006's pattern).
    wake_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def wants(self, name: str) -> bool:
        return not self.event_names or name in self.event_names


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # Deleting an event (a store's delete, a customer's redact) drops its undelivered
    # pushes too: nothing is sent about data that is gone.
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.IntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    response_excerpt = models.CharField(max_length=1024, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="uniq_delivery_event")
        ]
        indexes = [models.Index(fields=["endpoint", "status", "id"])]
        ordering = ["-id"]
