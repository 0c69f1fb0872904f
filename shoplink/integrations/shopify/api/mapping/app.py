"""App and operations topics: ``bulk_operations/finish`` and ``app/scopes_update``."""

from __future__ import annotations

from shoplink.integrations.shopify.api.mapping.records import (
    BulkFinish,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    as_upper,
    parse_datetime,
)


def bulk_finish_from_webhook(payload: dict) -> BulkFinish:
    """Map ``bulk_operations/finish`` (lower-case status/type in the payload, §2.9)."""
    return BulkFinish(
        operation_gid=payload["admin_graphql_api_id"],
        status=as_upper(payload.get("status")),
        error_code=as_upper(payload.get("error_code")),
        type=as_upper(payload.get("type")),
        completed_at=parse_datetime(payload.get("completed_at")),
    )


def scopes_from_webhook(payload: dict) -> tuple[list[str], list[str]]:
    """Return ``(previous, current)`` scope handles from ``app/scopes_update``."""
    return list(payload.get("previous") or []), list(payload.get("current") or [])
