"""REST resource shapes beyond the webhook payloads (`shopsim.payloads`), from the same records.

REST list and webhook bodies share their shapes (PLATFORM §10); what REST adds is here:
customers keep `tags`, the two marketing-consent objects and the purchase summary
(`orders_count`, `total_spent`, `last_order_id`, `last_order_name`; webhook payloads dropped
them in 2025-01, the REST resource still carries them), abandoned checkouts keep their numeric
`id` (REST pages by it), collects and transactions have no webhook payload of their own,
smart collections add `rules` and `disjunctive`.
"""

from __future__ import annotations

from shopsim import payloads

COLLECT_STEP = 10**9  # collect id = collection id + 5·10^15 + position · 10^9
COLLECT_BASE = 5 * 10**15


def customer(rec: dict, currency: str) -> dict:
    out = payloads.customer(rec, currency)
    out["tags"] = ", ".join(rec.get("tags") or [])
    out["email_marketing_consent"] = payloads.email_consent(rec)["email_marketing_consent"]
    sms = payloads.sms_consent(rec)["sms_marketing_consent"]
    out["sms_marketing_consent"] = sms if rec.get("phone") else None
    # The REST resource still carries the purchase summary (webhooks moved it to
    # customers/purchasing_summary in 2025-01): test and archived orders aren't counted.
    out["orders_count"] = int(rec.get("numberOfOrders") or 0)
    out["total_spent"] = (rec.get("amountSpent") or {}).get("amount") or "0.00"
    last = rec.get("lastOrder")
    out["last_order_id"] = payloads.num(last.get("id")) if last is not None else None
    out["last_order_name"] = last.get("name") if last is not None else None
    return out


def checkout(rec: dict, num: int) -> dict:
    return {"id": num, **payloads.checkout(rec)}


def collection(rec: dict) -> dict:
    out = payloads.collection(rec)
    rules = rec.get("ruleSet")
    if rules:
        out["disjunctive"] = bool(rules.get("appliedDisjunctively"))
        out["rules"] = [
            {
                "column": (r.get("column") or "").lower(),
                "relation": (r.get("relation") or "").lower(),
                "condition": r.get("condition"),
            }
            for r in rules.get("rules") or []
        ]
    return out


def collect_id(collection_num: int, position: int) -> int:
    return collection_num + COLLECT_BASE + position * COLLECT_STEP


def collect(rec: dict, collection_num: int, product_num: int, position: int) -> dict:
    return {
        "id": collect_id(collection_num, position),
        "collection_id": collection_num,
        "product_id": product_num,
        "created_at": rec.get("createdAt"),
        "updated_at": rec.get("updatedAt"),
        "position": position,
        "sort_value": f"{position:010d}",
    }


def _money(bag: dict | None) -> tuple[str, str | None]:
    shop_money = (bag or {}).get("shopMoney") or {}
    return shop_money.get("amount", "0.00"), shop_money.get("currencyCode")


def transaction(order: dict, t: dict) -> dict:
    """A GraphQL-shaped OrderTransaction of the record as the REST Transaction."""
    amount, currency = _money(t.get("amountSet"))
    parent = t.get("parentTransaction") or {}
    return {
        "id": payloads.num(t.get("id")),
        "admin_graphql_api_id": t.get("id"),
        "order_id": payloads.num(order["id"]),
        "kind": (t.get("kind") or "sale").lower(),
        "gateway": t.get("gateway") or "manual",
        "status": (t.get("status") or "success").lower(),
        "message": None,
        "created_at": t.get("createdAt"),
        "processed_at": t.get("processedAt") or t.get("createdAt"),
        "test": bool(t.get("test", False)),
        "authorization": t.get("authorizationCode"),
        "error_code": t.get("errorCode"),
        "currency": currency or order.get("currencyCode"),
        "amount": amount,
        "parent_id": payloads.num(parent.get("id")) if parent.get("id") else None,
        "source_name": "web",
        "location_id": None,
        "device_id": None,
        "user_id": None,
        "receipt": {},
        "payment_id": t.get("paymentId"),
    }


def webhook(sub: dict) -> dict:
    return {
        "id": int(sub["legacyResourceId"]),
        "address": sub["uri"],
        "topic": sub.get("_topic"),
        "created_at": sub.get("createdAt"),
        "updated_at": sub.get("updatedAt"),
        "format": (sub.get("format") or "JSON").lower(),
        "fields": list(sub.get("includeFields") or []),
        "metafield_namespaces": list(sub.get("metafieldNamespaces") or []),
        "api_version": sub.get("_apiVersion"),
        "private_metafield_namespaces": [],
        "filter": sub.get("filter"),
    }
