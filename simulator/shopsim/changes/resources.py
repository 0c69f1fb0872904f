"""Creating, updating and deleting records of any kind, and the */create|update|delete topics.

Also what follows from them: a customer's tag and consent topics on update, and an order's
`orders/paid` and `customers/purchasing_summary` when it is placed.
"""

from __future__ import annotations

from shopsim import payloads as rest
from shopsim.changes.emit import fire
from shopsim.changes.fields import apply_fields
from shopsim.records import money, settle, transaction
from shopsim.store import Shop, now_iso


def _record_topics(hub, shop, kind, index, verb, event_id=None):
    rec = shop.tables[kind].get(index)
    payload = rest.SERIALIZERS[kind](rec)
    topic = {"orders": {"update": "orders/updated"}}.get(kind, {}).get(verb, f"{kind}/{verb}")
    return fire(hub, shop, topic, payload, event_id)


def create(hub, shop: Shop, kind: str, fields: dict | None = None) -> int:
    """Create a record (generated, then overridden by `fields`) and fire */create."""
    fields = fields or {}
    t = shop.tables[kind]
    with shop.lock:
        index = t.next_index
        rec = shop.gen.make(kind, index)
        stamp = now_iso()
        rec["createdAt"] = rec["updatedAt"] = stamp
        if kind == "orders":
            # A freshly placed order: paid, nothing fulfilled, refunded or cancelled yet.
            cur = rec["currencyCode"]
            rec.update(
                processedAt=stamp,
                fulfillments=[],
                refunds=[],
                cancelledAt=None,
                cancelReason=None,
                displayFinancialStatus="PAID",
                displayFulfillmentStatus="UNFULFILLED",
                test=False,
                currentTotalPriceSet=rec["totalPriceSet"],
                totalRefundedSet=money(0, cur),
            )
        if kind == "checkouts":
            rec["completedAt"] = None
        apply_fields(shop, kind, rec, fields)
        if kind == "orders":
            # Payments follow the (possibly overridden) status and total of the new order.
            rec["transactions"] = []
            if rec.get("displayFinancialStatus") in ("PAID", "AUTHORIZED"):
                paid = float(rec["totalPriceSet"]["shopMoney"]["amount"])
                txn_kind = "SALE" if rec["displayFinancialStatus"] == "PAID" else "AUTHORIZATION"
                rec["transactions"].append(transaction(rec, txn_kind, paid, stamp, shop.new_id()))
            settle(rec)
        t.create(rec)
    ev = _record_topics(hub, shop, kind, index, "create")
    if kind == "orders":
        rec = t.get(index)
        if rec.get("displayFinancialStatus") == "PAID":
            fire(hub, shop, "orders/paid", rest.order(rec), ev)
        if rec.get("customer") is not None:
            _purchasing_summary(hub, shop, rec, ev)
    return index


def _purchasing_summary(hub, shop, order, ev):
    # The customer's totals are derived from its orders (Shop.purchases), so they already
    # count the order just placed.
    index = shop.customer_index(order["customer"])
    cust = shop.tables["customers"].get(index) if index is not None else None
    if cust is None:
        return
    last = cust.get("lastOrder")
    fire(
        hub,
        shop,
        "customers/purchasing_summary",
        {
            "customerId": cust["id"],
            "numberOfOrders": int(cust["numberOfOrders"]),
            "amountSpent": cust["amountSpent"],
            "lastOrderId": last.get("id") if last is not None else None,
            "occurredAt": now_iso(),
        },
        ev,
    )


def update(hub, shop: Shop, kind: str, index: int, fields: dict) -> bool:
    """Change fields of a record, bump updatedAt and fire */update (+ tag/consent topics)."""
    t = shop.tables[kind]
    with shop.lock:
        rec = t.editable(index)
        if rec is None:
            return False
        before_tags = list(rec.get("tags") or [])
        before_email = dict(rec.get("emailMarketingConsent") or {})
        before_sms = dict(rec.get("smsMarketingConsent") or {})
        apply_fields(shop, kind, rec, fields)
        rec["updatedAt"] = now_iso()
        t.put(index, rec)
    ev = _record_topics(hub, shop, kind, index, "update")
    if kind == "customers":
        rec = t.get(index)
        added = [x for x in rec.get("tags") or [] if x not in before_tags]
        removed = [x for x in before_tags if x not in (rec.get("tags") or [])]
        if added:
            fire(
                hub,
                shop,
                "customer.tags_added",
                {"customerId": rec["id"], "tags": added, "occurredAt": rec["updatedAt"]},
                ev,
            )
        if removed:
            fire(
                hub,
                shop,
                "customer.tags_removed",
                {"customerId": rec["id"], "tags": removed, "occurredAt": rec["updatedAt"]},
                ev,
            )
        if (rec.get("emailMarketingConsent") or {}) != before_email and rec.get("email"):
            fire(hub, shop, "customers_email_marketing_consent/update", rest.email_consent(rec), ev)
        if (rec.get("smsMarketingConsent") or {}) != before_sms and rec.get("phone"):
            fire(hub, shop, "customers_marketing_consent/update", rest.sms_consent(rec), ev)
    return True


def delete(hub, shop: Shop, kind: str, index: int) -> bool:
    t = shop.tables[kind]
    with shop.lock:
        rec = t.get(index)
        if rec is None:
            return False
        t.delete(index)
    num = t.num(index)
    payload = {
        "customers": {"id": num, "tax_exemptions": [], "admin_graphql_api_id": rec["id"]},
        "checkouts": {"token": rec.get("_token")},
    }.get(kind, {"id": num})
    if kind != "carts":  # carts have no delete topic (PLATFORM §2.7)
        fire(hub, shop, f"{kind}/delete", payload)
    return True


def set_consent(
    hub,
    shop: Shop,
    index: int,
    channel: str,
    state: str,
    opt_in_level: str | None = None,
    collected_from: str | None = None,
) -> bool:
    state = state.upper()
    key = "emailMarketingConsent" if channel == "email" else "smsMarketingConsent"
    value = {
        "marketingState": state,
        "marketingOptInLevel": (
            opt_in_level or ("SINGLE_OPT_IN" if state == "SUBSCRIBED" else None)
        ),
        "consentUpdatedAt": now_iso(),
    }
    if channel != "email":
        value["consentCollectedFrom"] = (collected_from or "OTHER").upper()
    if value["marketingOptInLevel"]:
        value["marketingOptInLevel"] = value["marketingOptInLevel"].upper()
    return update(hub, shop, "customers", index, {key: value})
