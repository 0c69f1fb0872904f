"""OAuth install and reconnect (D2, D3, D6–D9, D31): authorize URL, callback, code exchange.

Owns the two halves of the authorization-code grant for a non-embedded app:

* :func:`begin_install` checks "Already connected to another project" (D3, before any
  redirect), mints a signed, single-use ``state`` bound to the browser session
  (10-minute lifetime) and returns the ``<shop>/admin/oauth/authorize`` URL with the
  D7 scopes and our callback as ``redirect_uri``.
* :func:`complete_install` handles the callback: a denial, the query HMAC (current and,
  during a rotation window, previous secret), the anchored ``shop`` check, the state,
  the code exchange for an **expiring** offline token, then creates the store (with its
  "<shop name> customers" list, D8) or reconnects the existing card (D31). The partial
  unique constraint ``uniq_active_store_domain`` makes the one-project rule race-safe.

Every failure raises :class:`OAuthFailed` whose ``message`` names the cause (D9).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing as django_signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from shoplink.core import clock
from shoplink.integrations.shopify import intents
from shoplink.integrations.shopify.api import client, domain, signing
from shoplink.integrations.shopify.api.errors import ShopifyError, ShopifyUnavailable
from shoplink.integrations.shopify.connection import grant, health, status, tokens
from shoplink.integrations.shopify.connection.customer_list import create_customer_list
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from shoplink.projects.models import Membership, Role

STATE_MAX_AGE = 600  # D6: 10 minutes
STATE_SALT = "shoplink.shopify.oauth-state"
SESSION_KEY = "shopify_oauth_states"

MSG_ALREADY_CONNECTED = "Already connected to another project"
MSG_DENIED = (
    "Shopify connection failed: the installation was cancelled or permission was denied in "
    "Shopify. Connect again and choose Install app."
)
MSG_BAD_HMAC = (
    "Shopify connection failed: the answer from Shopify could not be verified (bad HMAC "
    "signature). Connect again."
)
MSG_BAD_SHOP = (
    "Shopify connection failed: the store in Shopify's answer is not a valid "
    "myshopify.com domain. Connect again."
)
MSG_BAD_STATE = (
    "Shopify connection failed: the connection request expired or was already used "
    "(invalid state). Connect again from this browser."
)
MSG_NETWORK = (
    "Shopify connection failed: Shoplink could not reach Shopify to finish connecting "
    "(network failure). Check the network and connect again."
)
MSG_REFUSED = "Shopify connection failed: Shopify refused the authorization code. Connect again."
MSG_CONNECTED = "Shopify store connected"
MSG_RECONNECTED = "Shopify store reconnected"
MSG_SCOPES_SHORT = (
    "Shopify granted fewer permissions than Shoplink needs (missing: {}). The store is "
    "Reconnect required: Reconnect and approve every permission on Shopify's install page."
)
MSG_LIVE_NOT_RESTORED = (
    "Shopify store reconnected, but live updates could not be restored: {} Run Check "
    "health from the card menu to try again."
)
MSG_BEING_DELETED = "This store is still being deleted. Connect it again once its card is gone."


class OAuthFailed(Exception):
    """The connect flow stopped; ``message`` is the merchant-facing cause (D9)."""

    def __init__(self, message: str, *, store: ShopifyStore | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.store = store


class ConnectBlocked(OAuthFailed):
    """The shop is actively linked to another project (D2/D3)."""


def app_secrets() -> list[str]:
    """Client secrets to accept, for OAuth and webhooks alike: the current one, plus the
    previous one until its deadline. No valid deadline, no previous secret (start-up
    refuses that configuration, ``config.env.env_deadline``; this is the same rule for
    settings changed at run time)."""
    result = [settings.SHOPIFY_API_SECRET]
    previous = settings.SHOPIFY_API_SECRET_PREVIOUS
    until = settings.SHOPIFY_API_SECRET_PREVIOUS_UNTIL
    if previous and until:
        try:
            limit = dt.datetime.fromisoformat(until)
        except ValueError:
            limit = None
        if limit is not None and limit.tzinfo is None:
            limit = limit.replace(tzinfo=dt.UTC)
        if limit is not None and clock.now() <= limit:
            result.append(previous)
    return [s for s in result if s]


def redirect_uri() -> str:
    return settings.APP_URL + reverse("shopify:callback")


def conflict_elsewhere(project, shop: str) -> bool:
    """Whether ``shop`` is actively linked (any status but Disconnected) to another project."""
    return (
        ShopifyStore.objects.filter(domain=shop)
        .exclude(project=project)
        .exclude(status=StoreStatus.DISCONNECTED)
        .exists()
    )


def begin_install(session, project, shop: str) -> str:
    """Start connecting (or reconnecting) ``shop`` for ``project``; return the authorize URL.

    ``shop`` is already validated (``domain.validate_store_domain``). Raises
    ConnectBlocked when another project holds the shop.
    """
    if conflict_elsewhere(project, shop):
        raise ConnectBlocked(MSG_ALREADY_CONNECTED)
    existing = ShopifyStore.objects.filter(project=project, domain=shop).first()
    if existing is not None and existing.status == StoreStatus.DELETING:
        # D30: a later connect starts fresh, so it must wait for the cleanup to finish.
        raise ConnectBlocked(MSG_BEING_DELETED)
    scopes = grant.required_scopes(existing)
    nonce = secrets.token_urlsafe(24)
    # Issued-at from our clock (not the signer's), so expiry follows clock.now().
    issued = int(clock.now().timestamp())
    state = django_signing.dumps(
        {"n": nonce, "shop": shop, "p": project.pk, "s": scopes, "t": issued}, salt=STATE_SALT
    )
    pending = [n for n in session.get(SESSION_KEY, []) if n][-9:]  # a few tabs at most
    session[SESSION_KEY] = [*pending, nonce]
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri(),
            "state": state,
            # Empty grant option = offline access mode (PLATFORM §1.2).
            "grant_options[]": "",
        }
    )
    return client.admin_url(shop, "oauth/authorize") + "?" + query


def _take_state(session, raw: str) -> dict:
    """Verify and consume ``state``: signed by us, fresh, issued to this session, unused."""
    try:
        state = django_signing.loads(raw or "", salt=STATE_SALT)
    except django_signing.BadSignature as e:
        raise OAuthFailed(MSG_BAD_STATE) from e
    age = clock.now().timestamp() - float(state.get("t", 0))
    if not 0 <= age <= STATE_MAX_AGE:
        raise OAuthFailed(MSG_BAD_STATE)
    pending = list(session.get(SESSION_KEY, []))
    if state.get("n") not in pending:
        raise OAuthFailed(MSG_BAD_STATE)
    pending.remove(state["n"])
    session[SESSION_KEY] = pending
    return state


def complete_install(session, params, user) -> ShopifyStore:
    """Finish the OAuth callback with query ``params``; return the connected store.

    ``user`` must be an admin of the project the state was issued for.
    """
    if params.get("error"):
        if params.get("state"):
            # Consume the state; the denial is the cause worth reporting, not the state.
            with contextlib.suppress(OAuthFailed):
                _take_state(session, params.get("state"))
        raise OAuthFailed(MSG_DENIED)
    if not signing.verify_query_hmac(params, app_secrets(), clock.now()):
        raise OAuthFailed(MSG_BAD_HMAC)
    shop = params.get("shop")
    if not domain.is_valid_shop_param(shop):
        raise OAuthFailed(MSG_BAD_SHOP)
    state = _take_state(session, params.get("state"))
    if state.get("shop") != shop:
        raise OAuthFailed(MSG_BAD_STATE)
    project = _project_for(user, state["p"])
    if conflict_elsewhere(project, shop):
        raise ConnectBlocked(MSG_ALREADY_CONNECTED)
    answer = _exchange_code(shop, params.get("code") or "")
    store = _save_connection(project, shop, answer, state.get("s") or [])
    _after_connect(store)
    return store


def _project_for(user, project_id: int):
    membership = (
        Membership.objects.select_related("project")
        .filter(user=user, project_id=project_id)
        .first()
    )
    if membership is None or not membership.has_role(Role.ADMIN):
        raise OAuthFailed(MSG_BAD_STATE)
    return membership.project


def _exchange_code(shop: str, code: str) -> dict:
    body = {
        "client_id": settings.SHOPIFY_API_KEY,
        "client_secret": settings.SHOPIFY_API_SECRET,
        "code": code,
        "expiring": "1",  # D6: expiring offline token with a refresh token
    }
    try:
        return client.request_token(shop, body, operation="oauth_code_exchange")
    except ShopifyUnavailable as e:
        raise OAuthFailed(MSG_NETWORK) from e
    except ShopifyError as e:
        raise OAuthFailed(MSG_REFUSED) from e


def _save_connection(project, shop: str, answer: dict, requested: list[str]) -> ShopifyStore:
    """Create or reconnect the card; the DB constraint settles a concurrent connect."""
    try:
        with transaction.atomic():
            store = (
                ShopifyStore.objects.select_for_update()
                .filter(project=project, domain=shop)
                .first()
            )
            reconnect = store is not None
            if reconnect and store.status == StoreStatus.DELETING:
                raise ConnectBlocked(MSG_BEING_DELETED)
            if store is None:
                store = ShopifyStore(project=project, domain=shop, name=shop.split(".")[0])
            tokens.apply_token_response(store, answer)
            store.requested_scopes = sorted(requested)
            if store.status != StoreStatus.DELETING:
                store.status = StoreStatus.CONNECTED
            store.disconnected_at = None
            store.reconnect_reason = ""
            store.error_reason = ""
            store.unavailable_reason = ""
            store.save()
    except IntegrityError as e:
        # uniq_active_store_domain: another project linked the shop between our check
        # and this insert (D3); anything else is a real error and is re-raised.
        if conflict_elsewhere(project, shop):
            raise ConnectBlocked(MSG_ALREADY_CONNECTED) from e
        raise
    store._reconnected = reconnect
    return store


def was_reconnect(store: ShopifyStore) -> bool:
    """Whether :func:`complete_install` reconnected an existing card (not a new store)."""
    return bool(getattr(store, "_reconnected", False))


def connect_warning(store: ShopifyStore) -> str:
    """Why a connect that came back from Shopify is not a full success ("" when it is).

    Set by :func:`complete_install`: a grant without every needed scope (the card is
    Reconnect required), or a Reconnect whose webhook subscriptions could not be
    restored. The UI shows it instead of the green "Shopify store connected".
    """
    return getattr(store, "_connect_warning", "")


def _after_connect(store: ShopifyStore) -> None:
    """Store info, the customer list (new stores), Activity; after a Reconnect, a fresh
    health check (which restores the webhook subscriptions) and the D31 catch-up."""
    reconnected = getattr(store, "_reconnected", False)
    store._connect_warning = ""
    if reconnected:
        # The failure that led here is history (Activity keeps it); what Store details
        # shows next is the health check below.
        store.last_failure = None
        ShopifyStore.objects.filter(pk=store.pk).update(last_failure=None)
    health.refresh_store_info(store)
    if not reconnected and store.customer_list_id is None:
        create_customer_list(store)
    status.mark_connected(store)
    # D10: a needed scope missing from the grant is Reconnect required, even right
    # after a connect (the merchant's store trimmed the scopes on install).
    missing = grant.flag_missing_scopes(store)
    status.log_activity(
        store,
        "connect",
        "Store reconnected" if reconnected else "Store connected",
        scopes=list(store.granted_scopes),
    )
    if missing:
        store._connect_warning = MSG_SCOPES_SHORT.format(", ".join(missing))
    if reconnected:
        _check_after_reconnect(store)
        if not missing:
            intents.catch_up_store(store.pk)


def _check_after_reconnect(store: ShopifyStore) -> None:
    """A fresh health check replaces the readiness and failure that led to the Reconnect.

    It also re-creates the webhook subscriptions Disconnect (or an uninstall) removed,
    before the merchant reads the result, so live updates resume at once. D31 says a
    Reconnect ends Connected, so a store whose only failed item is "Initial sync
    complete" is not turned Error by it.
    """
    check = health.run_health_check(store, trigger="reconnect")
    hooks = check.results.get("_webhooks") or {}
    if hooks.get("error") and not store._connect_warning:
        store._connect_warning = MSG_LIVE_NOT_RESTORED.format(hooks["error"])
