"""Expiring offline tokens (D6, PLATFORM §1.6): store, read and refresh a store's pair.

* Tokens are encrypted at rest (:mod:`crypto`); plain values exist only in memory,
  for the one request header that needs them.
* A refresh happens 5 minutes before expiry, with **one refresh in flight per store**:
  the refresh runs in a transaction that first takes the store row's write lock
  (``select_for_update`` on PostgreSQL; on SQLite the first UPDATE of the transaction
  takes the database write lock, and the configured IMMEDIATE mode takes it at BEGIN).
  The row is re-read inside the lock, so a second worker that waited finds the new
  token and reuses it instead of spending the (rotating) refresh token again.
* The new access + refresh pair is written in the same transaction (atomically).
* ``invalid_grant`` means the grant is gone: the store becomes Reconnect required.
"""

from __future__ import annotations

import datetime as dt

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F

from shoplink.core import clock
from shoplink.integrations.shopify.api import client
from shoplink.integrations.shopify.api.errors import ShopifyAuthError, ShopifyError
from shoplink.integrations.shopify.api.scopes import parse_scopes
from shoplink.integrations.shopify.connection import crypto, status
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

REFRESH_MARGIN = dt.timedelta(minutes=5)  # Shopify's own packages refresh 5 min early.
TOKEN_FIELDS = [
    "access_token_enc",
    "access_token_expires_at",
    "refresh_token_enc",
    "refresh_token_expires_at",
    "granted_scopes",
]


def apply_token_response(store, body: dict) -> None:
    """Set ``store``'s encrypted pair, expiries and granted scopes from a token answer.

    Does not save: callers save inside their own transaction so the pair lands at once.
    """
    now = clock.now()
    store.access_token_enc = crypto.encrypt(body["access_token"])
    expires_in = body.get("expires_in")
    store.access_token_expires_at = (
        now + dt.timedelta(seconds=int(expires_in)) if expires_in else None
    )
    refresh = body.get("refresh_token") or ""
    store.refresh_token_enc = crypto.encrypt(refresh) if refresh else ""
    refresh_in = body.get("refresh_token_expires_in")
    store.refresh_token_expires_at = (
        now + dt.timedelta(seconds=int(refresh_in)) if refresh and refresh_in else None
    )
    if "scope" in body:
        store.granted_scopes = parse_scopes(body.get("scope"))


def needs_refresh(store, now: dt.datetime | None = None) -> bool:
    """Say whether the access token expires within the refresh margin (and can be refreshed)."""
    if not store.access_token_expires_at or not store.refresh_token_enc:
        return False
    return store.access_token_expires_at - REFRESH_MARGIN <= (now or clock.now())


def token_expired(store, now: dt.datetime | None = None) -> bool:
    """Say whether the stored access token is past its expiry (readiness "Token valid")."""
    if not store.access_token_enc:
        return True
    if not store.access_token_expires_at:
        return False
    return store.access_token_expires_at <= (now or clock.now())


def get_access_token(store, *, http: httpx.Client | None = None) -> str:
    """Return a usable plain access token for ``store``, refreshing it first if due."""
    if needs_refresh(store):
        return refresh_access_token(store, http=http)
    token = crypto.decrypt(store.access_token_enc)
    if not token:
        raise ShopifyAuthError("No access token stored", operation="access_token", code="NO_TOKEN")
    return token


def refresh_access_token(store, *, http: httpx.Client | None = None, force: bool = False) -> str:
    """Refresh ``store``'s token pair (one refresh in flight per store); return the token.

    ``force`` refreshes even when the stored token is not yet due (after a 401) unless
    another worker refreshed it while we waited for the lock.
    """
    seen = store.access_token_enc
    with transaction.atomic():
        # Take the write lock before reading (see module docstring): a no-op UPDATE
        # locks the row on PostgreSQL and the database on SQLite, in any BEGIN mode.
        ShopifyStore.objects.filter(pk=store.pk).update(updated_at=F("updated_at"))
        fresh = ShopifyStore.objects.select_for_update().get(pk=store.pk)
        for name in TOKEN_FIELDS:
            setattr(store, name, getattr(fresh, name))
        someone_else_refreshed = fresh.access_token_enc != seen
        if someone_else_refreshed or not (force or needs_refresh(fresh)):
            return crypto.decrypt(fresh.access_token_enc)
        refresh_token = crypto.decrypt(fresh.refresh_token_enc)
        if not refresh_token:
            raise ShopifyAuthError(
                "No refresh token stored", operation="token_refresh", code="NO_REFRESH_TOKEN"
            )
        body = {
            "client_id": settings.SHOPIFY_API_KEY,
            "client_secret": settings.SHOPIFY_API_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        try:
            answer = client.request_token(fresh.domain, body, http=http, operation="token_refresh")
        except ShopifyAuthError as e:
            auth_error = e
        else:
            auth_error = None
            apply_token_response(fresh, answer)
            fresh.save(update_fields=[*TOKEN_FIELDS, "updated_at"])
            for name in TOKEN_FIELDS:
                setattr(store, name, getattr(fresh, name))
            return answer["access_token"]
    # Outside the token transaction: the status change must stick even though the
    # refresh failed, and must not hold the lock while it writes activity.
    status.mark_reconnect_required(
        store, f"Shopify refused to refresh the access token ({auth_error.code})"
    )
    status.record_failure(store, "token_refresh", auth_error)
    raise auth_error


KEEP_ALIVE_WINDOW = dt.timedelta(days=7)


def refresh_expiring_grants(*, http: httpx.Client | None = None) -> int:
    """Refresh pairs whose *refresh* token ends within a week; return how many were refreshed.

    Active stores refresh on use; this keeps an idle store's 90-day grant alive (a lost
    refresh token would force the merchant through Reconnect). Paused, deleting and
    Reconnect-required stores are left alone.
    """
    due = ShopifyStore.objects.filter(
        status__in=[StoreStatus.CONNECTED, StoreStatus.ERROR],
        refresh_token_expires_at__lte=clock.now() + KEEP_ALIVE_WINDOW,
    ).exclude(refresh_token_enc="")
    refreshed = 0
    for store in due:
        try:
            refresh_access_token(store, http=http, force=True)
        except ShopifyError:
            continue  # invalid_grant already marked the store; outages retry tomorrow
        refreshed += 1
    return refreshed
