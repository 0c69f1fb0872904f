"""The inbox: WebhookDelivery rows written by the receiver, and one WebhookWake per shop.

A worker drains a shop's inbox when woken; ``WebhookWake.queued`` says a wake-up is
already on the queue, so a storm costs one queue entry per drain, not one per delivery
(``wakeups.py`` has the protocol and why it loses nothing).
"""

from __future__ import annotations

from django.db import models

__all__ = ["DeliveryState", "WebhookDelivery", "WebhookWake"]


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
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["state", "received_at"]),
            # A drain's "this shop's first attempts still received, oldest first".
            models.Index(fields=["shop_domain", "state", "attempts"]),
        ]


class WebhookWake(models.Model):
    """Whether a drain of this shop's inbox is on the queue and not yet started."""

    shop_domain = models.CharField(max_length=255, unique=True)
    queued = models.BooleanField(default=False)
    # When the queued drain was enqueued: a drain queued longer than ``wakeups.WAKE_TTL``
    # is presumed lost with the queue (a restarted Redis) and the next delivery re-arms it.
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "webhook wake-up"

    def __str__(self) -> str:
        return f"{self.shop_domain} ({'queued' if self.queued else 'idle'})"
