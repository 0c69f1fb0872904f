"""WebhookDelivery: the inbox row written by the receiver, processed by a worker."""

from __future__ import annotations

from django.db import models

__all__ = ["DeliveryState", "WebhookDelivery"]


class DeliveryState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    SKIPPED = "skipped", "Skipped"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


class WebhookDelivery(models.Model):
    webhook_id = models.CharField(max_length=100, unique=True)
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255, db_index=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default="received")
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["state", "received_at"])]
