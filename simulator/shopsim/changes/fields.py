"""Records as the control API shows them, and control-API fields written into records.

Control-API bodies may name fields in snake_case or camelCase; `apply_fields` writes them
into a record (with `customer_id` as a reference and the private token/contact keys of
orders and checkouts), `jsonable`/`control_view` turn a record back into JSON.
"""

from __future__ import annotations

import re

from shopsim.records import Ref
from shopsim.store import Shop

_CAMEL = re.compile(r"_([a-z])")


def camel(key: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def jsonable(value, depth: int = 0):
    """Records as control-API JSON: Refs become {"id": gid}; private `_x` keys become `x`."""
    if isinstance(value, Ref):
        return {"id": value.get("id")}
    if isinstance(value, dict):
        return {
            (k[1:] if k.startswith("_") else k): jsonable(v, depth + 1)
            for k, v in value.items()
            if k != "__typename" or depth
        }
    if isinstance(value, list):
        return [jsonable(v, depth + 1) for v in value]
    return value


def control_view(shop: Shop, kind: str, index: int) -> dict | None:
    rec = shop.tables[kind].get(index)
    if rec is None:
        return None
    out = jsonable(rec)
    out["admin_graphql_api_id"] = rec["id"]
    out["id"] = shop.tables[kind].num(index)
    return out


def apply_fields(shop: Shop, kind: str, rec: dict, fields: dict) -> None:
    for key, value in fields.items():
        if key in ("id", "admin_graphql_api_id", "legacyResourceId"):
            continue
        if key == "customer_id" and kind in ("orders", "checkouts"):
            if value is None:
                rec["customer"] = None
            else:
                t = shop.tables["customers"]
                rec["customer"] = Ref(
                    "customers", t.index_of_num(int(value)), int(value), shop._load
                )
            continue
        if key == "tags" and isinstance(value, str):
            value = [t.strip() for t in value.split(",") if t.strip()]
        if key in ("token", "checkout_token", "cart_token", "email", "phone") and kind in (
            "orders",
            "checkouts",
        ):
            priv = {
                "token": "_token",
                "checkout_token": "_checkoutToken",
                "cart_token": "_cartToken",
                "email": "_email" if kind == "checkouts" else "email",
                "phone": "_phone" if kind == "checkouts" else "phone",
            }[key]
            rec[priv] = value
            continue
        rec[camel(key)] = value
