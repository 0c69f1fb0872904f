"""Store-domain handling: normalise what a merchant types, and check Shopify's ``shop`` param.

This module owns two different checks that must not be confused:

* :func:`validate_store_domain` is for *human input* in the connect drawer. It is
  forgiving about form (scheme, path, case, ``admin.shopify.com/store/<handle>``)
  and strict about content, with the exact messages and rule order of DECISIONS D5.
* :func:`is_valid_shop_param` is for the ``shop`` parameter Shopify sends back on the
  OAuth callback. It is *not* forgiving: an anchored full match only, because an
  unanchored check lets ``evil.com/x.myshopify.com`` through and leaks the token
  (PLATFORM.md §1.3 ``WEAK_SHOP_VALIDATION``, §9 trap 4).
"""

from __future__ import annotations

import re

MYSHOPIFY_SUFFIX = ".myshopify.com"

MSG_REQUIRED = "Store domain is required"
MSG_INVALID_FORMAT = "Invalid store domain format"
MSG_TOO_SHORT = "Store name must be at least 4 characters"
MSG_TOO_LONG = "Store name cannot exceed 60 characters"
MSG_HYPHEN_EDGE = "Store name cannot start or end with a hyphen"

MIN_NAME_LENGTH = 4
MAX_NAME_LENGTH = 60

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_NAME_CHARS = re.compile(r"[a-z0-9-]+")
# PLATFORM.md §1.3: Shopify's own fixed example, lower-case only (Shopify sends the
# canonical lower-case domain; an upper-case variant is somebody else's construction).
_SHOP_PARAM = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
_ADMIN_PREFIX = "admin.shopify.com/store/"


class StoreDomainError(ValueError):
    """A store domain typed by a user failed one of the D5 rules; ``message`` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_store_domain(raw: str | None) -> str:
    """Return the D5-normalised form of ``raw`` (not yet validated).

    Trim, lower-case, drop ``http(s)://``, then ``admin.shopify.com/store/<handle>``
    becomes ``<handle>``; otherwise anything from the first ``/``, ``?`` or ``#`` on
    is dropped. The result may still carry the ``.myshopify.com`` suffix.
    """
    value = (raw or "").strip().lower()
    value = _SCHEME.sub("", value)
    if value.startswith(_ADMIN_PREFIX):
        # The admin URL merchants copy from the browser bar (PLATFORM.md §1.3, JS library
        # does the same conversion); the handle is the next path segment.
        value = value[len(_ADMIN_PREFIX) :]
    for separator in "/?#":
        value = value.split(separator, 1)[0]
    return value


def validate_store_domain(raw: str | None) -> str:
    """Return ``<name>.myshopify.com`` for ``raw`` or raise :class:`StoreDomainError`.

    Rules run in D5 order and the first failing one wins; lengths count the name
    without the suffix.
    """
    value = normalize_store_domain(raw)
    if not value:
        raise StoreDomainError(MSG_REQUIRED)
    name = value.removesuffix(MYSHOPIFY_SUFFIX)
    if not _NAME_CHARS.fullmatch(name):
        # Custom domains, spaces, underscores, other dots, ports: all "format".
        raise StoreDomainError(MSG_INVALID_FORMAT)
    if len(name) < MIN_NAME_LENGTH:
        raise StoreDomainError(MSG_TOO_SHORT)
    if len(name) > MAX_NAME_LENGTH:
        raise StoreDomainError(MSG_TOO_LONG)
    if name.startswith("-") or name.endswith("-"):
        raise StoreDomainError(MSG_HYPHEN_EDGE)
    return name + MYSHOPIFY_SUFFIX


def is_valid_shop_param(shop: object) -> bool:
    """Say whether an OAuth-callback ``shop`` value is a bare ``*.myshopify.com`` host.

    ``re.fullmatch`` rather than ``^…$``: ``$`` also matches before a trailing
    newline, which would let ``x.myshopify.com\\n`` through. No decoding happens here,
    so percent-encoded tricks (``%2F``, ``%2E``) simply fail the character class.
    """
    if not isinstance(shop, str):
        return False
    return _SHOP_PARAM.fullmatch(shop) is not None
