"""D20 consent rules, exhaustively over every state."""

from datetime import UTC, datetime, timedelta

import pytest

from shoplink.audience.consent import (
    NOT_SUBSCRIBED,
    OPTED_IN,
    PENDING,
    SOURCE_SHOPIFY,
    STATES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    is_marketable,
    map_shopify_state,
    resolve_incoming,
)

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
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EARLIER, LATER = T0 - timedelta(minutes=5), T0 + timedelta(minutes=5)


@pytest.mark.parametrize("shopify_state", SHOPIFY_STATES)
@pytest.mark.parametrize("level", LEVELS)
def test_map_every_shopify_state_and_level(shopify_state, level):
    expected = EXPECTED_MAP[shopify_state]
    if shopify_state == "SUBSCRIBED" and level == "CONFIRMED_OPT_IN":
        expected = OPTED_IN
    assert map_shopify_state(shopify_state, level) == expected
    # webhooks send the same values lower-case
    assert map_shopify_state(shopify_state.lower(), level and level.lower()) == expected


@pytest.mark.parametrize("value", [None, "", "SOMETHING_NEW"])
def test_unknown_or_null_shopify_state_is_not_subscribed(value):
    assert map_shopify_state(value, "CONFIRMED_OPT_IN") == NOT_SUBSCRIBED


@pytest.mark.parametrize("state", [*STATES, None])
@pytest.mark.parametrize("shopify_state", [*SHOPIFY_STATES, None])
def test_is_marketable_for_every_combination(state, shopify_state):
    expected = state in (SUBSCRIBED, OPTED_IN) and shopify_state not in (
        "UNSUBSCRIBED",
        "REDACTED",
        "INVALID",
    )
    assert is_marketable(state, shopify_state) is expected
    if shopify_state:
        assert is_marketable(state, shopify_state.lower()) is expected


def test_shopify_unsubscribe_wins_over_local_opt_in():
    assert not is_marketable(OPTED_IN, "UNSUBSCRIBED")
    assert not is_marketable(SUBSCRIBED, "redacted")


@pytest.mark.parametrize("incoming", STATES)
def test_nothing_held_yet_always_applies(incoming):
    assert resolve_incoming(None, None, None, incoming, None)
    assert resolve_incoming(None, None, None, incoming, T0)
    assert resolve_incoming(NOT_SUBSCRIBED, "local", None, incoming, None)


def _expected(current, source, incoming, when):
    """The rule restated independently: newer wins; ties replay; a local unsubscribe
    is only undone by a strictly newer Shopify opt-in."""
    if when is None:
        return False
    protected = current == UNSUBSCRIBED and source != SOURCE_SHOPIFY
    if protected and incoming in (SUBSCRIBED, OPTED_IN, PENDING):
        return when > T0
    return when >= T0


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("source", [SOURCE_SHOPIFY, "local", "api", None])
@pytest.mark.parametrize("incoming", STATES)
@pytest.mark.parametrize("when", [EARLIER, T0, LATER, None], ids=["older", "tie", "newer", "none"])
def test_resolve_every_state_pair_and_time(current, source, incoming, when):
    assert resolve_incoming(current, source, T0, incoming, when) is _expected(
        current, source, incoming, when
    )


@pytest.mark.parametrize("incoming", [SUBSCRIBED, OPTED_IN, PENDING])
def test_shopify_opt_in_never_overrides_newer_or_equal_local_unsubscribe(incoming):
    assert not resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, EARLIER)
    assert not resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, T0)
    assert not resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, None)
    assert resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, LATER)


def test_newer_shopify_unsubscribe_overrides_local_opt_in():
    assert resolve_incoming(OPTED_IN, "local", T0, UNSUBSCRIBED, LATER)
    assert not resolve_incoming(OPTED_IN, "local", T0, UNSUBSCRIBED, EARLIER)


def test_tie_on_a_shopify_unsubscribe_replays():
    assert resolve_incoming(UNSUBSCRIBED, SOURCE_SHOPIFY, T0, SUBSCRIBED, T0)
