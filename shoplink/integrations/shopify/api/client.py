"""The only module that talks HTTP to Shopify (DESIGN "Shopify client").

Owns: the base URL per shop (``settings.SHOPIFY_BASE_URL``, so the simulator can stand
in), the API version (``settings.SHOPIFY_API_VERSION``), the ``X-Shopify-Access-Token``
header, one refresh-and-retry after a 401, pacing by ``extensions.cost.throttleStatus``,
bounded retries with exponential backoff and jitter, and the translation of every
failure into one of a few named errors (HOUSE_STYLE "Errors"): callers never see httpx
or raw status codes.

It never touches the database: the token comes from a :class:`Credentials` object and
what a failure means for the store (Reconnect required, paused) is decided by
``connection/access.py``, which builds clients for stores. Tokens never appear in error
messages; ``technical`` details carry status, Shopify code and request id only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings

from shoplink.integrations.shopify.api.errors import (
    ShopifyAccessDenied,
    ShopifyAuthError,
    ShopifyError,
    ShopifyStoreUnavailable,
    ShopifyThrottled,
    ShopifyUnavailable,
    ShopifyUserError,
)
from shoplink.integrations.shopify.api.pacing import Retry as _Retry
from shoplink.integrations.shopify.api.pacing import pacer as _pacer

__all__ = [
    "Credentials",
    "ShopifyAccessDenied",
    "ShopifyAuthError",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyStoreUnavailable",
    "ShopifyThrottled",
    "ShopifyUnavailable",
    "ShopifyUserError",
    "admin_url",
    "request_token",
]

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_shared_http: httpx.Client | None = None
_shared_lock = threading.Lock()


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def admin_url(domain: str, path: str) -> str:
    """Return ``<base>/admin/<path>`` for ``domain`` (base from SHOPIFY_BASE_URL)."""
    base = settings.SHOPIFY_BASE_URL.format(shop=domain).rstrip("/")
    return f"{base}/admin/{path.lstrip('/')}"


# Where Shopify puts bulk results: pre-signed Google Cloud Storage links in its
# ``shopify-tiers-assets-<env>-<region>`` buckets ([obs] bulk result URLs in public
# Shopify integrations, e.g. ``https://storage.googleapis.com/shopify-tiers-assets-prod-
# us-east1/bulk-operation-outputs/…``). The file is fetched without credentials, so a
# link elsewhere (a compromised answer, a typo in a proxy) must not be followed.
_RESULT_HOST = "storage.googleapis.com"
_RESULT_BUCKET_PREFIX = "shopify-tiers-assets-"


def result_url_allowed(url: str, domain: str) -> bool:
    """Whether a bulk result ``url`` is on Shopify's storage or the configured base URL."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == _RESULT_HOST:
        bucket = parts.path.lstrip("/").partition("/")[0]
        return bucket.startswith(_RESULT_BUCKET_PREFIX) and len(bucket) > len(
            _RESULT_BUCKET_PREFIX
        )
    base = urlsplit(settings.SHOPIFY_BASE_URL.format(shop=domain))
    return (parts.scheme, parts.hostname, parts.port) == (base.scheme, base.hostname, base.port)


def _http(transport: httpx.BaseTransport | None) -> httpx.Client:
    """A keep-alive httpx client: a shared pool, or a private one around ``transport``."""
    timeout = httpx.Timeout(float(_setting("SHOPIFY_HTTP_TIMEOUT", 30)), connect=10.0)
    if transport is not None:
        return httpx.Client(transport=transport, timeout=timeout)
    global _shared_http
    with _shared_lock:
        if _shared_http is None:
            _shared_http = httpx.Client(
                timeout=timeout,
                limits=httpx.Limits(max_keepalive_connections=20, keepalive_expiry=30),
            )
        return _shared_http


def _request_id(response: httpx.Response | None) -> str:
    if response is None:
        return ""
    return response.headers.get("x-request-id", "")


def _decode(response: httpx.Response, operation: str) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        raise ShopifyUnavailable(
            "Shopify answered with malformed JSON",
            operation=operation,
            status=response.status_code,
            code="MALFORMED_RESPONSE",
            request_id=_request_id(response),
        ) from e


def _status_error(response: httpx.Response, operation: str) -> ShopifyError:
    """Translate a non-2xx, non-retryable answer into a named error."""
    code = response.status_code
    common = {"operation": operation, "status": code, "request_id": _request_id(response)}
    if code == 401:
        return ShopifyAuthError("Shopify rejected the access token", code="UNAUTHORIZED", **common)
    if code in (402, 423):
        kind = "PAYMENT_REQUIRED" if code == 402 else "LOCKED"
        return ShopifyStoreUnavailable(f"Shopify store unavailable ({code})", code=kind, **common)
    if code == 403:
        return ShopifyAccessDenied("Shopify denied access", code="FORBIDDEN", **common)
    if code == 404:
        return ShopifyError("Shopify store or resource not found", code="NOT_FOUND", **common)
    if code == 429:
        return ShopifyThrottled("Shopify rate limit (429)", code="THROTTLED", **common)
    if code >= 500:
        return ShopifyUnavailable(f"Shopify error {code}", code="SERVER_ERROR", **common)
    return ShopifyError(f"Shopify answered {code}", code=f"HTTP_{code}", **common)


def _graphql_error(errors: Any, response: httpx.Response, operation: str) -> ShopifyError:
    """Translate a GraphQL ``errors`` member (in a 200) into a named error."""
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, dict):
        first = {"message": str(errors)}
    code = str((first.get("extensions") or {}).get("code") or "GRAPHQL_ERROR")
    message = str(first.get("message") or "GraphQL error")[:300]
    common = {
        "operation": operation,
        "status": response.status_code,
        "code": code,
        "request_id": _request_id(response),
    }
    if code == "THROTTLED":
        return ShopifyThrottled(message, **common)
    if code == "ACCESS_DENIED":
        return ShopifyAccessDenied(message, **common)
    return ShopifyError(message, **common)


def check_user_errors(payload: dict | None, operation: str) -> dict:
    """Return a mutation payload, raising ShopifyUserError if it carries ``userErrors``."""
    payload = payload or {}
    user_errors = payload.get("userErrors") or []
    if user_errors:
        raise ShopifyUserError(user_errors, operation=operation)
    return payload


class Credentials(Protocol):
    """Where a client gets its access token (``connection/access.py`` implements it)."""

    def access_token(self, http: httpx.Client) -> str:
        """A usable access token, refreshed first if it is due."""

    def refresh(self, http: httpx.Client) -> bool:
        """Refresh after a 401; False when there is nothing to refresh with."""


class ShopifyClient:
    """Admin GraphQL and file access for one shop (stores get one from ``access.client_for``)."""

    def __init__(
        self,
        domain: str,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.domain = domain
        self.credentials = credentials
        self.transport = transport
        self.http = _http(transport)

    @property
    def graphql_url(self) -> str:
        return admin_url(self.domain, f"api/{settings.SHOPIFY_API_VERSION}/graphql.json")

    def graphql(self, document: str, variables: dict | None = None) -> dict:
        """Run ``document`` and return its ``data``; raise a named ShopifyError otherwise."""
        match = _OPERATION.match(document)
        operation = match.group(1) if match else "graphql"
        body = orjson.dumps({"query": document, "variables": variables or {}})
        retry = _Retry()
        refreshed = False
        while True:
            retry.tried += 1
            # Token problems (invalid_grant, nothing stored) come from the credentials
            # as ShopifyAuthError; they are not a 401 to retry.
            token = self.credentials.access_token(self.http)
            try:
                return self._graphql_once(body, operation, token)
            except ShopifyAuthError:
                # One refresh-and-retry: an access token can expire between our check
                # and Shopify's (PLATFORM §1.10 "after one refresh attempt").
                if refreshed or not self.credentials.refresh(self.http):
                    raise
                refreshed = True
            except ShopifyThrottled as e:
                if not retry.more():
                    raise
                retry.sleep(at_least=e.retry_after)
            except ShopifyUnavailable:
                if not retry.more():
                    raise
                retry.sleep()

    def mutate(self, document: str, variables: dict | None, root_field: str) -> dict:
        """Run a mutation and return ``data[root_field]``; ``userErrors`` raise."""
        data = self.graphql(document, variables)
        match = _OPERATION.match(document)
        return check_user_errors(data.get(root_field), match.group(1) if match else root_field)

    def _graphql_once(self, body: bytes, operation: str, token: str) -> dict:
        _pacer.wait(self.domain)
        headers = {
            "X-Shopify-Access-Token": token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        response = self._send("POST", self.graphql_url, operation, content=body, headers=headers)
        if response.status_code != 200:
            error = _status_error(response, operation)
            if isinstance(error, ShopifyThrottled):
                error.retry_after = _retry_after(response)
            raise error
        payload = _decode(response, operation)
        if not isinstance(payload, dict):
            raise ShopifyUnavailable(
                "Shopify answered with an unexpected body",
                operation=operation,
                status=200,
                code="MALFORMED_RESPONSE",
                request_id=_request_id(response),
            )
        wait = _pacer.note(self.domain, (payload.get("extensions") or {}).get("cost"))
        if payload.get("errors"):
            error = _graphql_error(payload["errors"], response, operation)
            if isinstance(error, ShopifyThrottled):
                error.retry_after = wait
            raise error
        data = payload.get("data")
        if not isinstance(data, dict):
            raise ShopifyUnavailable(
                "Shopify answered without data",
                operation=operation,
                status=200,
                code="MALFORMED_RESPONSE",
                request_id=_request_id(response),
            )
        return data

    def _send(self, method: str, url: str, operation: str, **kwargs) -> httpx.Response:
        with transport_errors(operation):
            response = self.http.request(method, url, **kwargs)
        if response.status_code in _RETRYABLE_STATUS:
            raise _status_error(response, operation)
        return response

    def stream_lines(self, url: str) -> Iterator[bytes]:
        """Yield the non-empty lines of a JSONL file (a bulk result), streamed.

        The URL is a pre-signed file link, so no access token is sent with it.
        Retries happen only before the first byte: a half-read file is the caller's
        checkpoint to resume from, not something to silently re-read.
        """
        if not result_url_allowed(url, self.domain):
            host = urlsplit(url).hostname or "?"
            raise ShopifyError(
                f"Refused to download a bulk result from {host}: only Shopify's storage "
                "(https://storage.googleapis.com/shopify-tiers-assets-…) and "
                "SHOPIFY_BASE_URL are trusted",
                operation="bulk_result",
                code="UNTRUSTED_RESULT_URL",
            )
        retry = _Retry()
        started = False
        while True:
            retry.tried += 1
            try:
                with (
                    transport_errors("bulk_result", target="Shopify's bulk result storage"),
                    self.http.stream("GET", url) as response,
                ):
                    if response.status_code != 200:
                        raise _status_error(response, "bulk_result")
                    for line in _lines(response.iter_bytes()):
                        started = True
                        yield line
                return
            except ShopifyUnavailable:
                # Once a line has gone out, a retry would hand the caller lines it already
                # has: it resumes from its own checkpoint instead.
                if started or not retry.more():
                    raise
            retry.sleep()


@contextmanager
def transport_errors(operation: str, *, target: str = "Shopify") -> Iterator[None]:
    """Turn httpx's timeouts and connection failures into ShopifyUnavailable (retryable)."""
    try:
        yield
    except httpx.TimeoutException as e:
        raise ShopifyUnavailable(
            f"Timed out talking to {target}", operation=operation, code="TIMEOUT"
        ) from e
    except httpx.TransportError as e:
        raise ShopifyUnavailable(
            f"Could not reach {target}", operation=operation, code="NETWORK_ERROR"
        ) from e


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield line.rstrip(b"\r")
    if pending.strip():
        yield pending


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


def request_token(
    domain: str, body: dict, *, http: httpx.Client | None = None, operation: str = "oauth_token"
) -> dict:
    """POST ``/admin/oauth/access_token`` and return its JSON (PLATFORM §1.5, §1.6).

    Used for the code exchange and for refreshes. ``invalid_grant`` raises
    ShopifyAuthError with ``code="invalid_grant"``; other 4xx raise ShopifyError with
    the OAuth ``error`` as code; network trouble and 5xx raise ShopifyUnavailable.
    The body holds secrets: it is never logged or put in an error.
    """
    http = http or _http(None)
    url = admin_url(domain, "oauth/access_token")
    with transport_errors(operation):
        response = http.post(
            url,
            content=orjson.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
    if response.status_code >= 500:
        raise _status_error(response, operation)
    payload = _decode(response, operation)
    if response.status_code == 200 and isinstance(payload, dict) and payload.get("access_token"):
        return payload
    error = (
        str(payload.get("error") or f"HTTP_{response.status_code}")
        if isinstance(payload, dict)
        else f"HTTP_{response.status_code}"
    )
    common = {
        "operation": operation,
        "status": response.status_code,
        "code": error,
        "request_id": _request_id(response),
    }
    if error in ("invalid_grant", "invalid_client") or response.status_code == 401:
        raise ShopifyAuthError(f"Shopify refused the token request ({error})", **common)
    if response.status_code in (402, 423):
        raise ShopifyStoreUnavailable(f"Shopify store unavailable ({error})", **common)
    raise ShopifyError(f"Shopify refused the token request ({error})", **common)
