"""Scalar helpers every entity mapping shares: GIDs, times, money, text, addresses, nested nodes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>[^/?#]+)")
ADDRESS_FIELDS = ("address1", "address2", "city", "province", "country", "zip")


def gid_to_id(gid: Any) -> str | None:
    """Return the numeric id of a GID (``gid://shopify/Order/1`` → ``"1"``); ids pass through."""
    if gid is None or gid == "":
        return None
    if isinstance(gid, int):
        return str(gid)
    match = _GID.match(str(gid))
    return match.group("id") if match else str(gid)


def gid_type(gid: str) -> str | None:
    """Return the type of a GID (``gid://shopify/LineItem/1`` → ``"LineItem"``)."""
    match = _GID.match(gid or "")
    return match.group("type") if match else None


def parse_datetime(value: Any) -> datetime | None:
    """Parse Shopify's ISO 8601 timestamps into aware datetimes (naive ones are UTC)."""
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def as_money(bag: Any) -> Decimal | None:
    """Amount of a GraphQL ``MoneyBag`` (shop currency) or ``MoneyV2``."""
    if not bag:
        return None
    money = bag.get("shopMoney", bag)
    return as_decimal(money.get("amount"))


def money_currency(bag: Any) -> str | None:
    if not bag:
        return None
    return bag.get("shopMoney", bag).get("currencyCode")


def as_text(payload: dict, key: str) -> str | None:
    """Absent key → None (unknown); present null → "" (known empty); else the string."""
    if key not in payload:
        return None
    value = payload[key]
    return "" if value is None else str(value)


def as_lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def as_upper(value: Any) -> str | None:
    return str(value).upper() if value else None


def as_iso(value: Any) -> str | None:
    parsed = parse_datetime(value)
    return parsed.isoformat() if parsed else None


def as_amount(value: Any) -> str | None:
    amount = as_decimal(value)
    return str(amount) if amount is not None else None


def split_tags(value: Any) -> list[str]:
    """REST tags are one comma-separated string; GraphQL tags are a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in str(value).split(",") if t.strip()]


def as_address(payload: dict, key: str) -> dict[str, str | None] | None:
    """Address fields from ``payload[key]``; None when the key is absent."""
    if key not in payload:
        return None
    address = payload[key] or {}
    return {name: as_text(address, name) if address else "" for name in ADDRESS_FIELDS}


def shipping_address(address: Any) -> dict | None:
    if not address:
        return None
    return {name: address.get(name) for name in ADDRESS_FIELDS}


def nested_nodes(node: dict, key: str) -> list[dict]:
    """Nodes of a nested connection, selected as ``edges { node }`` or ``nodes``."""
    connection = node.get(key) or {}
    if "nodes" in connection:
        return list(connection["nodes"] or [])
    return [edge["node"] for edge in connection.get("edges") or []]


def child_nodes(node: dict, children: dict | None, type_name: str, key: str) -> list[dict]:
    if children is not None and type_name in children:
        return list(children[type_name])
    return nested_nodes(node, key)
