"""A store's status (D10, D11), its most recent failure (D13) and Activity lines.

The status is *derived*: ``recompute_status`` reads the inputs on the store row and
applies the D10 precedence Disconnected > Reconnect required > Error > Connected
(``Deleting…`` while a delete runs sits above all of them). Inputs:

* ``disconnected_at``: set by Disconnect, cleared by Reconnect.
* ``reconnect_reason``: 401, ``invalid_grant``, ``app/uninstalled``, a needed scope
  dropped or missing; cleared only by a successful (re)connect.
* ``unavailable_reason``: 402/423 (D11); cleared by a passing health check.
* ``error_reason``: a failed health-check item; cleared by a passing health check or a
  successful entity sync. A Failed entity (EntitySync) also means Error.
"""

from __future__ import annotations

import re
from typing import Any

from shoplink.core import clock
from shoplink.integrations.shopify.api.errors import UNAVAILABLE_MESSAGE, ShopifyError
from shoplink.integrations.shopify.models import (
    ActivityEntry,
    EntityState,
    EntitySync,
    ShopifyStore,
    StoreStatus,
)

READINESS_LABELS = (
    "OAuth connected",
    "Token valid",
    "All scopes granted",
    "API responding",
    "Initial sync complete",
)

STATUS_FIELDS = [
    "status",
    "disconnected_at",
    "reconnect_reason",
    "error_reason",
    "unavailable_reason",
]

# The one merchant sentence for a Data-to-Shopify toggle without ``write_customers``
# (D7). Toggling, the write-back pass and a refused write all set it, so the card
# never shows three wordings for one cause.
WRITE_SCOPE_REASON = (
    "Shopify hasn't granted write access to customers (write_customers). Reconnect to approve it."
)


def missing_scope_reason(missing: list[str]) -> str:
    """The one sentence for "a needed scope is not granted" (D10), whoever noticed it."""
    if list(missing) == ["write_customers"]:
        return WRITE_SCOPE_REASON
    return (
        "Shopify hasn't granted every permission Shoplink needs (missing: "
        + ", ".join(missing)
        + "). Reconnect to approve them."
    )


BADGE_CLASS = {
    StoreStatus.CONNECTED: "badge-green",
    StoreStatus.DISCONNECTED: "badge-grey",
    StoreStatus.ERROR: "badge-red",
    StoreStatus.RECONNECT_REQUIRED: "badge-amber",
    StoreStatus.DELETING: "badge-grey",
}


def _has_failed_entity(store: ShopifyStore) -> bool:
    return EntitySync.objects.filter(store_id=store.pk, state=EntityState.FAILED).exists()


def derive_status(store: ShopifyStore) -> str:
    """Return the status the inputs on ``store`` imply (D10), without saving."""
    if store.status == StoreStatus.DELETING:
        return StoreStatus.DELETING
    if store.disconnected_at:
        return StoreStatus.DISCONNECTED
    if store.reconnect_reason:
        return StoreStatus.RECONNECT_REQUIRED
    if store.error_reason or store.unavailable_reason or _has_failed_entity(store):
        return StoreStatus.ERROR
    return StoreStatus.CONNECTED


def _save(store: ShopifyStore) -> str:
    store.status = derive_status(store)
    if store.pk:
        # Only the status inputs: never clobber tokens or settings written concurrently.
        ShopifyStore.objects.filter(pk=store.pk).exclude(status=StoreStatus.DELETING).update(
            **{name: getattr(store, name) for name in STATUS_FIELDS}, updated_at=clock.now()
        )
    return store.status


def recompute_status(store: ShopifyStore) -> str:
    """Re-derive and store ``store.status`` from its inputs; return it."""
    return _save(store)


def status_reason(store: ShopifyStore) -> str:
    """The one sentence explaining a non-Connected status (shown on the card)."""
    if store.status == StoreStatus.RECONNECT_REQUIRED:
        return store.reconnect_reason
    if store.status == StoreStatus.ERROR:
        return store.unavailable_reason or store.error_reason or "An entity sync failed."
    return ""


def mark_reconnect_required(store: ShopifyStore, reason: str) -> str:
    """Set Reconnect required with ``reason`` (kept until a successful reconnect)."""
    if store.reconnect_reason != reason:
        store.reconnect_reason = reason[:300]
        log_activity(store, "status", f"Reconnect required: {reason}")
    return _save(store)


def mark_error(store: ShopifyStore, reason: str) -> str:
    """Set Error with ``reason`` (a failed health-check item)."""
    store.error_reason = reason[:300]
    return _save(store)


def mark_unavailable(store: ShopifyStore) -> str:
    """Record a 402/423 answer (D11): Error with the cause, syncs paused."""
    store.unavailable_reason = UNAVAILABLE_MESSAGE
    return _save(store)


def clear_after_health_check(store: ShopifyStore) -> str:
    """A passing health check clears Error and the D11 pause (a Failed entity still counts)."""
    store.error_reason = ""
    store.unavailable_reason = ""
    return _save(store)


def note_sync_succeeded(store: ShopifyStore) -> str:
    """An entity sync succeeded: Error clears on its own if no entity is Failed (D10)."""
    store.error_reason = ""
    return _save(store)


def mark_connected(store: ShopifyStore) -> str:
    """A successful (re)connect: clear every input except a pending delete."""
    store.disconnected_at = None
    store.reconnect_reason = ""
    store.error_reason = ""
    store.unavailable_reason = ""
    return _save(store)


def can_sync(store: ShopifyStore) -> bool:
    """Whether syncs, webhooks processing and scheduled jobs may run for ``store`` now."""
    return (
        store.status in (StoreStatus.CONNECTED, StoreStatus.ERROR)
        and not store.disconnected_at
        and not store.reconnect_reason
        and not store.unavailable_reason
    )


def sync_blocked_reason(store: ShopifyStore) -> str:
    """Why Start initial sync / Re-sync cannot run now, and what to do; "" if it can."""
    if can_sync(store):
        return ""
    if store.status == StoreStatus.DELETING:
        return "This store is being deleted, so it no longer syncs."
    if store.disconnected_at:
        return (
            "Syncing is paused while the store is Disconnected. "
            "Use Reconnect, here or in the card menu."
        )
    if store.reconnect_reason:
        return (
            "Syncing is paused until you reconnect the store, so Shopify can approve Shoplink "
            "again. Use Reconnect, here or in the card menu."
        )
    return (
        "Syncing is paused while Shopify reports the store unavailable (payment required or "
        "locked). Resolve it in Shopify, then run Check health from the card menu."
    )


# What each recorded operation was, in a merchant's words (Activity lines, D13). The
# GraphQL ones are named as in api/queries.py; the rest as the modules record them. An
# operation missing here is still readable: its name is split into words.
OPERATION_LABELS = {
    "sync_customers": "Importing customers",
    "sync_orders": "Importing orders",
    "sync_products": "Importing products",
    "sync_collections": "Importing collections",
    "access_token": "Using the access token",
    "token_refresh": "Refreshing the access token",
    "oauth_token": "Requesting an access token",
    "oauth_code_exchange": "Finishing the connection",
    "store_info": "Reading the store's details",
    "health_check": "The health check",
    "reconcile": "Reconciliation",
    "webhook_subscriptions": "Updating webhook subscriptions",
    "bulk_result": "Downloading a bulk export",
    "ShopInfo": "Reading the store's details",
    "AccessScopes": "Reading the granted permissions",
    "WebhookSubscriptions": "Reading webhook subscriptions",
    "WebhookSubscriptionCreate": "Subscribing to a webhook",
    "WebhookSubscriptionDelete": "Removing a webhook subscription",
    "AppUninstall": "Uninstalling the app",
    "BulkOperationRunQuery": "Starting a bulk export",
    "BulkOperationStatus": "Checking a bulk export",
    "CurrentBulkOperation": "Checking a bulk export",
    "BulkOperationCancel": "Cancelling a bulk export",
    "CustomerForFillIn": "Reading a customer to fill in",
    "CustomerUpdate": "Updating a customer's profile",
    "CustomerEmailConsentUpdate": "Updating email consent",
    "CustomerSmsConsentUpdate": "Updating SMS consent",
    "MetafieldsSet": "Writing engagement metafields",
}
_WORD = re.compile(r"(?<=[a-z])(?=[A-Z])|_")


def describe_operation(operation: str) -> str:
    """The merchant's words for an operation (``sync_collections`` → "Importing collections")."""
    if operation in OPERATION_LABELS:
        return OPERATION_LABELS[operation]
    words = _WORD.sub(" ", operation or "").strip().lower()
    return words[:1].upper() + words[1:] if words else "A Shopify call"


def record_failure(
    store: ShopifyStore,
    operation: str,
    error_or_message: ShopifyError | str,
    technical: dict | None = None,
) -> dict:
    """Store the most recent failure (D13) and add it to Activity; return it.

    ``error_or_message`` is a ShopifyError (its merchant sentence and technical detail
    are used) or a merchant sentence. ``technical`` adds/overrides detail; it must
    never contain a token, a secret or personal data.
    """
    if isinstance(error_or_message, ShopifyError):
        message = error_or_message.user_message
        detail = error_or_message.technical()
        operation = operation or error_or_message.operation
    else:
        message = str(error_or_message)
        detail = {}
    if technical:
        detail.update(technical)
    failure = {
        "at": clock.now().isoformat(),
        "operation": operation,
        "message": message,
        "technical": {k: v for k, v in detail.items() if v not in (None, "")},
    }
    store.last_failure = failure
    if store.pk:
        ShopifyStore.objects.filter(pk=store.pk).update(last_failure=failure)
    log_activity(
        store,
        "failure",
        f"{describe_operation(operation)} failed: {message}",
        **{"operation": operation, **failure["technical"]},
    )
    return failure


def log_activity(
    store: ShopifyStore, kind: str, message: str, /, **detail: Any
) -> ActivityEntry | None:
    """Append one line to the store's Activity list (D13); ``detail`` is plain JSON."""
    if not store.pk:
        return None
    return ActivityEntry.objects.create(
        store_id=store.pk, at=clock.now(), kind=kind, message=message[:500], detail=detail
    )
