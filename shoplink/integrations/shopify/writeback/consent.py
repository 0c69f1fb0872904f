"""Data to Shopify: opt-out propagation (D21).

A local unsubscribe (unsubscribe link, API, SMS keyword) on a contact from a store
whose "Sync email/SMS subscription to Shopify" toggle is on is written to Shopify's
consent for that customer. Only opt-outs are pushed; Shopify's answer is kept as the
raw consent so the webhook echoing our own write changes nothing and emits no event.
"""

from __future__ import annotations

import datetime as dt

from shoplink.audience.models import Channel, Consent, ConsentState, Contact
from shoplink.audience.services import ConsentInput, apply_source_consents
from shoplink.core import clock
from shoplink.integrations.shopify.api import mapping, queries
from shoplink.integrations.shopify.api.errors import ShopifyAccessDenied, ShopifyUserError
from shoplink.integrations.shopify.connection import access, status
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.writeback.profile import is_missing
from shoplink.integrations.shopify.writeback.rules import (
    WRITTEN,
    customer_gid,
    handle_access_denied,
    may_write,
    record_rejection,
)

CHANNEL_TOGGLES = {Channel.EMAIL: "push_email_consent", Channel.SMS: "push_sms_consent"}


def propagate_opt_out(store: ShopifyStore, contact: Contact, channel: str) -> bool:
    """Push a local unsubscribe on ``channel`` to Shopify; return whether it was written.

    Only opt-outs are pushed (D21), and only ``UNSUBSCRIBED`` is sent (one of the three
    writable states, PLATFORM §9 trap 20). What Shopify answers is stored as its raw
    state, so the consent webhook that echoes our own write matches what we hold and
    changes nothing (PLATFORM §9 trap 19): no event.
    """
    if not getattr(store, CHANNEL_TOGGLES[channel]) or not may_write(store):
        return False
    consent = Consent.objects.filter(contact=contact, channel=channel).first()
    if consent is None or consent.state != ConsentState.UNSUBSCRIBED:
        return False  # re-subscribed since the signal, or nothing to push
    if consent.source_state == "UNSUBSCRIBED":
        return False  # Shopify already agrees; a write would only cause an echo
    address = contact.email if channel == Channel.EMAIL else contact.phone
    if is_missing(address):
        # Shopify rejects consent for a customer without that address (trap 20).
        record_rejection(
            store,
            contact,
            _consent_operation(channel),
            [{"code": "MISSING_ARGUMENT", "message": f"the customer has no {_address(channel)}"}],
        )
        return False
    at = _whole_second_not_before(consent.consent_updated_at or clock.now())
    previous = (consent.source_state, consent.opt_in_level)
    # Record the state we are about to write *before* writing it: Shopify fires the
    # echo webhook while answering, and a worker may process it before our answer is
    # stored; it must already find UNSUBSCRIBED here (PLATFORM §9 trap 19).
    _record_raw(contact, channel, "UNSUBSCRIBED", consent.opt_in_level, at)
    try:
        payload = access.client_for(store).mutate(*_consent_mutation(contact, channel, at))
    except ShopifyUserError as e:
        _record_raw(contact, channel, *previous, at)
        record_rejection(store, contact, _consent_operation(channel), e.user_errors)
        return False
    except ShopifyAccessDenied as e:
        _record_raw(contact, channel, *previous, at)
        handle_access_denied(store, e)
        return False
    except Exception:
        _record_raw(contact, channel, *previous, at)  # Shopify still holds the old state
        raise
    _remember_written_consent(contact, channel, payload, at)
    status.log_activity(
        store,
        WRITTEN,
        f"Pushed {Channel(channel).label} opt-out to Shopify for customer {contact.external_id}",
        contact_id=contact.pk,
        channel=channel,
    )
    return True


def _whole_second_not_before(moment: dt.datetime) -> dt.datetime:
    """Round up to a whole second: Shopify keeps seconds, and the time we send must not
    be older than our local unsubscribe, or the D20 rules would keep our microsecond
    time and the echo would look like news."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return moment


def _address(channel: str) -> str:
    return "email address" if channel == Channel.EMAIL else "phone number"


def _consent_operation(channel: str) -> str:
    if channel == Channel.EMAIL:
        return "customerEmailMarketingConsentUpdate"
    return "customerSmsMarketingConsentUpdate"


def _consent_mutation(contact: Contact, channel: str, at: dt.datetime):
    gid = customer_gid(contact)
    if channel == Channel.EMAIL:
        variables = queries.email_consent_variables(gid, "UNSUBSCRIBED", at)
        return queries.CUSTOMER_EMAIL_CONSENT_UPDATE, variables, _consent_operation(channel)
    variables = queries.sms_consent_variables(gid, "UNSUBSCRIBED", at)
    return queries.CUSTOMER_SMS_CONSENT_UPDATE, variables, _consent_operation(channel)


def _remember_written_consent(contact: Contact, channel: str, payload: dict, at) -> None:
    """Store Shopify's answer as the raw consent, so our echo is a no-op (D21)."""
    customer = (payload or {}).get("customer") or {}
    if channel == Channel.EMAIL:
        raw = customer.get("defaultEmailAddress")
    else:
        raw = customer.get("smsMarketingConsent")
    record = mapping.consent_from_graphql(channel, raw)
    if record is None or record.shopify_state is None:
        # Shopify did not echo the state back; hold what we wrote.
        shopify_state, level, when = "UNSUBSCRIBED", "", at
    else:
        shopify_state = record.shopify_state
        level = record.opt_in_level or ""
        when = record.consent_updated_at or at
    _record_raw(contact, channel, shopify_state, level, when)


def _record_raw(contact: Contact, channel: str, shopify_state: str, level: str, at) -> None:
    """Set Shopify's raw consent on our row; our own state stays the local unsubscribe.

    Goes through ``apply_source_consents`` (the audience's only consent writer) as a
    *local* source with our state, so the unsubscribe keeps its local provenance.
    """
    apply_source_consents(
        [
            (
                contact.pk,
                ConsentInput(
                    channel=channel,
                    state=ConsentState.UNSUBSCRIBED,
                    source_state=shopify_state or "",
                    source_opted_out=mapping.is_opted_out(shopify_state),
                    opt_in_level=level or "",
                    consent_updated_at=at,
                ),
            )
        ],
        source="local",
    )
