"""Reads for the Integrations page: what a store card and the Store Details drawer show.

Pure look-ups (no writes, no Shopify calls): the badge class, the reason line, which
menu items a status enables (reference 2.3, 2.10, B23), the five readiness rows and the
most recent failure (D13).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from shoplink.core import clock
from shoplink.integrations.shopify.connection import health, status
from shoplink.integrations.shopify.models import (
    Entity,
    EntityState,
    EntitySync,
    ShopifyStore,
    StoreStatus,
    SyncRun,
)
from shoplink.integrations.shopify.sync import toggles
from shoplink.integrations.shopify.ui import charts

# The six card-menu items of reference B23, in order, on every card. An item that
# cannot act in a status is shown disabled with the reason (on hover and for screen
# readers), so the guide's "Reconnect from the card menu" is always findable.
MENU_ITEMS: tuple[tuple[str, str], ...] = (
    ("sync", "Sync settings"),
    ("details", "View details"),
    ("health", "Check health"),
    ("reconnect", "Reconnect"),
    ("disconnect", "Disconnect"),
    ("delete", "Delete"),
)
REASON_DELETING = "This store is being deleted."
# Why an item is disabled, per status; an item not listed acts.
DISABLED_BY_STATUS: dict[str, dict[str, str]] = {
    StoreStatus.DISCONNECTED: {
        "health": "The store is Disconnected: Reconnect it first, then check its health.",
        "disconnect": "The store is already Disconnected.",
    },
    StoreStatus.DELETING: {key: REASON_DELETING for key, _ in MENU_ITEMS},
}


def menu_items(store: ShopifyStore) -> dict[str, dict[str, Any]]:
    """The six menu items of ``store``'s card: ``{key: {"label", "enabled", "reason"}}``."""
    disabled = DISABLED_BY_STATUS.get(store.status, {})
    return {
        key: {"label": label, "enabled": key not in disabled, "reason": disabled.get(key, "")}
        for key, label in MENU_ITEMS
    }


def sync_settings_url(store: ShopifyStore) -> str:
    """The store's Sync settings drawer URL."""
    return reverse("shopify:sync_settings", args=[store.pk])


# A Syncing entity whose count has not moved for this long says so on the card (the
# minute sweeper wakes it; D17 fails it after 15 minutes).
QUIET_AFTER = dt.timedelta(minutes=2)


def sync_progress(store: ShopifyStore, running: bool | None = None) -> dict[str, Any] | None:
    """What the card says about a running sync, or None when none runs.

    ``line`` reads like "Syncing customers · 1,200 of ~5,000"; ``percent`` is the whole
    run's share done (entities without a known total count as nothing yet). ``running``:
    whether a run is open, when the caller already knows (one query for a whole page).
    """
    if running is None:
        running = SyncRun.objects.filter(store=store, finished_at__isnull=True).exists()
    if not running:
        return None
    order = {value: i for i, value in enumerate(Entity.values)}
    rows = sorted(
        EntitySync.objects.filter(store=store).exclude(state=EntityState.OFF),
        key=lambda es: order.get(es.entity, 99),
    )
    done = sum(es.done for es in rows)
    total = sum(es.total or 0 for es in rows)
    syncing = next((es for es in rows if es.state == EntityState.SYNCING), None)
    quiet = ""
    if syncing is None and any(es.state == EntityState.PENDING for es in rows):
        line = "Sync starting: Shopify is preparing the export"
    elif syncing is None:
        line = "Sync finishing: statistics and a health check"
    else:
        what = syncing.get_entity_display().lower()
        if syncing.total:
            line = f"Syncing {what} · {syncing.done:,} of ~{syncing.total:,}"
        elif syncing.done:
            line = f"Syncing {what} · {syncing.done:,} so far"
        else:
            line = f"Syncing {what} · waiting for Shopify's export"
        if syncing.progress_at and clock.now() - syncing.progress_at >= QUIET_AFTER:
            quiet = syncing.progress_at
    return {
        "line": line,
        "percent": min(100, round(100 * done / total)) if total else 0,
        "quiet_since": quiet or None,
    }


def card_context(store: ShopifyStore, running: bool | None = None) -> dict[str, Any]:
    """Everything ``shopify/_store_card.html`` needs for one store."""
    return {
        "sync": sync_progress(store, running),
        "store": store,
        "badge_class": status.BADGE_CLASS.get(store.status, "badge-grey"),
        "reason": status.status_reason(store),
        "menu": menu_items(store),
        "sync_url": sync_settings_url(store),
        "deleting": store.status == StoreStatus.DELETING,
    }


def _when(raw: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def details_context(store: ShopifyStore) -> dict[str, Any]:
    """Everything ``shopify/_details_drawer.html`` needs (D13)."""
    failure = dict(store.last_failure) if store.last_failure else None
    if failure:
        failure["when"] = _when(failure.get("at"))
    return {
        "store": store,
        "badge_class": status.BADGE_CLASS.get(store.status, "badge-grey"),
        "reason": status.status_reason(store),
        "webhook_line": health.webhook_line(store),
        "list_warning": toggles.list_warning(store),
        "readiness": health.readiness_items(store),
        "failure": failure,
        "webhook_charts": charts.webhook_charts(store),
        "rate_charts": charts.sync_rate_charts(store),
    }


def list_cards(project) -> list[dict[str, Any]]:
    """Card contexts for every store of ``project``, oldest first, in two queries (plus
    one per store with a sync running)."""
    stores = ShopifyStore.objects.filter(project=project).order_by("created_at", "pk")
    running = set(
        SyncRun.objects.filter(store__project=project, finished_at__isnull=True).values_list(
            "store_id", flat=True
        )
    )
    return [card_context(store, store.pk in running) for store in stores]
