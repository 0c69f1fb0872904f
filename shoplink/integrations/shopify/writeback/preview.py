"""Data to Shopify dry run (D28 beyond): what the next write-back pass would write.

Read-only. Engagement is computed from our own data (no Shopify call); profile
fill-in reads the pending customers from Shopify (at most 25) because the decision
depends on Shopify's current values. Opt-outs are pushed at once, so they are never
pending here; the Activity list shows those that were written or rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.writeback.engagement import (
    metafield_inputs,
    preview_engagement,
)
from shoplink.integrations.shopify.writeback.profile import preview_fill_in
from shoplink.integrations.shopify.writeback.rules import WRITE_SCOPE

SHOWN = 25


@dataclass
class PendingWrite:
    kind: str  # "profile" | "engagement"
    external_id: str
    contact: str
    fields: dict


@dataclass
class Preview:
    store: ShopifyStore
    profile: list[PendingWrite] = field(default_factory=list)
    engagement: list[PendingWrite] = field(default_factory=list)
    engagement_total: int = 0
    metafield_calls: int = 0
    profile_error: str = ""

    @property
    def toggles(self) -> dict:
        s = self.store
        return {
            "push_profile": s.push_profile,
            "push_email_consent": s.push_email_consent,
            "push_sms_consent": s.push_sms_consent,
            "push_engagement": s.push_engagement,
        }

    @property
    def missing_scope(self) -> bool:
        return any(self.toggles.values()) and WRITE_SCOPE not in (self.store.granted_scopes or [])

    def as_json(self) -> dict:
        def rows(items):
            return [w.__dict__ for w in items]

        return {
            "toggles": self.toggles,
            "missing_scope": self.missing_scope,
            "profile": rows(self.profile),
            "engagement": rows(self.engagement),
            "engagement_total": self.engagement_total,
            "metafield_calls": self.metafield_calls,
        }


def _label(contact) -> str:
    """Name, email or phone as staff know the contact (the id is shown beside it)."""
    return contact.display_name


def build_preview(store: ShopifyStore) -> Preview:
    """Return the pending writes of ``store`` without writing anything."""
    preview = Preview(store)
    shown, total, calls = preview_engagement(store, limit=SHOWN)
    preview.engagement_total = total
    preview.metafield_calls = calls
    for item in shown:
        fields = {m["key"]: m["value"] for m in metafield_inputs(item.contact, item.values)}
        preview.engagement.append(
            PendingWrite("engagement", item.contact.external_id, _label(item.contact), fields)
        )
    try:
        for row in preview_fill_in(store, limit=SHOWN):
            contact = row["contact"]
            preview.profile.append(
                PendingWrite("profile", contact.external_id, _label(contact), row["fields"])
            )
    except ShopifyError as e:
        preview.profile_error = e.user_message
    return preview
