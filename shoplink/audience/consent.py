"""Marketing-consent rules (DECISIONS D20), as pure functions over plain values.

Owns three questions and nothing else (no models, no Django imports):

* what *our* state is for a Shopify consent state (:func:`map_shopify_state`);
* may this contact receive marketing on this channel (:func:`is_marketable`);
* should an incoming consent change replace the one we hold (:func:`resolve_incoming`).

The raw Shopify state, opt-in level, collected-from and consent time are provenance:
callers store them on every delivery. Only our ``state`` is guarded by
:func:`resolve_incoming`, and :func:`is_marketable` looks at both, so a Shopify
unsubscribe is honoured even when our own state was not replaced.
"""

from __future__ import annotations

from datetime import datetime

SUBSCRIBED = "subscribed"
OPTED_IN = "opted_in"
UNSUBSCRIBED = "unsubscribed"
NOT_SUBSCRIBED = "not_subscribed"
PENDING = "pending"
STATES = (SUBSCRIBED, OPTED_IN, UNSUBSCRIBED, NOT_SUBSCRIBED, PENDING)

MARKETABLE_STATES = frozenset({SUBSCRIBED, OPTED_IN})
# States that move a contact towards receiving marketing; these are the "opt-ins" a
# Shopify delivery may not use to undo a newer local unsubscribe.
OPT_IN_STATES = frozenset({SUBSCRIBED, OPTED_IN, PENDING})

SOURCE_SHOPIFY = "shopify"

# Shopify's CustomerEmailMarketingState / CustomerSmsMarketingState values
# (PLATFORM.md §5.1). Webhooks send them lower-case, GraphQL upper-case.
SHOPIFY_SUBSCRIBED = "SUBSCRIBED"
SHOPIFY_NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
SHOPIFY_PENDING = "PENDING"
SHOPIFY_UNSUBSCRIBED = "UNSUBSCRIBED"
SHOPIFY_REDACTED = "REDACTED"
SHOPIFY_INVALID = "INVALID"
SHOPIFY_OPTED_OUT_STATES = frozenset({SHOPIFY_UNSUBSCRIBED, SHOPIFY_REDACTED, SHOPIFY_INVALID})
CONFIRMED_OPT_IN = "CONFIRMED_OPT_IN"

_STATE_MAP = {
    SHOPIFY_SUBSCRIBED: SUBSCRIBED,
    SHOPIFY_NOT_SUBSCRIBED: NOT_SUBSCRIBED,
    SHOPIFY_PENDING: PENDING,
    SHOPIFY_UNSUBSCRIBED: UNSUBSCRIBED,
    SHOPIFY_REDACTED: UNSUBSCRIBED,
    SHOPIFY_INVALID: UNSUBSCRIBED,
}


def _upper(value: str | None) -> str:
    return (value or "").strip().upper()


def map_shopify_state(shopify_state: str | None, opt_in_level: str | None) -> str:
    """Return our state for a Shopify marketing state and opt-in level (D20).

    ``SUBSCRIBED`` becomes ``opted_in`` only with ``CONFIRMED_OPT_IN`` (double opt-in),
    otherwise ``subscribed``. A null state (seen in the 2026-07 SMS consent sample) and
    any value Shopify may add later map to ``not_subscribed``: when in doubt, do not
    market.
    """
    state = _upper(shopify_state)
    ours = _STATE_MAP.get(state, NOT_SUBSCRIBED)
    if ours == SUBSCRIBED and _upper(opt_in_level) == CONFIRMED_OPT_IN:
        return OPTED_IN
    return ours


def is_marketable(state: str | None, shopify_state: str | None) -> bool:
    """Say whether marketing may be sent: our state allows it and Shopify does not forbid it.

    A contact unsubscribed in Shopify (``UNSUBSCRIBED``, ``REDACTED``, ``INVALID``) is
    never marketable, whatever our state says (D20). ``shopify_state`` is None for a
    contact Shopify has no opinion on.
    """
    if state not in MARKETABLE_STATES:
        return False
    return _upper(shopify_state) not in SHOPIFY_OPTED_OUT_STATES


def resolve_incoming(
    current_state: str | None,
    current_source: str | None,
    current_time: datetime | None,
    incoming_state: str,
    incoming_time: datetime | None,
) -> bool:
    """Say whether an incoming *Shopify* consent state should replace our current one.

    D20: the newer timestamp wins, except that a Shopify opt-in never overrides a newer
    local unsubscribe. Concretely:

    * nothing held yet, or no time on what we hold → apply;
    * a Shopify opt-in (subscribed, opted_in, pending) against a *local* unsubscribe
      applies only when strictly newer; a tie or a missing incoming time keeps the
      unsubscribe (retries replay old payloads, PLATFORM.md §2.2, so "unknown time"
      must never re-subscribe anyone);
    * otherwise the incoming state applies when its time is newer or equal (a tie is a
      replay of the same fact); with no incoming time it cannot prove it is newer and
      does not apply.
    """
    if current_state is None or current_time is None:
        return True
    local_unsubscribe = current_state == UNSUBSCRIBED and current_source != SOURCE_SHOPIFY
    if local_unsubscribe and incoming_state in OPT_IN_STATES:
        return incoming_time is not None and incoming_time > current_time
    if incoming_time is None:
        return False
    return incoming_time >= current_time
