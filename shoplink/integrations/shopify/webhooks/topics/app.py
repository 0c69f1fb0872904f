"""Handlers for app and operations topics, handed to the modules that own each outcome.

``app/uninstalled`` and ``app/scopes_update`` belong to the connection lifecycle
(``connection/lifecycle.py``); ``bulk_operations/finish`` tells the sync engine a bulk
result is ready (``sync/runs.py``). The token may already be revoked when ``app/uninstalled`` lands
(PLATFORM.md §2.6, §9 trap 14), so nothing here calls Shopify.
"""

from __future__ import annotations

from shoplink.integrations.shopify.api import mapping
from shoplink.integrations.shopify.connection import lifecycle
from shoplink.integrations.shopify.sync import runs as sync


def handle_app_uninstalled(store, payload: dict, ctx) -> None:
    lifecycle.on_app_uninstalled(store)


def handle_app_scopes_update(store, payload: dict, ctx) -> None:
    _, current = mapping.scopes_from_webhook(payload)
    lifecycle.on_scopes_update(store, current)


def handle_bulk_operations_finish(store, payload: dict, ctx) -> None:
    sync.on_bulk_finished(store, mapping.bulk_finish_from_webhook(payload).operation_gid)
