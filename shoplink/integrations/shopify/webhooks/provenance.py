"""What a signed delivery must also satisfy before it is recorded (issue 12, defect 2).

Shopify's HMAC covers the body only (PLATFORM.md §2.1): ``X-Shopify-Topic``,
``X-Shopify-Shop-Domain`` and ``X-Shopify-Triggered-At`` are not signed, so a captured
body could be re-sent under another topic, another shop or much later. This module owns
the three checks that bind the unsigned headers to the signed body as far as the body
allows (``docs/operations.md``, "What the webhook signature protects"):

* the shop named in the body (``shop_domain``, ``myshopify_domain``, or ``domain`` when it
  is a ``*.myshopify.com`` name) must be the header's shop;
* a compliance topic needs exactly its own payload shape (PLATFORM.md §2.5), so no
  other topic's body can pass for a ``shop/redact`` or ``customers/redact``;
* ``X-Shopify-Triggered-At`` must be present and inside Shopify's retry window (8 tries
  over 4 hours, PLATFORM.md §2.2) plus a little clock skew.

Pure functions of the payload, the headers and the time: no database, no settings.
"""

from __future__ import annotations

import datetime as dt

# Shopify retries for 4 hours (PLATFORM.md §2.2); the margin covers clock skew and a
# delivery that was in flight at the last retry.
RETRY_WINDOW = dt.timedelta(hours=4)
CLOCK_SKEW = dt.timedelta(minutes=15)

_MYSHOPIFY = ".myshopify.com"

# Top-level keys of each compliance payload (PLATFORM.md §2.5, samples/compliance_…json),
# with the type each must have. The sets are exact: a customers/redact body has every key
# a shop/redact needs, so "required keys present" alone would let one pass as the other.
_CUSTOMER = {"id": int, "email": (str, type(None)), "phone": (str, type(None))}
COMPLIANCE_SHAPES: dict[str, dict[str, object]] = {
    "customers/data_request": {
        "shop_id": int,
        "shop_domain": str,
        "customer": _CUSTOMER,
        "orders_requested": list,
        "data_request": {"id": int},
    },
    "customers/redact": {
        "shop_id": int,
        "shop_domain": str,
        "customer": _CUSTOMER,
        "orders_to_redact": list,
    },
    "shop/redact": {"shop_id": int, "shop_domain": str},
}

MSG_SHOP_MISMATCH = "Shop in the body does not match X-Shopify-Shop-Domain"
MSG_BAD_SHAPE = "Body is not a {topic} request"
MSG_NO_TRIGGERED_AT = "Missing or unreadable X-Shopify-Triggered-At"
MSG_TOO_OLD = "Triggered outside Shopify's retry window"


def body_shops(payload: dict) -> set[str]:
    """The myshopify domains the body names (lower-case); empty when it names none."""
    shops = set()
    for key in ("shop_domain", "myshopify_domain", "domain"):
        value = payload.get(key)
        if not isinstance(value, str):
            continue
        value = value.strip().lower()
        # ``domain`` on a Shop resource is the primary domain, often the merchant's own
        # (``shop.example.com``); only a myshopify name identifies the shop.
        if key == "domain" and not value.endswith(_MYSHOPIFY):
            continue
        shops.add(value)
    return shops


def _matches(value: object, shape: object) -> bool:
    if isinstance(shape, dict):
        return (
            isinstance(value, dict)
            and set(value) == set(shape)
            and all(_matches(value[key], sub) for key, sub in shape.items())
        )
    if shape is int:
        # JSON booleans are ints to Python; an id is never a boolean.
        return isinstance(value, int) and not isinstance(value, bool)
    if shape is list:
        return isinstance(value, list) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in value
        )
    return isinstance(value, shape)  # type: ignore[arg-type]


def refusal(
    topic: str, header_shop: str, payload: dict, triggered_at: dt.datetime | None, now: dt.datetime
) -> str:
    """Why a correctly signed delivery is still refused; "" when it is accepted."""
    if triggered_at is None:
        return MSG_NO_TRIGGERED_AT
    if not (now - RETRY_WINDOW - CLOCK_SKEW <= triggered_at <= now + CLOCK_SKEW):
        return MSG_TOO_OLD
    shape = COMPLIANCE_SHAPES.get(topic)
    if shape is not None and not _matches(payload, shape):
        return MSG_BAD_SHAPE.format(topic=topic)
    shops = body_shops(payload)
    if shops and shops != {header_shop.strip().lower()}:
        return MSG_SHOP_MISMATCH
    return ""
