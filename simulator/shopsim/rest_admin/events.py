"""The shop's Event log, as the REST `events.json` endpoint serves it.

Events exist for changes made while the simulator runs (control API, admin page, GraphQL
mutations): `webhooks.Hub.emit` calls `record` for every change it is told about, before any
delivery. Generated records have no creation events (a generated store is "imported",
not built click by click), so the log starts empty. Subject types and verbs follow the REST
Event reference: Product and Collection `create|update|destroy`, Order `placed`,
`cancelled`, `fulfillment_success`, `update`, `destroy` (the reference lists no Order
`destroy`; clients look for deletions with `verb=destroy`, so we record one). Customer events
are recorded too (`EventSubjectType.CUSTOMER` exists in the GraphQL schema).
"""

from __future__ import annotations

from datetime import UTC, datetime

LOG_LIMIT = 20000

TOPIC_EVENTS = {
    "products/create": ("Product", "create"),
    "products/update": ("Product", "update"),
    "products/delete": ("Product", "destroy"),
    "collections/create": ("Collection", "create"),
    "collections/update": ("Collection", "update"),
    "collections/delete": ("Collection", "destroy"),
    "orders/create": ("Order", "placed"),
    "orders/updated": ("Order", "update"),
    "orders/cancelled": ("Order", "cancelled"),
    "orders/fulfilled": ("Order", "fulfillment_success"),
    "orders/delete": ("Order", "destroy"),
    "customers/create": ("Customer", "create"),
    "customers/update": ("Customer", "update"),
    "customers/delete": ("Customer", "destroy"),
}
PATHS = {"Product": "products", "Collection": "collections", "Order": "orders"}


def record(shop, topic: str, payload: dict) -> None:
    """Append the Event a change makes (when Shopify makes one for it)."""
    kind = TOPIC_EVENTS.get(topic)
    if kind is None or not isinstance(payload, dict) or payload.get("id") is None:
        return
    subject, verb = kind
    subject_id = payload["id"]
    title = payload.get("title") or payload.get("name") or payload.get("email") or ""
    path = f"/admin/{PATHS.get(subject, 'customers')}/{subject_id}"
    event = {
        "id": shop.new_id(),
        "subject_id": subject_id,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "subject_type": subject,
        "verb": verb,
        "arguments": [title] if title else [],
        "body": None,
        "message": f"{subject} {title} {verb}".replace("  ", " "),
        "author": "Shopify",
        "description": f"{subject} {verb}",
        "path": path if verb != "destroy" else None,
    }
    with shop.lock:
        shop.events.append(event)
        del shop.events[:-LOG_LIMIT]
