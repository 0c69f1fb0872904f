"""WritebackState: what "Data to Shopify" still owes, and last wrote, per store and contact.

Profile fill-in marks a contact pending when its local profile changes and clears the
mark once Shopify has been read and filled (D27). Engagement metafields keep a hash
of the last values written, so the 15-minute pass writes only contacts whose values
changed (D27).
"""

from __future__ import annotations

from django.db import models

from shoplink.audience.models import Contact
from shoplink.integrations.shopify.models.store import ShopifyStore

__all__ = ["WritebackState"]


class WritebackState(models.Model):
    store = models.ForeignKey(
        ShopifyStore, on_delete=models.CASCADE, related_name="writeback_states"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    profile_pending = models.BooleanField(default=False)
    profile_checked_at = models.DateTimeField(null=True, blank=True)
    engagement_hash = models.CharField(max_length=64, blank=True, default="")
    engagement_written_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "contact"], name="uniq_writeback_state")
        ]
        indexes = [models.Index(fields=["store", "profile_pending"])]
