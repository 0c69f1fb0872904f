"""Disconnect, Delete and the grant-loss events (D7, D10, D29, D30; Reconnect is oauth.py, D31).

* :func:`disconnect_store`: status Disconnected; processing and schedules stop (every
  job checks ``status.can_sync``); our webhook subscriptions are removed while the token
  still works; the token and all data are kept.
* :func:`start_delete` marks the card "Deleting…" and enqueues :func:`delete_store_data`,
  the background cleanup: ``appUninstall`` (carry on if it fails), then the store's
  orders, checkouts, carts, products, collections, events, webhook inbox, settings,
  runs and logs; contacts that came only from this store are deleted and the others
  lose their Shopify fields; the auto-created list goes if it is then empty.
* :func:`on_app_uninstalled` / :func:`on_scopes_update`: called by the webhook receiver
  (never uses the token: it may already be revoked, PLATFORM §9 trap 14).
* :func:`check_write_scope`: turning on a Data-to-Shopify toggle without
  ``write_customers`` granted means Reconnect required with that reason (D7).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from shoplink.core import clock
from shoplink.integrations.shopify import oauth, queries, status
from shoplink.integrations.shopify.errors import ShopifyError
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from shoplink.integrations.shopify.oauth import missing_scopes, required_scopes

__all__ = [
    "check_write_scope",
    "delete_store_data",
    "disconnect_store",
    "missing_scopes",
    "on_app_uninstalled",
    "on_scopes_update",
    "required_scopes",
    "start_delete",
]

log = logging.getLogger(__name__)

MSG_DISCONNECT_CONFIRM = "Are you sure you want to disconnect? You can reconnect later."
MSG_DISCONNECTED = "Store disconnected"
MSG_DELETE_STARTED = "Deleting the store…"
REASON_UNINSTALLED = "The app was uninstalled in Shopify"
REASON_WRITE_SCOPE = status.WRITE_SCOPE_REASON


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
        from shoplink.integrations.shopify import subscriptions
    except ImportError:
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
    from shoplink.integrations.shopify import tasks_connect
    from shoplink.queue.jobs import enqueue_on_commit

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
        enqueue_on_commit(tasks_connect.delete_store, store.pk)
    return store


def delete_store_data(store_id: int) -> dict[str, int] | None:
    """Remove everything the store brought (D30); return counts per kind."""
    store = ShopifyStore.objects.filter(pk=store_id).select_related("customer_list").first()
    if store is None:
        return None
    counts: dict[str, int] = {"app_uninstalled": int(_uninstall_app(store))}
    with transaction.atomic():
        counts.update(_delete_commerce_and_events(store))
        counts.update(_delete_or_strip_contacts(store))
        counts["list_deleted"] = int(_delete_empty_auto_list(store))
        from shoplink.integrations.shopify.models import WebhookDelivery

        counts["webhook_deliveries"] = WebhookDelivery.objects.filter(
            shop_domain=store.domain
        ).delete()[0]
        # Settings, runs, health checks and Activity go with the row (CASCADE).
        store.delete()
    log.info("shopify store %s deleted: %s", store_id, counts)
    return counts


def _uninstall_app(store: ShopifyStore) -> bool:
    """Revoke the grant in Shopify (``appUninstall``); carry on if that fails (D30)."""
    if not store.access_token_enc or store.reconnect_reason:
        return False
    from shoplink.integrations.shopify.client import client_for

    try:
        client_for(store).mutate(queries.APP_UNINSTALL, None, "appUninstall")
    except ShopifyError as e:
        log.info("appUninstall failed for store %s: %s (%s)", store.pk, e.code, e.status)
        return False
    return True


def _delete_commerce_and_events(store: ShopifyStore) -> dict[str, int]:
    from shoplink.commerce.models import Cart, Checkout, Collection, Order, Product
    from shoplink.events.models import Event

    counts = {}
    for name, model in (
        ("orders", Order),
        ("checkouts", Checkout),
        ("carts", Cart),
        ("products", Product),
        ("collections", Collection),
        ("events", Event),
    ):
        counts[name] = model.objects.filter(project=store.project, source=store.source).delete()[0]
    return counts


def _delete_or_strip_contacts(store: ShopifyStore) -> dict[str, int]:
    """Delete contacts that came only from this store; strip Shopify fields from the rest.

    "Only from this store": imported by it (``source``) after it connected, on no list
    but the store's own, with no events from anywhere else. A contact that existed
    before, or that the project uses elsewhere, keeps its own data (D30).
    """
    from shoplink.audience.models import Consent, Contact, ContactList, ListMembership
    from shoplink.audience.services import recount_list
    from shoplink.events.models import Event

    ours = Contact.objects.filter(project=store.project, source=store.source)
    own_list = [store.customer_list_id] if store.customer_list_id else []
    used_elsewhere = (
        Q(created_at__lt=store.created_at)
        | Q(
            pk__in=ListMembership.objects.exclude(contact_list_id__in=own_list).values("contact_id")
        )
        | Q(pk__in=Event.objects.filter(project=store.project).values("contact_id"))
    )
    keep_ids = list(ours.filter(used_elsewhere).values_list("pk", flat=True))
    touched_lists = set(
        ListMembership.objects.filter(contact__in=ours).values_list("contact_list_id", flat=True)
    )
    deleted = ours.exclude(pk__in=keep_ids).delete()[0]
    kept = Contact.objects.filter(pk__in=keep_ids)
    for contact in kept:
        contact.attributes = {
            k: v for k, v in (contact.attributes or {}).items() if not k.startswith("shopify_")
        }
    Contact.objects.bulk_update(list(kept), ["attributes"], batch_size=500)
    kept.update(source="", source_created_at=None, source_updated_at=None, deleted_in_source=False)
    Consent.objects.filter(contact_id__in=keep_ids).update(
        shopify_state="", opt_in_level="", collected_from=""
    )
    for contact_list in ContactList.objects.filter(pk__in=touched_lists):
        recount_list(contact_list)
    return {"contacts_deleted": deleted, "contacts_kept": len(keep_ids)}


def _delete_empty_auto_list(store: ShopifyStore) -> bool:
    from shoplink.audience.models import ContactList, ListMembership

    contact_list = store.customer_list
    if contact_list is None or contact_list.created_by_source != store.source:
        return False
    if ListMembership.objects.filter(contact_list=contact_list).exists():
        return False
    ShopifyStore.objects.filter(pk=store.pk).update(customer_list=None)
    ContactList.objects.filter(pk=contact_list.pk).delete()
    return True


def on_app_uninstalled(store: ShopifyStore) -> str:
    """``app/uninstalled``: Reconnect required; never touches the (revoked) token."""
    return status.mark_reconnect_required(store, REASON_UNINSTALLED)


def on_scopes_update(store: ShopifyStore, scopes) -> str:
    """``app/scopes_update``: record the new grant; a dropped needed scope → Reconnect required."""
    from shoplink.integrations.shopify.tokens import parse_scopes

    store.granted_scopes = parse_scopes(list(scopes or []))
    ShopifyStore.objects.filter(pk=store.pk).update(granted_scopes=store.granted_scopes)
    missing = missing_scopes(store)
    if missing:
        return status.mark_reconnect_required(
            store, "Shopify scopes changed; missing: " + ", ".join(missing)
        )
    status.log_activity(store, "scopes", "Granted scopes updated", scopes=store.granted_scopes)
    return status.recompute_status(store)


def check_write_scope(store: ShopifyStore) -> str:
    """After a toggle change: a write toggle on without ``write_customers`` → Reconnect required."""
    if oauth.WRITE_SCOPE in required_scopes(store) and oauth.WRITE_SCOPE not in set(
        store.granted_scopes or []
    ):
        return status.mark_reconnect_required(store, REASON_WRITE_SCOPE)
    return store.status
