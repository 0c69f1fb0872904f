"""Merchant-facing causes of a Failed entity, with their technical detail (D13, D15).

A cause says what happened and what to do next in the troubleshooting ladder's terms
(Retry, Check health, Reconnect); the technical part carries Shopify's status and
error codes for support, never a token or personal data.
"""

from __future__ import annotations

from shoplink.core import clock

# BulkOperationErrorCode / status → (sentence, next step). PLATFORM.md §4.
_BULK_CAUSES = {
    "ACCESS_DENIED": (
        "Shopify refused to export {entity}: the app is missing a permission.",
        "Run Check health; if a scope is missing, Reconnect the store, then Retry.",
    ),
    "TIMEOUT": (
        "Shopify took too long to export {entity}.",
        "Press Retry. If it fails again, run Check health, then Re-sync.",
    ),
    "INTERNAL_SERVER_ERROR": (
        "Shopify could not finish exporting {entity} (an error on Shopify's side).",
        "Press Retry.",
    ),
    "EXPIRED": (
        "The export of {entity} expired before it could be imported.",
        "Press Retry.",
    ),
    "CANCELED": (
        "The export of {entity} was cancelled in Shopify.",
        "Press Retry.",
    ),
    "REJECTED": (
        "Shopify rejected the export request for {entity}.",
        "Run Check health, then Retry.",
    ),
}


def _failure(message: str, action: str, technical: dict) -> dict:
    return {
        "at": clock.now().isoformat(),
        "message": message,
        "action": action,
        "technical": {k: v for k, v in technical.items() if v not in (None, "")},
    }


def bulk_cause(es, error) -> tuple[dict, None]:
    """The failure for a bulk operation that ended badly (``sync_bulk.BulkFailed``)."""
    key = error.code if error.code in _BULK_CAUSES else error.status
    message, action = _BULK_CAUSES.get(key, _BULK_CAUSES["INTERNAL_SERVER_ERROR"])
    entity = es.get_entity_display().lower()
    technical = {
        "bulk_status": error.status,
        "shopify_code": error.code,
        "operation": error.part,
        "bulk_operation_id": error.gid,
    }
    return _failure(message.format(entity=entity), action, technical), None


def cause_failure(es, error) -> tuple[dict, object]:
    """The failure for a ShopifyError raised while syncing ``es`` (uses its user message)."""
    technical = error.technical()
    technical["operation"] = error.operation
    return _failure(error.user_message, "Press Retry.", technical), error
