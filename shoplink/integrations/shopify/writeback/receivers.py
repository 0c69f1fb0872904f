"""Local changes that owe Shopify a write: profile edits (D27) and unsubscribes (D21).

The audience app announces them with signals; :func:`connect` (called from
``ShopifyConfig.ready``) hooks the two receivers here, which only mark and ask for
work: the writes themselves run in jobs.
"""

from __future__ import annotations

from shoplink.audience.models import ConsentState, Contact
from shoplink.audience.services import local_consent_changed, local_profile_changed
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.writeback.consent import CHANNEL_TOGGLES
from shoplink.integrations.shopify.writeback.profile import mark_profiles_pending
from shoplink.integrations.shopify.writeback.rules import WRITING_STATUSES, stores_for_contacts


def on_local_profile_changed(sender=None, contact_ids=(), **kwargs) -> None:
    """Mark changed contacts pending and enqueue a fill-in for each affected store."""
    contacts = list(Contact.objects.filter(id__in=list(contact_ids)).only("project_id", "source"))
    for (_, source), store in stores_for_contacts(contacts).items():
        if not store.push_profile or store.status not in WRITING_STATUSES:
            continue
        ids = [c.pk for c in contacts if c.source == source and c.project_id == store.project_id]
        if mark_profiles_pending(store, ids):
            intents.fill_in_profiles(store.pk)


def on_local_consent_changed(sender=None, contact_id=None, channel="", state="", **kwargs):
    """Enqueue opt-out propagation for a local unsubscribe (only opt-outs, D21)."""
    if state != ConsentState.UNSUBSCRIBED or channel not in CHANNEL_TOGGLES:
        return
    contact = Contact.objects.filter(pk=contact_id).only("project_id", "source").first()
    if contact is None:
        return
    store = stores_for_contacts([contact]).get((contact.project_id, contact.source))
    if store is None or not getattr(store, CHANNEL_TOGGLES[channel]):
        return
    intents.push_opt_out(store.pk, contact.pk, channel)


def connect() -> None:
    """Connect the audience signals (called once from ``ShopifyConfig.ready``).

    The dispatch uids make a second call a no-op.
    """
    local_profile_changed.connect(
        on_local_profile_changed, dispatch_uid="shopify_writeback_profile"
    )
    local_consent_changed.connect(
        on_local_consent_changed, dispatch_uid="shopify_writeback_consent"
    )
