"""Shopify's consent states in our words (D20): every state and opt-in level."""

import pytest

from shoplink.audience.consent import (
    NOT_SUBSCRIBED,
    OPTED_IN,
    PENDING,
    STATES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    is_marketable,
)
from shoplink.integrations.shopify.api import mapping

SHOPIFY_STATES = ["SUBSCRIBED", "NOT_SUBSCRIBED", "PENDING", "UNSUBSCRIBED", "REDACTED", "INVALID"]
LEVELS = ["SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN", None]
EXPECTED_MAP = {
    "SUBSCRIBED": SUBSCRIBED,
    "NOT_SUBSCRIBED": NOT_SUBSCRIBED,
    "PENDING": PENDING,
    "UNSUBSCRIBED": UNSUBSCRIBED,
    "REDACTED": UNSUBSCRIBED,
    "INVALID": UNSUBSCRIBED,
}


@pytest.mark.parametrize("shopify_state", SHOPIFY_STATES)
@pytest.mark.parametrize("level", LEVELS)
def test_map_every_shopify_state_and_level(shopify_state, level):
    expected = EXPECTED_MAP[shopify_state]
    if shopify_state == "SUBSCRIBED" and level == "CONFIRMED_OPT_IN":
        expected = OPTED_IN
    assert mapping.map_shopify_state(shopify_state, level) == expected
    # webhooks send the same values lower-case
    assert mapping.map_shopify_state(shopify_state.lower(), level and level.lower()) == expected


@pytest.mark.parametrize("value", [None, "", "SOMETHING_NEW"])
def test_unknown_or_null_shopify_state_is_not_subscribed(value):
    assert mapping.map_shopify_state(value, "CONFIRMED_OPT_IN") == NOT_SUBSCRIBED


@pytest.mark.parametrize("shopify_state", [*SHOPIFY_STATES, None])
def test_unsubscribed_redacted_and_invalid_forbid_marketing(shopify_state):
    expected = shopify_state in ("UNSUBSCRIBED", "REDACTED", "INVALID")
    assert mapping.is_opted_out(shopify_state) is expected
    if shopify_state:
        assert mapping.is_opted_out(shopify_state.lower()) is expected


def test_a_consent_record_speaks_the_audience_neutral_words():
    record = mapping.consent_from_graphql(
        "email", {"marketingState": "REDACTED", "marketingOptInLevel": "SINGLE_OPT_IN"}
    )
    assert (record.source_state, record.source_opted_out) == ("REDACTED", True)


@pytest.mark.parametrize("state", [*STATES, None])
@pytest.mark.parametrize("shopify_state", [*SHOPIFY_STATES, None])
def test_is_marketable_for_every_state_and_shopify_state(state, shopify_state):
    """D20 end to end: Shopify's unsubscribed, redacted or invalid forbid marketing,
    whatever our own state says; otherwise our state decides."""
    record = mapping.consent_from_graphql("email", {"marketingState": shopify_state})
    expected = state in (SUBSCRIBED, OPTED_IN) and shopify_state not in (
        "UNSUBSCRIBED",
        "REDACTED",
        "INVALID",
    )
    assert is_marketable(state, record.source_opted_out) is expected
