"""Handing a change's webhook to the delivery hub (none in unit tests: nothing is sent)."""

from __future__ import annotations

from shopsim.store import Shop


def fire(hub, shop: Shop, topic: str, payload: dict, event_id: str | None = None) -> str | None:
    if hub is None:
        return None
    return hub.emit(shop, topic, payload, event_id)
