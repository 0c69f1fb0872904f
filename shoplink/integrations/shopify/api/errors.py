"""The named errors of the Shopify boundary (HOUSE_STYLE "Errors"; re-exported by client.py).

Each carries ``operation`` (the GraphQL operation name or OAuth step), ``status`` (HTTP),
``code`` (Shopify's error code), ``request_id`` (``X-Request-Id``) and a
``user_message`` a merchant can act on. None of them ever carries a token or secret.
"""

from __future__ import annotations

from typing import Any

UNAVAILABLE_MESSAGE = "Store unavailable in Shopify (payment required / locked)"


class ShopifyError(Exception):
    """Base error: Shopify answered something we cannot use."""

    user_message = "Shopify returned an error. Run Check health, then try again."

    def __init__(
        self,
        message: str = "",
        *,
        operation: str = "",
        status: int | None = None,
        code: str = "",
        request_id: str = "",
        user_message: str | None = None,
    ) -> None:
        super().__init__(message or self.__class__.__name__)
        self.operation = operation
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = 0.0
        if user_message:
            self.user_message = user_message

    def technical(self) -> dict[str, Any]:
        """The technical detail shown under the merchant sentence (D13)."""
        return {
            "http_status": self.status,
            "shopify_code": self.code,
            "request_id": self.request_id,
            "message": str(self)[:300],
        }


class ShopifyAuthError(ShopifyError):
    """401 or ``invalid_grant``: the grant is gone; the store needs Reconnect (D10)."""

    user_message = (
        "Shopify no longer accepts Shoplink's access to this store (the app was uninstalled "
        "or the token revoked). Reconnect the store from its card."
    )


class ShopifyThrottled(ShopifyError):
    """THROTTLED in a 200 or a 429 that outlived our retries."""

    user_message = (
        "Shopify is rate-limiting requests for this store. Wait a few minutes, then run a "
        "fresh health check."
    )


class ShopifyUnavailable(ShopifyError):
    """5xx, timeouts, network failures or malformed answers after our retries."""

    user_message = (
        "Shopify's API is not responding. Wait a few minutes, then run a fresh health check."
    )


class ShopifyStoreUnavailable(ShopifyError):
    """402 (frozen, unpaid) or 423 (locked): not retried; syncs pause (D11)."""

    user_message = (
        UNAVAILABLE_MESSAGE + ". Resolve the store's status in Shopify, then run Check health."
    )


class ShopifyAccessDenied(ShopifyError):
    """403 or ACCESS_DENIED: a scope or protected-customer-data approval is missing."""

    user_message = (
        "Shopify denied access to this data (a scope or protected customer data approval "
        "is missing). Reconnect to re-approve the full scope set."
    )


class ShopifyUserError(ShopifyError):
    """A mutation answered with ``userErrors`` (one record rejected, D28)."""

    def __init__(self, user_errors: list[dict], **kwargs: Any) -> None:
        self.user_errors = list(user_errors or [])
        first = self.user_errors[0] if self.user_errors else {}
        message = str(first.get("message") or "Shopify rejected the change")[:300]
        kwargs.setdefault("code", str(first.get("code") or "USER_ERROR"))
        kwargs.setdefault("user_message", f"Shopify rejected the change: {message}")
        super().__init__(message, **kwargs)
