"""Event: one row of a project's event log, with the envelope of EVENTS.md."""

from django.db import models

from shoplink.audience.models import Contact
from shoplink.projects.models import Project


class Event(models.Model):
    """An event. ``id`` is monotonic; ``idempotency_key`` is unique per project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=100)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    contact_external_id = models.CharField(max_length=64, null=True, blank=True)
    # Which integration emitted it (``shopify:<domain>``), so a store's delete/redact
    # can remove exactly its events.
    source = models.CharField(max_length=200, blank=True, default="", db_index=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=300)
    data = models.JSONField(default=dict)
    # True when the event was found after the fact (a catch-up after Reconnect, ADR 0045)
    # rather than seen live: ``occurred_at`` keeps Shopify's time, so a consumer can
    # tell a three-day-old cart from a live one.
    catch_up = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "idempotency_key"], name="uniq_event_idempotency_key"
            )
        ]
        indexes = [
            models.Index(fields=["project", "name", "-id"]),
            models.Index(fields=["contact", "-id"]),
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"
