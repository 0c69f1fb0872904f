"""API v1, Shopify stores: status, readiness, entities and the store actions (D32).

Everything the Integrations page can do to a store: start a sync or Re-sync, retry
one entity, run a health check, disconnect, delete (with the typed domain, D30) and
see what the next write-back pass would write. Each action calls the same function of
``integrations/shopify/services.py`` as the Integrations page, so both follow one policy.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shoplink.core.errors import ValidationFailed
from shoplink.integrations.shopify import services as shopify
from shoplink.integrations.shopify.models import Entity, EntitySync, ShopifyStore

router = Router(tags=["stores"])

TOGGLES = (
    "sync_customers",
    "sync_email_consent",
    "sync_sms_consent",
    "sync_orders",
    "sync_products",
    "push_profile",
    "push_email_consent",
    "push_sms_consent",
    "push_engagement",
)


class EntityOut(Schema):
    entity: str
    state: str
    done: int
    total: int | None
    last_synced_at: dt.datetime | None


class ReadinessItemOut(Schema):
    label: str
    state: str = Field(description="pass, fail or unknown (never checked)")
    detail: str
    fix: str


class StoreOut(Schema):
    id: int
    domain: str
    name: str
    email: str | None
    custom_domain: str | None = Field(description="null when the store has none (the UI's —)")
    plan: str | None
    currency: str | None
    country: str | None
    created_at: dt.datetime = Field(description="the first connection (Store details' Created)")
    granted_scopes: list[str]
    status: str
    status_label: str
    status_reason: str
    readiness: dict
    readiness_items: list[ReadinessItemOut]
    webhook_subscriptions: str = Field(description="Store details' webhook subscriptions line")
    last_reconciled_at: dt.datetime | None
    last_reconcile_repairs: int
    last_health_check_at: dt.datetime | None
    initial_sync_completed_at: dt.datetime | None
    last_bulk_sync_at: dt.datetime | None
    last_webhook_at: dt.datetime | None
    customer_list_id: int | None
    customer_list_warning: str = Field(description="set while Customer profiles has no list")
    settings: dict
    entities: list[EntityOut]
    last_failure: dict | None


def _store(request, store_id: int) -> ShopifyStore:
    store = ShopifyStore.objects.filter(project=request.project, pk=store_id).first()
    if store is None:
        raise HttpError(404, f"No Shopify store with id {store_id} in this project.")
    return store


def _entities(store: ShopifyStore, rows: dict[str, EntitySync]) -> list[dict]:
    out = []
    for entity in Entity.values:
        es = rows.get(entity)
        if es is None:
            state = "pending" if shopify.entity_enabled(store, entity) else "off"
            out.append(
                {"entity": entity, "state": state, "done": 0, "total": None, "last_synced_at": None}
            )
            continue
        out.append(
            {
                "entity": entity,
                "state": es.state,
                "done": es.done,
                "total": es.total,
                "last_synced_at": es.last_synced_at,
            }
        )
    return out


def _store_out(store: ShopifyStore) -> dict:
    rows = {es.entity: es for es in store.entity_syncs.all()}
    return {
        "id": store.pk,
        "domain": store.domain,
        "name": store.name,
        "email": store.email or None,
        "custom_domain": store.custom_domain or None,
        "plan": store.plan or None,
        "currency": store.currency or None,
        "country": store.country or None,
        "created_at": store.created_at,
        "granted_scopes": list(store.granted_scopes or []),
        "status": store.status,
        "status_label": store.get_status_display(),
        "status_reason": shopify.status_reason(store),
        # In the documented order: PostgreSQL's jsonb does not keep key order.
        "readiness": {
            label: (store.readiness or {})[label]
            for label in shopify.READINESS_LABELS
            if label in (store.readiness or {})
        },
        "readiness_items": shopify.readiness_items(store),
        "webhook_subscriptions": shopify.webhook_line(store),
        "last_reconciled_at": store.last_reconciled_at,
        "last_reconcile_repairs": store.last_reconcile_repairs or 0,
        "last_health_check_at": store.last_health_check_at,
        "initial_sync_completed_at": store.initial_sync_completed_at,
        "last_bulk_sync_at": store.last_bulk_sync_at,
        "last_webhook_at": store.last_webhook_at,
        "customer_list_id": store.customer_list_id,
        "customer_list_warning": shopify.list_warning(store),
        "settings": {name: getattr(store, name) for name in TOGGLES},
        "entities": _entities(store, rows),
        "last_failure": store.last_failure,
    }


@router.get("/stores", response=list[StoreOut], summary="Stores with status and entity states")
def list_stores(request):
    stores = ShopifyStore.objects.filter(project=request.project).prefetch_related("entity_syncs")
    return [_store_out(s) for s in stores.order_by("created_at", "id")]


@router.get("/stores/{store_id}", response=StoreOut, summary="One store")
def get_store(request, store_id: int):
    return _store_out(_store(request, store_id))


class ActionOut(Schema):
    message: str
    store: StoreOut


def _act(fn, *args, **kwargs):
    """Call an owning module's action; "not now" is a 409, Shopify trouble a 502."""
    try:
        return fn(*args, **kwargs)
    except ValidationFailed as e:
        raise HttpError(409, e.message) from e
    except shopify.ShopifyError as e:
        raise HttpError(502, e.user_message) from e


def _after(store: ShopifyStore, message: str) -> dict:
    store.refresh_from_db()
    return {"message": message, "store": _store_out(store)}


@router.post(
    "/stores/{store_id}/sync",
    response={202: ActionOut},
    summary="Start the initial sync, or a Re-sync once one has run",
)
def start_sync(request, store_id: int):
    store = _store(request, store_id)
    return Status(202, _after(store, _act(shopify.start_sync, store)))


@router.post(
    "/stores/{store_id}/entities/{entity}/retry",
    response={202: ActionOut},
    summary="Retry one entity (customers, orders, products, collections)",
)
def retry_entity(request, store_id: int, entity: str):
    store = _store(request, store_id)
    if entity not in Entity.values:
        raise HttpError(400, f"Unknown entity {entity!r}; use one of {', '.join(Entity.values)}.")
    return Status(202, _after(store, _act(shopify.retry_entity, store, entity)))


class HealthOut(Schema):
    message: str
    passed: bool | None
    results: dict
    store: StoreOut


@router.post("/stores/{store_id}/health-check", response=HealthOut, summary="Run a health check")
def health_check(request, store_id: int):
    store = _store(request, store_id)
    check = _act(shopify.run_health_check, store)
    message = shopify.health_message(check)
    return {**_after(store, message), "passed": check.passed, "results": check.results}


@router.post("/stores/{store_id}/disconnect", response=ActionOut, summary="Disconnect a store")
def disconnect(request, store_id: int):
    store = _store(request, store_id)
    return _after(store, _act(shopify.disconnect_store, store))


class DeleteIn(Schema):
    confirm_domain: str


@router.delete(
    "/stores/{store_id}",
    response={202: ActionOut},
    summary="Delete a store and its data (type the domain to confirm; irreversible)",
)
def delete(request, store_id: int, payload: DeleteIn):
    store = _store(request, store_id)
    if payload.confirm_domain.strip().lower() != store.domain:
        raise HttpError(400, f"To delete, confirm_domain must be the store domain {store.domain}.")
    _act(shopify.delete_store, store)
    if not ShopifyStore.objects.filter(pk=store.pk).exists():  # an immediate queue ran it
        return Status(202, {"message": "Store deleted", "store": _store_out(store)})
    return Status(202, _after(store, "Deleting…"))


class ActivityOut(Schema):
    at: dt.datetime
    kind: str
    message: str
    detail: dict


@router.get(
    "/stores/{store_id}/activity",
    response=list[ActivityOut],
    summary="The store's Activity list, newest first (runs, checks, write-backs, failures)",
)
def activity(request, store_id: int, limit: int = 50):
    store = _store(request, store_id)
    rows = store.activity.order_by("-at", "-id")[: max(1, min(limit, 200))]
    # A privacy export's personal data is downloaded from the UI, never listed here.
    return [
        {
            "at": a.at,
            "kind": a.kind,
            "message": a.message,
            "detail": {k: v for k, v in (a.detail or {}).items() if k != "export"},
        }
        for a in rows
    ]


class SettingsIn(Schema):
    sync_customers: bool | None = None
    sync_email_consent: bool | None = None
    sync_sms_consent: bool | None = None
    sync_orders: bool | None = None
    sync_products: bool | None = None
    push_profile: bool | None = None
    push_email_consent: bool | None = None
    push_sms_consent: bool | None = None
    push_engagement: bool | None = None
    customer_list: str | None = Field(None, description='A list id of this project, or "new"')


@router.patch(
    "/stores/{store_id}/settings",
    response=ActionOut,
    summary="Change sync settings (toggles, customer list); omitted fields are kept",
)
def update_settings(request, store_id: int, payload: SettingsIn):
    store = _store(request, store_id)
    _act(shopify.apply_settings, store, payload.dict(exclude_none=True))
    return _after(store, "Settings saved")


class PendingWriteOut(Schema):
    kind: str
    external_id: str
    contact: str
    fields: dict


class PreviewOut(Schema):
    toggles: dict
    missing_scope: bool
    profile: list[PendingWriteOut]
    engagement: list[PendingWriteOut]
    engagement_total: int
    metafield_calls: int


@router.get(
    "/stores/{store_id}/writeback",
    response=PreviewOut,
    summary="Dry run: what the next Data to Shopify pass would write",
)
def writeback_preview(request, store_id: int):
    return shopify.writeback_preview(_store(request, store_id)).as_json()
