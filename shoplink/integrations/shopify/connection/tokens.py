"""Expiring offline tokens (D6, PLATFORM §1.6): store, read and refresh a store's pair.

* Tokens are encrypted at rest (:mod:`crypto`); plain values exist only in memory,
  for the one request header that needs them.
* A refresh happens 5 minutes before expiry, with **one refresh in flight per store**
  and **no database lock held while Shopify answers** (issue 12, defect 5):

  1. *take*: one conditional UPDATE sets ``token_refresh_until`` (a short lease) where it
     is empty or past; an autocommit statement, so SQLite's write lock lasts a moment;
  2. *decide*: re-read the row; if another worker already stored a new pair, use it;
  3. *call* Shopify outside any transaction;
  4. *compare-and-set*: store the new pair only where the refresh token is still the
     one we spent, clearing the lease in the same UPDATE.

  A second worker that finds the lease taken does not spend the (rotating) refresh
  token again: it polls the row briefly for the new pair, and takes over only if the
  lease runs out (its holder died).
* ``invalid_grant`` means the grant is gone: the store becomes Reconnect required.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
from django.conf import settings
from django.db.models import Q

from shoplink.core import clock, crypto
from shoplink.integrations.shopify.api import client
from shoplink.integrations.shopify.api.errors import ShopifyAuthError, ShopifyError
from shoplink.integrations.shopify.api.scopes import parse_scopes
from shoplink.integrations.shopify.connection import status
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


# Longer than a refresh takes (the HTTP timeout is 30 s by default), short enough that a
# dead holder does not block the store for long.
REFRESH_LEASE = dt.timedelta(seconds=45)
WAIT_POLL_SECONDS = 0.1


def _take_lease(store_id: int) -> bool:
    now = clock.now()
    free = Q(token_refresh_until__isnull=True) | Q(token_refresh_until__lt=now)
    return bool(
        ShopifyStore.objects.filter(free, pk=store_id).update(
            token_refresh_until=now + REFRESH_LEASE
        )
    )


def _release_lease(store_id: int) -> None:
    ShopifyStore.objects.filter(pk=store_id).update(token_refresh_until=None)


def _adopt(store, fresh) -> str:
    for name in TOKEN_FIELDS:
        setattr(store, name, getattr(fresh, name))
    return crypto.decrypt(fresh.access_token_enc)


def refresh_access_token(store, *, http: httpx.Client | None = None, force: bool = False) -> str:
    """Refresh ``store``'s token pair (one refresh in flight per store); return the token.

    ``force`` refreshes even when the stored token is not yet due (after a 401) unless
    another worker refreshed it meanwhile. No transaction is open across the HTTP call.
    """
    seen = store.access_token_enc
    deadline = time.monotonic() + REFRESH_LEASE.total_seconds() + 5
    while True:
        took = _take_lease(store.pk)
        fresh = ShopifyStore.objects.get(pk=store.pk)
        if fresh.access_token_enc != seen or not (force or needs_refresh(fresh)):
            if took:
                _release_lease(store.pk)
            return _adopt(store, fresh)
        if took:
            break
        # Another worker's refresh is in flight: wait for its pair instead of spending
        # the same refresh token twice; its lease expiring lets us take over.
        if time.monotonic() > deadline:
            raise ShopifyError(
                "Another token refresh did not finish", operation="token_refresh", code="BUSY"
            )
        time.sleep(WAIT_POLL_SECONDS)
    try:
        answer = _request_new_pair(fresh, http)
    except ShopifyAuthError as auth_error:
        _release_lease(store.pk)
        status.mark_reconnect_required(
            store, f"Shopify refused to refresh the access token ({auth_error.code})"
        )
        status.record_failure(store, "token_refresh", auth_error)
        raise
    except BaseException:
        _release_lease(store.pk)
        raise
    spent = fresh.refresh_token_enc
    apply_token_response(fresh, answer)
    stored = ShopifyStore.objects.filter(pk=store.pk, refresh_token_enc=spent).update(
        **{name: getattr(fresh, name) for name in TOKEN_FIELDS},
        token_refresh_until=None,
        updated_at=clock.now(),
    )
    if not stored:
        # The pair changed under us (a Reconnect stored a new grant): theirs wins.
        _release_lease(store.pk)
        return _adopt(store, ShopifyStore.objects.get(pk=store.pk))
    _adopt(store, fresh)
    return answer["access_token"]


def _request_new_pair(fresh, http: httpx.Client | None) -> dict:
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
    return client.request_token(fresh.domain, body, http=http, operation="token_refresh")


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
