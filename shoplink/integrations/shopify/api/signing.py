"""HMAC signing and verification for everything Shopify signs with the app's client secret.

Owns two algorithms that are easy to mix up (PLATFORM.md §9 trap 2):

* the OAuth callback / app-launch **query string**: lower-case **hex** HMAC-SHA256
  over the sorted, re-encoded parameters (§1.4);
* the **webhook body**: **base64** HMAC-SHA256 over the raw request bytes (§2.1).

Every ``verify_*`` takes a sequence of secrets (current first, then the previous one
while a client-secret rotation is in progress: §1.4, §2.1 "up to an hour", §9 trap 5)
and compares in constant time. Nothing here reads settings; callers pass secrets in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

# Parameters that carry the signature itself and are never part of the message (§1.4).
_UNSIGNED_KEYS = frozenset({"hmac", "signature"})

DEFAULT_MAX_SKEW_SECONDS = 300  # D6: ±5 minutes (the JS library uses 90 s, Python 24 h).

QueryParams = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]


def _escape(text: str, *, is_key: bool, encode_space: bool = True) -> str:
    """Re-encode one key or value the way Shopify signed it (§1.4).

    ``%`` and ``&`` always, ``=`` only in keys (legacy Python library rule, matches the
    delimiter vector), and space as ``%20`` — never ``+`` (JS fix-hmac-space-encoding).
    """
    text = text.replace("%", "%25").replace("&", "%26")
    if encode_space:
        text = text.replace(" ", "%20")
    if is_key:
        text = text.replace("=", "%3D")
    return text


def _grouped(params: QueryParams) -> dict[str, list[str]]:
    """Collect ``params`` into key → list of values, whatever container it came in.

    Accepts a plain mapping (values may be lists), a Django ``QueryDict``-like object
    (anything with ``lists()``), or an iterable of ``(key, value)`` pairs such as
    ``urllib.parse.parse_qsl`` output, so repeated keys stay visible.
    """
    grouped: dict[str, list[str]] = {}
    if hasattr(params, "lists"):
        items: Iterable[tuple[str, object]] = (
            (k, v) for k, values in params.lists() for v in values
        )
    elif isinstance(params, Mapping):
        items = params.items()
    else:
        items = params
    for key, value in items:
        values = [value] if isinstance(value, str) else list(value)
        grouped.setdefault(key, []).extend(values)
    return grouped


def _message(grouped: Mapping[str, list[str]]) -> str:
    parts = []
    for key in sorted(k for k in grouped if k not in _UNSIGNED_KEYS):
        values = grouped[key]
        if len(values) == 1 and not key.endswith("[]"):
            value = _escape(values[0], is_key=False)
        else:
            # Legacy Python-library canonicalisation of ``ids[]=2&ids[]=1`` into
            # ``ids=["2", "1"]`` (vector "array-params"). Only reachable through
            # query_hmac(); verify_query_hmac() rejects repeated keys first.
            # The separator space inside that list literal is part of the legacy format.
            key = key.removesuffix("[]")
            value = _escape(json.dumps(values), is_key=False, encode_space=False)
        parts.append(f"{_escape(key, is_key=True)}={value}")
    return "&".join(parts)


def query_hmac(params: QueryParams, secret: str) -> str:
    """Return the lower-case hex HMAC Shopify puts in the ``hmac`` query parameter."""
    message = _message(_grouped(params))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _timestamp_is_fresh(raw: str, now: datetime | float, max_skew: float) -> bool:
    if not raw.isascii() or not raw.isdigit():
        return False
    now_epoch = now.timestamp() if isinstance(now, datetime) else float(now)
    return abs(now_epoch - int(raw)) <= max_skew


def verify_query_hmac(
    params: QueryParams,
    secrets: Sequence[str],
    now: datetime | float,
    max_skew: float = DEFAULT_MAX_SKEW_SECONDS,
) -> bool:
    """Say whether a callback/launch query string is Shopify's, signed recently.

    Rejects: a missing or repeated ``hmac``; any repeated key (launch URLs carry no
    arrays, so a repeat is tampering, §1.4); a missing, non-numeric, stale or future
    ``timestamp`` beyond ``max_skew`` seconds of ``now`` (aware datetime or epoch).
    """
    grouped = _grouped(params)
    if any(len(values) != 1 or key.endswith("[]") for key, values in grouped.items()):
        return False
    received = grouped.get("hmac", [""])[0]
    if not received or "timestamp" not in grouped:
        return False
    if not _timestamp_is_fresh(grouped["timestamp"][0], now, max_skew):
        return False
    received_bytes = received.encode()
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = query_hmac(grouped, secret).encode()
        # No early exit: the time taken must not say which secret matched.
        matched |= hmac.compare_digest(expected, received_bytes)
    return matched


def webhook_hmac(body: bytes, secret: str) -> str:
    """Return the base64 HMAC Shopify sends in ``X-Shopify-Hmac-Sha256`` for ``body``.

    ``body`` must be the raw bytes as received; re-serialised JSON never matches
    (PLATFORM.md §9 trap 1).
    """
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook_hmac(body: bytes, header_value: str | None, secrets: Sequence[str]) -> bool:
    """Say whether ``header_value`` is a valid signature of ``body`` under any secret."""
    if not header_value:
        return False
    received = header_value.strip().encode()
    matched = False
    for secret in secrets:
        if not secret:
            continue
        matched |= hmac.compare_digest(webhook_hmac(body, secret).encode(), received)
    return matched
