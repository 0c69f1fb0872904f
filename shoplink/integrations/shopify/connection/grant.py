"""What a store's grant must hold, and the one way a missing scope is reported (D7, D10).

Every path that learns of a missing scope (a connect or Reconnect, ``app/scopes_update``,
a Data-to-Shopify toggle turned on, a write refused by Shopify, a health check) calls
:func:`flag_missing_scopes` or :func:`may_write`, so the card shows one sentence for
the cause (``status.missing_scope_reason``) whichever path found it.
"""

from __future__ import annotations

from django.conf import settings

from shoplink.integrations.shopify.api import scopes
from shoplink.integrations.shopify.connection import status
from shoplink.integrations.shopify.models import ShopifyStore

PUSH_TOGGLES = ("push_profile", "push_email_consent", "push_sms_consent", "push_engagement")


def writes_enabled(store: ShopifyStore | None) -> bool:
    """Whether any "Data to Shopify" toggle of ``store`` is on."""
    return store is not None and any(getattr(store, name) for name in PUSH_TOGGLES)


def required_scopes(store: ShopifyStore | None = None) -> list[str]:
    """The scopes Shoplink needs for ``store`` now, sorted (D7).

    Always the three read scopes; ``write_customers`` while any Data-to-Shopify toggle
    is on; plus ``settings.SHOPIFY_EXTRA_SCOPES`` (e.g. ``read_all_orders``).
    """
    return scopes.required_scopes(
        writes=writes_enabled(store), extra=settings.SHOPIFY_EXTRA_SCOPES or []
    )


def missing_scopes(store: ShopifyStore) -> list[str]:
    """Needed scopes the store's grant lacks."""
    return scopes.missing_scopes(required_scopes(store), store.granted_scopes or [])


def missing_if_turned_on(store: ShopifyStore, field: str) -> list[str]:
    """Scopes Shopify would have to grant if the Data-to-Shopify toggle ``field`` went on
    (what to warn about before saving it); [] for any other setting or a full grant."""
    if field not in PUSH_TOGGLES or getattr(store, field):
        return []
    needed = scopes.required_scopes(writes=True, extra=settings.SHOPIFY_EXTRA_SCOPES or [])
    return scopes.missing_scopes(needed, store.granted_scopes or [])


def flag_missing_scopes(store: ShopifyStore) -> list[str]:
    """Set Reconnect required if a needed scope is missing; return the missing scopes."""
    missing = missing_scopes(store)
    if missing:
        status.mark_reconnect_required(store, status.missing_scope_reason(missing))
    return missing


def may_write(store: ShopifyStore) -> bool:
    """Say whether ``store`` may be written to now; flag a missing write scope (D7).

    A store without ``write_customers`` is set to Reconnect required with the reason,
    which is what the merchant sees on the card (reference 2.16 "Permissions").
    """
    if not status.can_sync(store):
        return False  # Disconnected, Reconnect required, paused (D11) or deleting
    if scopes.WRITE_SCOPE in (store.granted_scopes or []):
        return True
    status.mark_reconnect_required(store, status.missing_scope_reason([scopes.WRITE_SCOPE]))
    return False
