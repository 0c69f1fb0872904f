"""Sync settings of one store (D14): toggles, the customer list, and the drawer's read model.

Writes are verbs called by ``views_sync``; :func:`drawer_context` / :func:`status_context`
build what the drawer templates show. Toggles save on change and apply at once:
turning a category off makes its entities Off (importing and webhook processing stop;
data stays), turning a write toggle on checks that ``write_customers`` is granted (D7).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse

from shoplink.audience.models import Contact, ContactList
from shoplink.commerce.models import Collection, Order, Product
from shoplink.core.errors import ValidationFailed
from shoplink.integrations.shopify.api.errors import ShopifyError
from shoplink.integrations.shopify.connection import grant, subscriptions
from shoplink.integrations.shopify.connection import status as store_status
from shoplink.integrations.shopify.connection.customer_list import create_customer_list
from shoplink.integrations.shopify.models import EntityState, ShopifyStore, SyncRun
from shoplink.integrations.shopify.sync.entities import ACTIVE, entity_enabled, entity_rows
from shoplink.integrations.shopify.sync.runs import cancel_superseded

# (field, exact label) in drawer order (D14, reference 2.4).
INBOUND = (
    ("sync_customers", "Customer profiles"),
    ("sync_email_consent", "Email marketing consent"),
    ("sync_sms_consent", "SMS marketing consent"),
    ("sync_orders", "Orders, checkouts, and carts"),
    ("sync_products", "Product catalogue"),
)
OUTBOUND = (
    ("push_profile", "Sync profile data to Shopify"),
    ("push_email_consent", "Sync email subscription to Shopify"),
    ("push_sms_consent", "Sync SMS subscription to Shopify"),
    ("push_engagement", "Sync engagement to metafields"),
)
TOGGLES = dict(INBOUND + OUTBOUND)
NEW_LIST = "new"
# The guide's own sentence ("Missing data after sync", item 2), shown next to the picker,
# in Store details and in the API while Customer profiles is on without a list.
MSG_LIST_MISSING = "A customer list must be assigned for customer profiles to land somewhere"


def list_missing(store: ShopifyStore) -> bool:
    """Customer profiles is on but no list is assigned (say, the list was deleted)."""
    return bool(store.sync_customers) and store.customer_list_id is None


def list_warning(store: ShopifyStore) -> str:
    """The missing-list warning for ``store``, or ""."""
    return MSG_LIST_MISSING if list_missing(store) else ""


BADGES = {
    EntityState.OFF: "badge-grey",
    EntityState.PENDING: "badge-grey",
    EntityState.SYNCING: "badge-amber",
    EntityState.SYNCED: "badge-green",
    EntityState.FAILED: "badge-red",
}


def set_toggle(store: ShopifyStore, field: str, on: bool) -> None:
    """Save one toggle of ``store`` and apply it (D14)."""
    if field not in TOGGLES:
        raise ValidationFailed("Unknown sync setting.")
    with transaction.atomic():
        setattr(store, field, on)
        ShopifyStore.objects.filter(pk=store.pk).update(**{field: on})
        stopped = _apply_entity_states(store)
        store_status.log_activity(
            store, "settings", f"{TOGGLES[field]} turned {'on' if on else 'off'}"
        )
    if stopped and store_status.can_sync(store):
        cancel_superseded(store, stopped)  # free Shopify's bulk slots at once
    if field.startswith("push_") and on:
        grant.flag_missing_scopes(store)  # D7: Shopify asks for the scope on Reconnect
    elif field.startswith("sync_") and (store.initial_sync_completed_at or store.last_bulk_sync_at):
        _resubscribe(store)


def _apply_entity_states(store: ShopifyStore) -> list[dict]:
    """Make disabled entities Off and re-enabled ones Pending; return stopped operations."""
    stopped = []
    for es in entity_rows(store):
        enabled = entity_enabled(store, es.entity)
        if not enabled and es.state != EntityState.OFF:
            if es.state in ACTIVE:
                stopped.append(es.operations)
            es.state = EntityState.OFF
            es.save(update_fields=["state"])
        elif enabled and es.state == EntityState.OFF:
            # Waits for the next Start initial sync / Re-sync; no progress_at, so the
            # stall sweeper leaves it alone until a run picks it up.
            es.state, es.progress_at, es.run = EntityState.PENDING, None, None
            es.save(update_fields=["state", "progress_at", "run"])
    return stopped


def _resubscribe(store: ShopifyStore) -> None:
    if not store_status.can_sync(store):
        return
    try:
        subscriptions.sync_subscriptions(store)
    except ShopifyError as e:
        store_status.record_failure(store, "webhook_subscriptions", e)


def assign_list(store: ShopifyStore, choice: str) -> ContactList:
    """Assign an existing list (by id) or ``"new"``: a list named after the store.

    A list assigned to another store cannot be chosen (one list per store, D14).
    Nobody moves: later imports go to the new list.
    """
    if choice == NEW_LIST:
        contact_list = create_customer_list(store)
    else:
        contact_list = ContactList.objects.filter(
            project=store.project, pk=int(choice) if str(choice).isdigit() else 0
        ).first()
        if contact_list is None:
            raise ValidationFailed("Choose a list of this project.")
        if _taken_list_ids(store) & {contact_list.pk}:
            raise ValidationFailed("That list belongs to another store.")
        store.customer_list = contact_list
        ShopifyStore.objects.filter(pk=store.pk).update(customer_list=contact_list)
    store_status.log_activity(store, "settings", f"Customer list set to {contact_list.name}")
    return contact_list


def _taken_list_ids(store: ShopifyStore) -> set[int]:
    return set(
        ShopifyStore.objects.filter(customer_list__isnull=False)
        .exclude(pk=store.pk)
        .values_list("customer_list_id", flat=True)
    )


# --- read model --------------------------------------------------------------------------


@dataclass
class EntityRow:
    entity: str
    label: str
    state: str
    state_label: str
    badge: str
    done: int
    total: int | None
    percent: int | None
    last_synced_at: object
    failure: dict | None
    held: int | None = None  # records of this store we hold now (None while a run moves)
    records_url: str = ""  # the page listing them (issue 16: "is it the same as in Shopify?")


# The page that lists an entity's records of one store (the commerce pages filter by the
# store's domain; customers land in the store's list).
_RECORD_PAGES = {
    "orders": "commerce:orders",
    "products": "commerce:products",
    "collections": "commerce:collections",
}
_HELD = {
    "customers": Contact,
    "orders": Order,
    "products": Product,
    "collections": Collection,
}


def _records_url(store: ShopifyStore, entity: str) -> str:
    if entity == "customers":
        return reverse("web:list", args=[store.customer_list_id]) if store.customer_list_id else ""
    return reverse(_RECORD_PAGES[entity]) + "?" + urlencode({"store": store.domain})


def _with_records(store: ShopifyStore, rows: list[EntityRow]) -> None:
    """Counts and links for the rows (not while a run moves: the drawer then polls twice a
    second, and a COUNT over a large store each time is not worth it)."""
    for row in rows:
        row.held = (
            _HELD[row.entity]
            .objects.filter(project_id=store.project_id, source=store.source)
            .count()
        )
        row.records_url = _records_url(store, row.entity)


def status_context(store: ShopifyStore) -> dict:
    """The Sync status rows, whether anything is running, and the button's label."""
    rows, running = [], False
    for es in entity_rows(store):
        state = es.state if entity_enabled(store, es.entity) else EntityState.OFF
        percent = None
        if es.total:
            percent = min(100, round(100 * es.done / es.total))
        # A Pending row counts as running only when a run queued it (not a toggle-on).
        running = running or (state in ACTIVE and es.run_id is not None)
        rows.append(
            EntityRow(
                entity=es.entity,
                label=es.get_entity_display(),
                state=state,
                state_label=EntityState(state).label,
                badge=BADGES[state],
                done=es.done,
                total=es.total,
                percent=percent,
                last_synced_at=es.last_synced_at,
                failure=es.failure if state == EntityState.FAILED else None,
            )
        )
    # Rows can all read Synced while the run still rebuilds stats and checks health;
    # keep polling until the run is closed, so the button flips to Re-sync.
    running = running or SyncRun.objects.filter(store=store, finished_at__isnull=True).exists()
    if not running:
        _with_records(store, rows)
    done = sum(r.done for r in rows if r.state != EntityState.OFF)
    total = sum((r.total or 0) for r in rows if r.state != EntityState.OFF)
    return {
        "store": store,
        "rows": rows,
        "overall": min(100, round(100 * done / total)) if total else 0,
        "running": running,
        "has_synced": bool(store.initial_sync_completed_at),
        "can_sync": store_status.can_sync(store),
        "sync_blocked": store_status.sync_blocked_reason(store),
        "list_warning": list_warning(store),
    }


def drawer_context(store: ShopifyStore) -> dict:
    """Everything the Sync settings drawer shows (D14, D15)."""
    taken = _taken_list_ids(store)
    lists = [
        {"list": contact_list, "taken": contact_list.pk in taken}
        for contact_list in ContactList.objects.filter(project=store.project).order_by("name")
    ]
    return {
        **status_context(store),
        "inbound": [(f, label, getattr(store, f)) for f, label in INBOUND],
        "outbound": [(f, label, getattr(store, f)) for f, label in OUTBOUND],
        "lists": lists,
        "new_list_value": NEW_LIST,
    }
