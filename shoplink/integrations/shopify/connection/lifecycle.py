"""Disconnect, Delete and the grant-loss events (D7, D10, D29, D30; Reconnect is oauth.py, D31).

* :func:`disconnect_store`: status Disconnected; processing and schedules stop (every
  job checks ``status.can_sync``); our webhook subscriptions are removed while the token
  still works; the token and all data are kept.
* :func:`start_delete` marks the card "Deleting…" and enqueues :func:`delete_store_data`,
  the background cleanup: ``appUninstall`` (only from the shop's live connection, carry on
  if it fails), then the store's orders, checkouts, carts, products, collections, events,
  webhook inbox (unless another project's card holds the shop), settings,
  runs and logs; contacts that came only from this store are deleted and the others
  lose their Shopify fields; the auto-created list goes if it is then empty.
* :func:`on_app_uninstalled` / :func:`on_scopes_update`: called by the webhook receiver
  (never uses the token: it may already be revoked, PLATFORM §9 trap 14).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from shoplink.audience.erasure import delete_list_if_empty
from shoplink.core import clock
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.api.scopes import parse_scopes
from shoplink.integrations.shopify.connection import access, erasure, grant, status, subscriptions
from shoplink.integrations.shopify.models import (
    EntityState,
    EntitySync,
    ShopifyStore,
    StoreStatus,
    WebhookDelivery,
)

ACTIVE_STATES = (EntityState.PENDING, EntityState.SYNCING)

__all__ = [
    "delete_store_data",
    "disconnect_store",
    "is_live_connection",
    "on_app_uninstalled",
    "on_scopes_update",
    "start_delete",
]

log = logging.getLogger(__name__)

MSG_DISCONNECT_CONFIRM = "Are you sure you want to disconnect? You can reconnect later."
MSG_DISCONNECTED = "Store disconnected"
MSG_DELETE_STARTED = "Deleting the store…"
REASON_UNINSTALLED = "The app was uninstalled in Shopify"


def disconnect_store(store: ShopifyStore) -> ShopifyStore:
    """Disconnect ``store`` (D29) and return it."""
    if store.status == StoreStatus.DELETING:
        return store
    removed = _remove_subscriptions_if_possible(store)
    store.disconnected_at = clock.now()
    status.recompute_status(store)
    status.log_activity(store, "disconnect", MSG_DISCONNECTED, subscriptions_removed=removed)
    return store


def _remove_subscriptions_if_possible(store: ShopifyStore) -> int | None:
    """Remove our shop subscriptions while the grant still works; None when it could not."""
    if store.reconnect_reason or not store.access_token_enc or store.disconnected_at:
        return None
    try:
        return subscriptions.remove_subscriptions(store)
    except ShopifyError as e:
        # The token stopped working or Shopify is down: disconnect anyway (data kept;
        # the receiver drops deliveries for Disconnected stores, D19).
        status.log_activity(store, "disconnect", f"Webhook subscriptions not removed: {e}")
        return None


def start_delete(store: ShopifyStore) -> ShopifyStore:
    """Mark ``store`` Deleting… and enqueue the background cleanup (D30)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                ShopifyStore.objects.filter(pk=store.pk).update(
                    status=StoreStatus.DELETING, updated_at=clock.now()
                )
        except IntegrityError:
            # A Disconnected card whose shop another project has connected since: the
            # one-project constraint counts Deleting as active, so this card cannot show
            # it. The cleanup still runs; the card disappears when it is done.
            log.info(
                "store %s deleted without the Deleting marker (shop linked elsewhere)", store.pk
            )
        store.status = StoreStatus.DELETING
        status.log_activity(store, "delete", "Delete started")
        intents.delete_store_data(store.pk)
    return store


def delete_store_data(store_id: int) -> dict[str, int] | None:
    """Remove everything the store brought (D30); return counts per kind."""
    store = ShopifyStore.objects.filter(pk=store_id).select_related("customer_list").first()
    if store is None:
        return None
    # Only the shop's live connection may call Shopify: a card whose shop has moved to
    # another project since holds an old token that still opens the same install.
    live = is_live_connection(store)
    counts: dict[str, int] = {"bulk_cancelled": _cancel_bulk_operations(store) if live else 0}
    counts["app_uninstalled"] = int(live and _uninstall_app(store))
    with transaction.atomic():
        counts.update(erasure.erase_store_data(store, keep_shared_contacts=True))
        own_list = store.customer_list
        ShopifyStore.objects.filter(pk=store.pk).update(customer_list=None)
        counts["list_deleted"] = int(delete_list_if_empty(own_list, created_by_source=store.source))
        # The inbox is keyed by shop, not by project: while another project holds a card
        # for the shop, its deliveries (a pending customers/redact among them) are its own.
        others = ShopifyStore.objects.filter(domain=store.domain).exclude(pk=store.pk)
        counts["webhook_deliveries"] = (
            0
            if others.exists()
            else WebhookDelivery.objects.filter(shop_domain=store.domain).delete()[0]
        )
        # Settings, runs, health checks and Activity go with the row (CASCADE).
        store.delete()
    log.info("shopify store %s deleted: %s", store_id, counts)
    return counts


def is_live_connection(store: ShopifyStore) -> bool:
    """Whether ``store`` is the shop's current connection, the only one that may call Shopify.

    A shop is linked to one project at a time (D2), so the live connection is the card
    that is not Disconnected, else the one disconnected last (the last to be connected).
    """
    others = ShopifyStore.objects.filter(domain=store.domain).exclude(pk=store.pk)
    if others.exclude(status=StoreStatus.DISCONNECTED).exists():
        return False
    if store.disconnected_at is None:
        return True
    return not others.filter(disconnected_at__gt=store.disconnected_at).exists()


def _cancel_bulk_operations(store: ShopifyStore) -> int:
    """Cancel the imports still running in Shopify, so a fresh connect of the same shop
    does not wait behind them (Shopify runs five at most per shop); best effort."""
    if not store.access_token_enc or store.reconnect_reason:
        return 0
    gids = [
        op["gid"]
        for es in EntitySync.objects.filter(store=store, state__in=ACTIVE_STATES)
        for op in (es.operations or {}).values()
        if op.get("gid") and not op.get("ingested")
    ]
    cancelled = 0
    for gid in gids:
        try:
            access.client_for(store).graphql(
                queries.BULK_OPERATION_CANCEL, queries.id_variables(gid)
            )
        except ShopifyError as e:
            log.info("bulk cancel failed for store %s: %s", store.pk, e.code)
            continue
        cancelled += 1
    return cancelled


def _uninstall_app(store: ShopifyStore) -> bool:
    """Revoke the grant in Shopify (``appUninstall``); carry on if that fails (D30)."""
    if not store.access_token_enc or store.reconnect_reason:
        return False
    try:
        access.client_for(store).mutate(queries.APP_UNINSTALL, None, "appUninstall")
    except ShopifyError as e:
        log.info("appUninstall failed for store %s: %s (%s)", store.pk, e.code, e.status)
        return False
    return True


def on_app_uninstalled(store: ShopifyStore) -> str:
    """``app/uninstalled``: Reconnect required; never touches the (revoked) token."""
    return status.mark_reconnect_required(store, REASON_UNINSTALLED)


def on_scopes_update(store: ShopifyStore, scopes) -> str:
    """``app/scopes_update``: record the new grant; a dropped needed scope → Reconnect required."""
    store.granted_scopes = parse_scopes(list(scopes or []))
    ShopifyStore.objects.filter(pk=store.pk).update(granted_scopes=store.granted_scopes)
    if grant.flag_missing_scopes(store):
        return store.status
    status.log_activity(store, "scopes", "Granted scopes updated", scopes=store.granted_scopes)
    return status.recompute_status(store)
