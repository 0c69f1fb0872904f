"""Health check (D12) and the store-information refresh it shares with the connect flow.

One check makes one test call (``SHOP_INFO``: shop fields plus granted scopes), then
scores the five readiness items of the Store Details drawer:

* **OAuth connected**: the grant is live (no 401/``invalid_grant``, not uninstalled).
* **Token valid**: we hold an access token that has not expired (after any refresh).
* **All scopes granted**: every scope :func:`grant.required_scopes` needs is granted.
* **API responding**: the test call got a usable answer (5xx, timeouts, throttling and
  frozen/locked shops fail it, fix: wait and check again; a 401 fails it too, with the
  guide's "API credentials invalid → Reconnect").
* **Initial sync complete**: one full sync finished.

A pass clears Error and the D11 pause; any failure sets Error (D10). When the grant
works and a sync has started (D8: nothing is subscribed before Start initial sync),
the store's webhook subscriptions are compared with the expected set and missing
ones re-created. Runs on demand, after each full sync and every 6 hours (tasks_connect).
"""

from __future__ import annotations

from typing import Any

from shoplink.core import clock
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyStoreUnavailable,
)
from shoplink.integrations.shopify.api.scopes import parse_scopes
from shoplink.integrations.shopify.connection import (
    access,
    grant,
    lifecycle,
    status,
    subscriptions,
    tokens,
)
from shoplink.integrations.shopify.models import HealthCheck, ShopifyStore, StoreStatus

OAUTH, TOKEN, SCOPES, API, INITIAL_SYNC = status.READINESS_LABELS
MSG_COMPLETED = "Health check completed"
MSG_FAILED = "Health check failed"
# What the merchant should do per failed item (reference 2.7 failure → cause → fix).
# The troubleshooting guide's "Health check failed" table, item by item.
FIXES = {
    OAUTH: "Reconnect the store from its card.",
    TOKEN: "Reconnect to refresh credentials.",
    SCOPES: "Reconnect to re-approve the full scope set.",
    API: "Shopify is slow or failing: wait a few minutes, then run Check health again.",
    INITIAL_SYNC: "Open Sync settings and run the initial sync.",
}
API_CREDENTIALS_FIX = "Reconnect the store from its card."
INFO_FIELDS = ["name", "email", "custom_domain", "plan", "currency", "country", "timezone"]


def apply_shop_info(store: ShopifyStore, data: dict) -> None:
    """Copy ``SHOP_INFO`` data onto ``store`` and save the store-information fields."""
    shop = data.get("shop") or {}
    host = ((shop.get("primaryDomain") or {}).get("host") or "").lower()
    store.name = (shop.get("name") or store.name or store.domain.split(".")[0])[:255]
    store.email = shop.get("email") or ""
    # The primary domain is the myshopify one when no custom domain is set (reference 54).
    store.custom_domain = host if host and host != store.domain else ""
    store.plan = (shop.get("plan") or {}).get("displayName") or ""
    store.currency = shop.get("currencyCode") or ""
    store.country = (shop.get("billingAddress") or {}).get("country") or ""
    store.timezone = shop.get("ianaTimezone") or ""
    fields = list(INFO_FIELDS)
    installation = data.get("currentAppInstallation")
    if installation is not None:
        store.granted_scopes = parse_scopes(
            [s.get("handle", "") for s in installation.get("accessScopes") or []]
        )
        fields.append("granted_scopes")
    ShopifyStore.objects.filter(pk=store.pk).update(
        **{name: getattr(store, name) for name in fields}
    )


def refresh_store_info(store: ShopifyStore) -> bool:
    """Best-effort refresh right after connecting; a failure is recorded, not raised."""
    try:
        data = access.client_for(store).graphql(queries.SHOP_INFO)
    except ShopifyError as e:
        status.record_failure(store, "store_info", e)
        return False
    apply_shop_info(store, data)
    return True


MSG_NOT_LIVE = "This shop is now connected to another project: this card no longer calls Shopify."


def _test_call(store: ShopifyStore) -> tuple[dict | None, ShopifyError | None]:
    if not lifecycle.is_live_connection(store):
        # Its saved token still opens the shop's one install, now the other project's.
        return None, ShopifyError(
            MSG_NOT_LIVE, operation="health_check", code="NOT_LIVE", user_message=MSG_NOT_LIVE
        )
    try:
        return access.client_for(store).graphql(queries.SHOP_INFO), None
    except ShopifyError as e:
        return None, e


def _score(store: ShopifyStore, data: dict | None, error: ShopifyError | None) -> dict:
    """The five items, each ``{"ok", "detail", "fix"}`` (``fix`` only when failed).

    A 401 fails OAuth connected, Token valid and API responding together: Shopify
    answered, but refused our credentials, and the guide's fix for each is Reconnect.
    A slow or failing Shopify (5xx, timeouts, throttling, 402/423) fails API responding
    only, and the fix is to wait and check again.
    """
    # Only a refused grant proves OAuth is gone; a scope-related Reconnect required or a
    # 5xx says nothing about it (the test call either reached Shopify with it or not).
    refused = isinstance(error, ShopifyAuthError)
    auth_lost = refused or not store.access_token_enc
    if data is not None:
        apply_shop_info(store, data)
    missing = grant.missing_scopes(store)
    expired = tokens.token_expired(store) or bool(error and error.code == "invalid_grant")
    if expired:
        token_detail = "The access token has expired and could not be refreshed."
    elif refused:
        token_detail = "Shopify refused the access token (401)."
    else:
        token_detail = "The access token has not expired."
    results = {
        OAUTH: (
            not auth_lost,
            "The grant is live."
            if not auth_lost
            else (error.user_message if error else "No access token is stored."),
            FIXES[OAUTH],
        ),
        TOKEN: (not expired and not refused, token_detail, FIXES[TOKEN]),
        SCOPES: (
            not missing,
            "Every needed scope is granted." if not missing else "Missing: " + ", ".join(missing),
            FIXES[SCOPES],
        ),
        API: (
            data is not None,
            "The test call succeeded."
            if data is not None
            else (
                "API credentials invalid: Shopify answered 401 Unauthorized."
                if refused
                else (error.user_message if error else "")
            ),
            API_CREDENTIALS_FIX if refused else FIXES[API],
        ),
        INITIAL_SYNC: (
            store.initial_sync_completed_at is not None,
            "A full sync finished."
            if store.initial_sync_completed_at
            else "The initial sync has not finished yet.",
            FIXES[INITIAL_SYNC],
        ),
    }
    return {
        label: {"ok": ok, "detail": detail, **({} if ok else {"fix": fix})}
        for label, (ok, detail, fix) in results.items()
    }


def _check_subscriptions(store: ShopifyStore) -> dict[str, Any]:
    """Compare the shop's subscriptions with the expected set; re-create missing ones."""
    if not store.sync_runs.exists():
        return {"skipped": "no sync started yet"}
    try:
        changed = subscriptions.sync_subscriptions(store)
    except ShopifyError as e:
        status.record_failure(store, "webhook_subscriptions", e)
        return {"error": e.user_message}
    if changed.get("created"):
        status.log_activity(
            store,
            "webhooks",
            "Re-created missing webhook subscriptions",
            topics=changed["created"],
        )
    return {k: (list(v) if isinstance(v, list) else v) for k, v in changed.items()}


def run_health_check(store: ShopifyStore, trigger: str = "manual") -> HealthCheck:
    """Run one health check for ``store`` and return its HealthCheck row (D12)."""
    started = clock.now()
    data, error = _test_call(store)
    store.refresh_from_db(fields=["reconnect_reason", "status", "access_token_expires_at"])
    results = _score(store, data, error)
    passed = all(item["ok"] for item in results.values())
    webhooks = (
        _check_subscriptions(store)
        if results[OAUTH]["ok"] and results[API]["ok"] and store.status != StoreStatus.DISCONNECTED
        else {"skipped": "no working grant"}
    )
    check = HealthCheck.objects.create(
        store=store,
        started_at=started,
        finished_at=clock.now(),
        trigger=trigger,
        results={**results, "_webhooks": webhooks},
        passed=passed,
    )
    store.readiness = {label: item["ok"] for label, item in results.items()}
    store.last_health_check_at = check.finished_at
    ShopifyStore.objects.filter(pk=store.pk).update(
        readiness=store.readiness, last_health_check_at=store.last_health_check_at
    )
    _apply_outcome(store, results, passed, error, trigger)
    status.log_activity(
        store,
        "health",
        MSG_COMPLETED if passed else MSG_FAILED,
        trigger=trigger,
        failed=[label for label, item in results.items() if not item["ok"]],
    )
    return check


def _apply_outcome(store: ShopifyStore, results: dict, passed: bool, error, trigger) -> None:
    failed = [label for label, item in results.items() if not item["ok"]]
    if passed or (trigger == "reconnect" and failed == [INITIAL_SYNC]):
        # D31: a Reconnect ends Connected; the readiness list still shows the missing sync.
        status.clear_after_health_check(store)
        return
    status.mark_error(store, "Health check failed: " + ", ".join(failed))
    if not results[SCOPES]["ok"]:
        status.mark_reconnect_required(
            store,
            "A needed scope is missing: " + results[SCOPES]["detail"].removeprefix("Missing: "),
        )
    if error is not None and not isinstance(error, ShopifyStoreUnavailable | ShopifyAuthError):
        # Auth and 402/423 failures were recorded by the client already.
        status.record_failure(store, "health_check", error)
    elif error is None:
        first = failed[0]
        message = f"{first} failed: {results[first]['detail']} {results[first]['fix']}"
        status.record_failure(store, "health_check", message)


def readiness_items(store: ShopifyStore) -> list[dict[str, Any]]:
    """The five Store Readiness rows as Store details and the API show them.

    Each is ``{"label", "state", "detail", "fix"}``: ``state`` is ``pass``, ``fail`` or
    ``unknown`` (never checked); ``detail`` and ``fix`` come from the check that set
    the row (``fix`` only for a failed one).
    """
    readiness = store.readiness or {}
    checked = store.last_health_check_at is not None
    last = store.health_checks.first()
    results = last.results if last else {}
    rows = []
    for label in status.READINESS_LABELS:
        known = checked and label in readiness
        result = results.get(label) or {}
        ok = readiness.get(label)
        rows.append(
            {
                "label": label,
                "state": "unknown" if not known else ("pass" if ok else "fail"),
                "detail": result.get("detail", "") if known else "",
                "fix": result.get("fix", "") if known and not ok else "",
            }
        )
    return rows


def webhook_line(store: ShopifyStore) -> str:
    """What Store details says about the webhook subscriptions ("" before any check)."""
    if store.status == StoreStatus.DISCONNECTED:
        return "none (Disconnect removed them; Reconnect restores them)"
    last = store.health_checks.first()
    hooks = (last.results.get("_webhooks") if last else None) or {}
    if not hooks:
        return ""
    if hooks.get("error"):
        return f"not checked ({hooks['error']})"
    if hooks.get("skipped"):
        return f"not checked ({hooks['skipped']})"
    created = hooks.get("created") or []
    if hooks.get("present") is None:
        if created:
            return f"re-created {len(created)} missing ({', '.join(created)})"
        return "all expected subscriptions present"
    line = f"{hooks['present']} present"
    if not created:
        return line + " (all expected subscriptions present)"
    line += f", {len(created)} of them re-created"
    return line + (f" ({', '.join(created)})" if len(created) <= 5 else "")
