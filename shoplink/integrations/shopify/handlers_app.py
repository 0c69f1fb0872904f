"""Handlers for app and operations topics, handed to the modules that own each outcome.

``app/uninstalled`` and ``app/scopes_update`` belong to the connection lifecycle
(``lifecycle.py``); ``bulk_operations/finish`` tells the sync engine a bulk result is
ready (``sync.py``). The token may already be revoked when ``app/uninstalled`` lands
(PLATFORM.md §2.6, §9 trap 14), so nothing here calls Shopify.
"""

from __future__ import annotations

from shoplink.integrations.shopify import mapping


def handle_app_uninstalled(store, payload: dict, ctx) -> None:
    from shoplink.integrations.shopify import lifecycle

    lifecycle.on_app_uninstalled(store)


def handle_app_scopes_update(store, payload: dict, ctx) -> None:
    from shoplink.integrations.shopify import lifecycle

    _, current = mapping.scopes_from_webhook(payload)
    lifecycle.on_scopes_update(store, current)


def handle_bulk_operations_finish(store, payload: dict, ctx) -> None:
    from shoplink.integrations.shopify import sync

    sync.on_bulk_finished(store, mapping.bulk_finish_from_webhook(payload).operation_gid)
