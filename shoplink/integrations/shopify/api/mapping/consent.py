"""Shopify's marketing consent in our words (D20): states, opt-in levels, consent topics."""

from __future__ import annotations

from shoplink.audience import consent as consent_rules
from shoplink.integrations.shopify.api.mapping.records import (
    OPTED_OUT_STATES,
    ConsentRecord,
    ConsentUpdate,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    as_upper,
    gid_to_id,
    parse_datetime,
)

# Shopify's CustomerEmailMarketingState / CustomerSmsMarketingState values
# (PLATFORM.md §5.1). Webhooks send them lower-case, GraphQL upper-case.
SHOPIFY_SUBSCRIBED = "SUBSCRIBED"
SHOPIFY_NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
SHOPIFY_PENDING = "PENDING"
SHOPIFY_UNSUBSCRIBED = "UNSUBSCRIBED"
SHOPIFY_REDACTED = "REDACTED"
SHOPIFY_INVALID = "INVALID"
CONFIRMED_OPT_IN = "CONFIRMED_OPT_IN"

_STATE_MAP = {
    SHOPIFY_SUBSCRIBED: consent_rules.SUBSCRIBED,
    SHOPIFY_NOT_SUBSCRIBED: consent_rules.NOT_SUBSCRIBED,
    SHOPIFY_PENDING: consent_rules.PENDING,
    SHOPIFY_UNSUBSCRIBED: consent_rules.UNSUBSCRIBED,
    SHOPIFY_REDACTED: consent_rules.UNSUBSCRIBED,
    SHOPIFY_INVALID: consent_rules.UNSUBSCRIBED,
}


def map_shopify_state(shopify_state: str | None, opt_in_level: str | None) -> str:
    """Return our state for a Shopify marketing state and opt-in level (D20).

    ``SUBSCRIBED`` becomes ``opted_in`` only with ``CONFIRMED_OPT_IN`` (double opt-in),
    otherwise ``subscribed``. A null state (seen in the 2026-07 SMS consent sample) and
    any value Shopify may add later map to ``not_subscribed``: when in doubt, do not
    market.
    """
    ours = _STATE_MAP.get((shopify_state or "").strip().upper(), consent_rules.NOT_SUBSCRIBED)
    confirmed = (opt_in_level or "").strip().upper() == CONFIRMED_OPT_IN
    if ours == consent_rules.SUBSCRIBED and confirmed:
        return consent_rules.OPTED_IN
    return ours


def is_opted_out(shopify_state: str | None) -> bool:
    """Whether Shopify's state forbids marketing (unsubscribed, redacted or invalid)."""
    return (shopify_state or "").strip().upper() in OPTED_OUT_STATES


def _consent(channel, state, level, collected_from, updated_at) -> ConsentRecord:
    return ConsentRecord(
        channel=channel,
        shopify_state=as_upper(state),
        state=map_shopify_state(state, level),
        opt_in_level=as_upper(level),
        collected_from=as_upper(collected_from),
        consent_updated_at=parse_datetime(updated_at),
    )


def consent_from_graphql(channel: str, consent: dict | None) -> ConsentRecord | None:
    """Map ``CustomerEmailAddress`` / ``Customer*MarketingConsentState`` to a record.

    Email consent comes from ``defaultEmailAddress`` (``marketingUpdatedAt``), SMS from
    ``smsMarketingConsent`` (``consentUpdatedAt``, ``consentCollectedFrom``); both
    field spellings are accepted. ``None`` in, ``None`` out (unknown).
    """
    if not consent or "marketingState" not in consent:
        return None
    return _consent(
        channel,
        consent.get("marketingState"),
        consent.get("marketingOptInLevel"),
        consent.get("consentCollectedFrom") or consent.get("marketingCollectedFrom"),
        consent.get("consentUpdatedAt") or consent.get("marketingUpdatedAt"),
    )


def consent_from_rest(channel: str, consent: dict | None) -> ConsentRecord | None:
    if consent is None:
        return None
    return _consent(
        channel,
        consent.get("state"),
        consent.get("opt_in_level"),
        consent.get("consent_collected_from"),
        consent.get("consent_updated_at"),
    )


CONSENT_TOPICS = {
    "customers_email_marketing_consent/update": "email",
    "customers_marketing_consent/update": "sms",  # the SMS topic (§2.7)
}


def consent_from_webhook(topic: str, payload: dict) -> ConsentUpdate:
    """Map the two consent topics' payloads (shapes differ, §2.9)."""
    channel = CONSENT_TOPICS.get(topic)
    if channel == "email":
        customer_id = gid_to_id(payload["customer_id"])
        consent = consent_from_rest("email", payload.get("email_marketing_consent") or {})
        address = payload.get("email_address")
    elif channel == "sms":
        customer_id = gid_to_id(payload["id"])
        consent = consent_from_rest("sms", payload.get("sms_marketing_consent") or {})
        address = payload.get("phone")
    else:
        raise ValueError(f"not a consent topic: {topic!r}")
    return ConsentUpdate(customer_id, consent, address)
