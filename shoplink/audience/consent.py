"""Marketing-consent rules (DECISIONS D20), as pure functions over plain values.

Owns two questions and nothing else (no models, no Django imports, no source's own
vocabulary: each integration maps its states to ours):

* may this contact receive marketing on this channel (:func:`is_marketable`);
* should an incoming consent change replace the one we hold (:func:`resolve_incoming`).

The source's raw state, opt-in level, collected-from and consent time are provenance:
callers store them on every delivery. Only our ``state`` is guarded by
:func:`resolve_incoming`, and :func:`is_marketable` looks at the source's opt-out too,
so a source's unsubscribe is honoured even when our own state was not replaced.
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
# source's delivery may not use to undo a newer local unsubscribe.
OPT_IN_STATES = frozenset({SUBSCRIBED, OPTED_IN, PENDING})

# Who set a consent state on our side (unsubscribe links, the API, SMS keywords).
LOCAL = "local"


def is_marketable(state: str | None, source_opted_out: bool) -> bool:
    """Say whether marketing may be sent: our state allows it and the source does not forbid it.

    A contact the source of record says is opted out (an integration decides which of
    its raw states mean that) is never marketable, whatever our state says (D20).
    """
    return state in MARKETABLE_STATES and not source_opted_out


def resolve_incoming(
    current_state: str | None,
    current_source: str | None,
    current_time: datetime | None,
    incoming_state: str,
    incoming_time: datetime | None,
    *,
    incoming_source: str,
) -> bool:
    """Say whether a consent state from ``incoming_source`` should replace our current one.

    D20: the newer timestamp wins, except that a source's opt-in never overrides a newer
    unsubscribe made elsewhere (locally: our links, the API). Concretely:

    * nothing held yet, or no time on what we hold → apply;
    * an opt-in (subscribed, opted_in, pending) against an unsubscribe set elsewhere
      applies only when strictly newer; a tie or a missing incoming time keeps the
      unsubscribe (retries replay old payloads, PLATFORM.md §2.2, so "unknown time"
      must never re-subscribe anyone);
    * otherwise the incoming state applies when its time is newer or equal (a tie is a
      replay of the same fact); with no incoming time it cannot prove it is newer and
      does not apply.
    """
    if current_state is None or current_time is None:
        return True
    local_unsubscribe = current_state == UNSUBSCRIBED and current_source != incoming_source
    if local_unsubscribe and incoming_state in OPT_IN_STATES:
        return incoming_time is not None and incoming_time > current_time
    if incoming_time is None:
        return False
    return incoming_time >= current_time
