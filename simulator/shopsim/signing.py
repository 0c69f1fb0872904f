"""HMAC signing: OAuth query strings (hex) and webhook bodies (base64), PLATFORM §1.4 / §2.1."""

from __future__ import annotations

import base64
import hashlib
import hmac


def _encode_key(key: str) -> str:
    return key.replace("%", "%25").replace("&", "%26").replace("=", "%3D")


def _encode_value(value) -> str:
    # Delimiters are escaped like Shopify's Python library (% & only in values); spaces are
    # %20, never '+' (PLATFORM §1.4, shopify-app-js fix-hmac-space-encoding). The simulator's
    # own redirect values are [A-Za-z0-9._-] only (host is unpadded base64), so both the
    # JS and the Python library canonicalisations agree on them.
    if isinstance(value, list):
        # Legacy library canonicalisation of `ids[]=2&ids[]=1` → `ids=["2", "1"]`.
        return "[" + ", ".join(f'"{_encode_value(v)}"' for v in value) + "]"
    return str(value).replace("%", "%25").replace("&", "%26").replace(" ", "%20")


def query_message(params: dict) -> str:
    """Build the signed message: all params but hmac/signature, sorted, key=value joined by &."""
    items = []
    for k, v in params.items():
        if k in ("hmac", "signature"):
            continue
        key = k[:-2] if k.endswith("[]") else k
        items.append((_encode_key(key), _encode_value(v)))
    return "&".join(f"{k}={v}" for k, v in sorted(items))


def sign_query(params: dict[str, str], secret: str) -> str:
    """Return the lower-case hex HMAC-SHA256 Shopify puts in `hmac` on redirects."""
    msg = query_message(params)
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


def sign_message(message: str, secret: str) -> str:
    """Hex HMAC-SHA256 of an already-built message (used to check published vectors)."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_body(body: bytes, secret: str) -> str:
    """Return the base64 HMAC-SHA256 of the raw webhook body (X-Shopify-Hmac-Sha256)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
