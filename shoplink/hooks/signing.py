"""Standard Webhooks signatures (ADR 0030): pure functions, no I/O.

A delivery carries ``webhook-id`` (the same on every retry: the receiver's dedupe
key), ``webhook-timestamp`` (Unix seconds at sending: receivers refuse old ones,
which stops replays) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``<id>.<timestamp>.<raw body>`` keyed with the base64-decoded part of the endpoint's
``whsec_…`` secret. Any Standard Webhooks library verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(secret: str, headers: dict[str, str], body: bytes, now: int) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        timestamp = int(headers["webhook-timestamp"])
        message_id = headers["webhook-id"]
        given = headers["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, g) for g in given)
