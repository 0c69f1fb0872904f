"""D20 consent rules, exhaustively over every state (source-neutral)."""

from datetime import UTC, datetime, timedelta

import pytest

from shoplink.audience.consent import (
    NOT_SUBSCRIBED,
    OPTED_IN,
    PENDING,
    STATES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    is_marketable,
    resolve_incoming,
)

SOURCE = "shopify"  # any integration's name: the rules only compare sources
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EARLIER, LATER = T0 - timedelta(minutes=5), T0 + timedelta(minutes=5)


@pytest.mark.parametrize("state", [*STATES, None])
@pytest.mark.parametrize("source_opted_out", [True, False])
def test_is_marketable_for_every_combination(state, source_opted_out):
    expected = state in (SUBSCRIBED, OPTED_IN) and not source_opted_out
    assert is_marketable(state, source_opted_out) is expected


def test_a_source_opt_out_wins_over_local_opt_in():
    assert not is_marketable(OPTED_IN, True)
    assert not is_marketable(SUBSCRIBED, True)


@pytest.mark.parametrize("incoming", STATES)
def test_nothing_held_yet_always_applies(incoming):
    assert resolve_incoming(None, None, None, incoming, None, incoming_source=SOURCE)
    assert resolve_incoming(None, None, None, incoming, T0, incoming_source=SOURCE)
    assert resolve_incoming(NOT_SUBSCRIBED, "local", None, incoming, None, incoming_source=SOURCE)


def _expected(current, source, incoming, when):
    """The rule restated independently: newer wins; ties replay; a local unsubscribe
    is only undone by a strictly newer opt-in from the source."""
    if when is None:
        return False
    protected = current == UNSUBSCRIBED and source != SOURCE
    if protected and incoming in (SUBSCRIBED, OPTED_IN, PENDING):
        return when > T0
    return when >= T0


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("source", [SOURCE, "local", "api", None])
@pytest.mark.parametrize("incoming", STATES)
@pytest.mark.parametrize("when", [EARLIER, T0, LATER, None], ids=["older", "tie", "newer", "none"])
def test_resolve_every_state_pair_and_time(current, source, incoming, when):
    assert resolve_incoming(
        current, source, T0, incoming, when, incoming_source=SOURCE
    ) is _expected(current, source, incoming, when)


@pytest.mark.parametrize("incoming", [SUBSCRIBED, OPTED_IN, PENDING])
def test_shopify_opt_in_never_overrides_newer_or_equal_local_unsubscribe(incoming):
    assert not resolve_incoming(
        UNSUBSCRIBED, "local", T0, incoming, EARLIER, incoming_source=SOURCE
    )
    assert not resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, T0, incoming_source=SOURCE)
    assert not resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, None, incoming_source=SOURCE)
    assert resolve_incoming(UNSUBSCRIBED, "local", T0, incoming, LATER, incoming_source=SOURCE)


def test_newer_shopify_unsubscribe_overrides_local_opt_in():
    assert resolve_incoming(OPTED_IN, "local", T0, UNSUBSCRIBED, LATER, incoming_source=SOURCE)
    assert not resolve_incoming(
        OPTED_IN, "local", T0, UNSUBSCRIBED, EARLIER, incoming_source=SOURCE
    )


def test_tie_on_a_shopify_unsubscribe_replays():
    assert resolve_incoming(UNSUBSCRIBED, SOURCE, T0, SUBSCRIBED, T0, incoming_source=SOURCE)
