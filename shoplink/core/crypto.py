"""Encryption at rest for secrets any app stores (ADR 0002): MultiFernet over FIELD_ENCRYPTION_KEYS.

The same mechanism as the Shopify tokens: the first key in ``FIELD_ENCRYPTION_KEYS``
encrypts, every key decrypts, so a new key goes in front and old ciphertexts keep
working until they are rotated. Kept in ``core`` so domain apps (the push endpoints'
signing secrets) use it without importing the Shopify integration. Settings are read
per call.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DecryptionFailed", "decrypt", "encrypt", "rotate"]


class DecryptionFailed(Exception):
    """A stored ciphertext cannot be read with any configured key (never shows the value)."""


def _fernet() -> MultiFernet:
    keys = [k for k in (settings.FIELD_ENCRYPTION_KEYS or []) if k]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must list at least one Fernet key.")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(plain: str) -> str:
    """Return the ciphertext of ``plain`` under the newest key ('' stays '')."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(cipher: str) -> str:
    """Return the plain text of ``cipher`` ('' stays ''); raise DecryptionFailed if unreadable."""
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode("ascii")).decode()
    except (InvalidToken, ValueError) as e:
        raise DecryptionFailed("stored secret cannot be decrypted with the configured keys") from e


def rotate(cipher: str) -> str:
    """Return ``cipher`` re-encrypted under the newest key ('' stays '')."""
    if not cipher:
        return ""
    return _fernet().rotate(cipher.encode("ascii")).decode("ascii")
