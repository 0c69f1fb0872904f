"""The one seam the UI and the JSON API call for every store action.

Each verb here is what a button in the Integrations page and an endpoint of the JSON
API both do, so a policy (which sync kind a press starts, what must be on before a
list is chosen, the toast a merchant reads) lives once. Views and API endpoints
authenticate, validate their input, call one function here and render its answer.
Failures a merchant can act on raise ``ValidationFailed`` (a 409 in the API, an error
toast in the UI); Shopify trouble raises ``ShopifyError``.
"""

from __future__ import annotations

from typing import Any

from shoplink.core.errors import ValidationFailed
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.connection import grant, health, lifecycle, oauth, status
from shoplink.integrations.shopify.models import Entity, HealthCheck, ShopifyStore
from shoplink.integrations.shopify.sync import entities, runs, toggles
from shoplink.integrations.shopify.writeback import preview

MSG_INITIAL_SYNC = "Initial sync started"
MSG_RESYNC = "Sync rerun started"
MSG_SETTINGS_SAVED = "Sync settings saved"
READINESS_LABELS = status.READINESS_LABELS
WRITE_SCOPE_REASON = status.WRITE_SCOPE_REASON

__all__ = [
    "MSG_INITIAL_SYNC",
    "MSG_RESYNC",
    "READINESS_LABELS",
    "WRITE_SCOPE_REASON",
    "ShopifyError",
    "apply_settings",
    "assign_list",
    "begin_connect",
    "begin_reconnect",
    "complete_connect",
    "connect_success",
    "connect_warning",
    "delete_store",
    "disconnect_store",
    "entity_enabled",
    "health_message",
    "list_warning",
    "readiness_items",
    "retry_entity",
    "run_health_check",
    "set_toggle",
    "start_sync",
    "status_reason",
    "toggle_needs_reconnect",
    "was_reconnect",
    "webhook_line",
    "writeback_preview",
]


# --- connect ---------------------------------------------------------------------------


def begin_connect(session, project, shop: str) -> str:
    """Start connecting ``shop`` (already validated) to ``project``; return Shopify's URL."""
    return oauth.begin_install(session, project, shop)


def begin_reconnect(session, store: ShopifyStore) -> str:
    """Start a Reconnect of ``store`` (D31); return Shopify's URL."""
    return oauth.begin_install(session, store.project, store.domain)


def complete_connect(session, params, user) -> ShopifyStore:
    """Finish the OAuth callback; return the connected store (raises ``OAuthFailed``)."""
    return oauth.complete_install(session, params, user)


def connect_warning(store: ShopifyStore) -> str:
    """Why the connect just completed is not a full success ("" when it is)."""
    return oauth.connect_warning(store)


def was_reconnect(store: ShopifyStore) -> bool:
    """Whether the connect just completed was a Reconnect of an existing card."""
    return oauth.was_reconnect(store)


def connect_success(store: ShopifyStore) -> str:
    """The toast for a connect that fully succeeded: connected, or reconnected (issue 17)."""
    return oauth.MSG_RECONNECTED if oauth.was_reconnect(store) else oauth.MSG_CONNECTED


def toggle_needs_reconnect(store: ShopifyStore, field: str, on: bool) -> str:
    """The warning to show *before* turning ``field`` on when Shopify has not granted the
    scope it needs (D7): saving it makes the store Reconnect required. "" otherwise."""
    missing = grant.missing_if_turned_on(store, field) if on else []
    if not missing:
        return ""
    if missing == ["write_customers"]:
        what = "permission to update customers (write_customers)"
    else:
        what = "permissions it hasn't granted yet (" + ", ".join(missing) + ")"
    return (
        f"Shopify will ask for {what} when you reconnect the store. Until you do, the "
        "store shows Reconnect required and syncing pauses."
    )


# --- sync ------------------------------------------------------------------------------


def start_sync(store: ShopifyStore) -> str:
    """Start the initial sync, or a Re-sync once one has finished; return the toast.

    Pressed while a sync runs, it is the guide's "Re-sync restarts the bulk import":
    the running attempt's Shopify operations are cancelled and every enabled entity
    starts over (rows already written stay), with the Re-sync toast.
    """
    _require_list(store)
    restarting = toggles.status_context(store)["running"]
    kind = "resync" if store.initial_sync_completed_at else "initial"
    runs.start_sync(store, kind)
    return MSG_RESYNC if kind == "resync" or restarting else MSG_INITIAL_SYNC


def _require_list(store: ShopifyStore) -> None:
    """Customers must land somewhere: ask for a list before importing them."""
    # A store that cannot sync at all says why first (its status reason, from runs).
    if toggles.list_missing(store) and status.can_sync(store):
        raise ValidationFailed(
            toggles.MSG_LIST_MISSING + ": choose one under Customer list in Sync settings first."
        )


def list_warning(store: ShopifyStore) -> str:
    """The missing customer list warning ("" when a list is assigned or profiles are off)."""
    return toggles.list_warning(store)


def retry_entity(store: ShopifyStore, entity: str) -> str:
    """Retry one entity of ``store``; return the toast."""
    if entity not in Entity.values:
        raise ValidationFailed(f"Unknown entity {entity!r}; use one of {', '.join(Entity.values)}.")
    if entity == Entity.CUSTOMERS:
        _require_list(store)
    runs.retry_entity(store, entity)
    return f"Retry of {Entity(entity).label} started"


def entity_enabled(store: ShopifyStore, entity: str) -> bool:
    """Whether ``entity`` is included in ``store``'s syncs by its toggles."""
    return entities.entity_enabled(store, entity)


# --- settings --------------------------------------------------------------------------


def set_toggle(store: ShopifyStore, field: str, on: bool) -> str:
    """Save and apply one Sync settings toggle (D14); return the toast."""
    toggles.set_toggle(store, field, on)
    return MSG_SETTINGS_SAVED


def assign_list(store: ShopifyStore, choice: str) -> str:
    """Assign the store's customer list (a list id, or "new"); return the toast."""
    if not store.sync_customers:
        raise ValidationFailed("Turn on Customer profiles before choosing a customer list.")
    toggles.assign_list(store, str(choice))
    return MSG_SETTINGS_SAVED


def apply_settings(store: ShopifyStore, changes: dict[str, Any]) -> str:
    """Apply several settings as the drawer does, one toggle at a time, then the list."""
    changes = dict(changes)
    choice = changes.pop("customer_list", None)
    for name, on in changes.items():
        if getattr(store, name) != on:
            toggles.set_toggle(store, name, bool(on))
    if choice is not None:
        assign_list(store, str(choice))
    return MSG_SETTINGS_SAVED


# --- health and lifecycle ----------------------------------------------------------------


def run_health_check(store: ShopifyStore) -> HealthCheck:
    """Run an on-demand health check (D12)."""
    return health.run_health_check(store, trigger="manual")


def health_message(check: HealthCheck) -> str:
    return health.MSG_COMPLETED if check.passed else health.MSG_FAILED


def disconnect_store(store: ShopifyStore) -> str:
    """Disconnect ``store`` (D29); return the toast."""
    lifecycle.disconnect_store(store)
    return lifecycle.MSG_DISCONNECTED


def delete_store(store: ShopifyStore) -> str:
    """Start deleting ``store`` and its data (D30); return the toast."""
    lifecycle.start_delete(store)
    return lifecycle.MSG_DELETE_STARTED


def status_reason(store: ShopifyStore) -> str:
    """The one sentence explaining a non-Connected status."""
    return status.status_reason(store)


def readiness_items(store: ShopifyStore) -> list[dict]:
    """The five Store Readiness rows, with what failed and the fix, as Store details shows."""
    return health.readiness_items(store)


def webhook_line(store: ShopifyStore) -> str:
    """Store details' sentence about the webhook subscriptions."""
    return health.webhook_line(store)


# --- data to Shopify -------------------------------------------------------------------


def writeback_preview(store: ShopifyStore) -> preview.Preview:
    """What the next "Data to Shopify" pass would write (D28 dry run)."""
    return preview.build_preview(store)
