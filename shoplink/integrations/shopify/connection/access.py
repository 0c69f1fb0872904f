"""A store's access to Shopify: the client with the store's token, and what failures mean.

``api/client.py`` speaks Shopify's protocol and never touches the database. This module
is the seam between it and a store row:

* :class:`StoreCredentials` hands the client the store's token (``tokens`` refreshes it
  before expiry, one refresh in flight per store) and refreshes once after a 401;
* :class:`StoreClient` turns the client's authentication and availability errors into
  the store's status: a 401 that a refresh did not cure is Reconnect required, a
  402/423 pauses the store (D10, D11), each with the failure recorded (D13).

Every module that calls Shopify for a store gets its client from :func:`client_for`.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from shoplink.integrations.shopify.api.client import ShopifyClient
from shoplink.integrations.shopify.api.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyStoreUnavailable,
)
from shoplink.integrations.shopify.connection import status, tokens

REASON_TOKEN_REFUSED = "Shopify no longer accepts the access token (401)"
# Failures of the token itself (no token, a refused refresh): ``tokens`` has already
# set the store's status with its own cause, so the 401 sentence must not replace it.
_TOKEN_OPERATIONS = frozenset({"access_token", "token_refresh"})


class StoreCredentials:
    """The store's access token for the client, refreshed through ``tokens``."""

    def __init__(self, store) -> None:
        self.store = store

    def access_token(self, http: httpx.Client) -> str:
        return tokens.get_access_token(self.store, http=http)

    def refresh(self, http: httpx.Client) -> bool:
        if not getattr(self.store, "refresh_token_enc", ""):
            return False
        try:
            tokens.refresh_access_token(self.store, http=http, force=True)
        except ShopifyError:
            return False
        return True


class StoreClient:
    """The Shopify client of one store, with the store's status following its failures."""

    def __init__(self, store, *, transport: httpx.BaseTransport | None = None) -> None:
        self.store = store
        self.api = ShopifyClient(store.domain, StoreCredentials(store), transport=transport)

    @property
    def http(self) -> httpx.Client:
        return self.api.http

    def graphql(self, document: str, variables: dict | None = None) -> dict:
        """Run ``document`` for the store and return its ``data`` (``ShopifyClient.graphql``)."""
        try:
            return self.api.graphql(document, variables)
        except ShopifyError as e:
            self._note(e)
            raise

    def mutate(self, document: str, variables: dict | None, root_field: str) -> dict:
        """Run a mutation and return ``data[root_field]``; ``userErrors`` raise."""
        try:
            return self.api.mutate(document, variables, root_field)
        except ShopifyError as e:
            self._note(e)
            raise

    def stream_lines(self, url: str) -> Iterator[bytes]:
        """Stream a bulk result's lines (a pre-signed file link: no token is sent)."""
        return self.api.stream_lines(url)

    def _note(self, error: ShopifyError) -> None:
        if not getattr(self.store, "pk", None):
            return
        if isinstance(error, ShopifyAuthError) and error.operation not in _TOKEN_OPERATIONS:
            status.mark_reconnect_required(self.store, REASON_TOKEN_REFUSED)
            status.record_failure(self.store, error.operation, error)
        elif isinstance(error, ShopifyStoreUnavailable):
            status.mark_unavailable(self.store)
            status.record_failure(self.store, error.operation, error)


def client_for(store, *, transport: httpx.BaseTransport | None = None) -> StoreClient:
    """Return the client for ``store`` (``transport`` only for tests faking Shopify)."""
    return StoreClient(store, transport=transport)
