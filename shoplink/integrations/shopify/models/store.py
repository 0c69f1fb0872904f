"""ShopifyStore: one shop linked to one project, its credentials, settings and status."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from shoplink.audience.models import ContactList
from shoplink.core.models import TimeStampedModel
from shoplink.projects.models import Project

__all__ = ["ActivityEntry", "HealthCheck", "ShopifyStore", "StoreStatus"]


class StoreStatus(models.TextChoices):
    """The four statuses (reference 2.3), precedence as D10; plus Deleting (D30)."""

    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected"
    ERROR = "error", "Error"
    RECONNECT_REQUIRED = "reconnect_required", "Reconnect required"
    DELETING = "deleting", "Deleting…"


class ShopifyStore(TimeStampedModel):
    """A Shopify shop linked to a project. ``created_at`` is the first connection time."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shopify_stores")
    domain = models.CharField(max_length=255)  # <name>.myshopify.com
    name = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(
        max_length=24, choices=StoreStatus.choices, default=StoreStatus.CONNECTED
    )
    # Inputs from which ``status`` is derived (D10); see status.py.
    disconnected_at = models.DateTimeField(null=True, blank=True)
    reconnect_reason = models.CharField(max_length=300, blank=True, default="")
    error_reason = models.CharField(max_length=300, blank=True, default="")
    unavailable_reason = models.CharField(max_length=300, blank=True, default="")

    # Credentials (encrypted at rest; see crypto.py). Never logged or rendered.
    access_token_enc = models.TextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_enc = models.TextField(blank=True, default="")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    granted_scopes = models.JSONField(default=list, blank=True)
    requested_scopes = models.JSONField(default=list, blank=True)

    # Store information (D12/D13), refreshed by every health check.
    email = models.CharField(max_length=320, blank=True, default="")
    custom_domain = models.CharField(max_length=255, blank=True, default="")
    plan = models.CharField(max_length=100, blank=True, default="")
    currency = models.CharField(max_length=8, blank=True, default="")
    country = models.CharField(max_length=100, blank=True, default="")
    timezone = models.CharField(max_length=100, blank=True, default="")

    # Sync settings (D14): data from Shopify (on by default) and to Shopify (off).
    sync_customers = models.BooleanField(default=True)
    sync_email_consent = models.BooleanField(default=True)
    sync_sms_consent = models.BooleanField(default=True)
    sync_orders = models.BooleanField(default=True)
    sync_products = models.BooleanField(default=True)
    push_profile = models.BooleanField(default=False)
    push_email_consent = models.BooleanField(default=False)
    push_sms_consent = models.BooleanField(default=False)
    push_engagement = models.BooleanField(default=False)
    customer_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    initial_sync_completed_at = models.DateTimeField(null=True, blank=True)
    last_bulk_sync_at = models.DateTimeField(null=True, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_repairs = models.PositiveIntegerField(default=0)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    readiness = models.JSONField(default=dict, blank=True)  # item label -> bool
    # The most recent failure (D13): when, operation, merchant sentence, technical detail.
    last_failure = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "domain"], name="uniq_store_per_project"),
            # D2/D3: a shop is actively linked (any status but Disconnected) to one project.
            models.UniqueConstraint(
                fields=["domain"],
                condition=~Q(status="disconnected"),
                name="uniq_active_store_domain",
            ),
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.domain

    @property
    def source(self) -> str:
        """The ``source`` value on every row this store imported."""
        return f"shopify:{self.domain}"


class HealthCheck(models.Model):
    """One health-check run with its five readiness results (D12)."""

    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="health_checks")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=20, default="manual")  # manual|after_sync|schedule
    results = models.JSONField(default=dict)  # label -> {"ok": bool, "detail": str}
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["-started_at"]


class ActivityEntry(models.Model):
    """A line in the store's Activity list (D13): runs, checks, write-backs, privacy, failures."""

    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "activity entries"
