"""Every change to a shop, and the webhooks Shopify would fire for it.

The control API, the admin page and GraphQL mutations all call these functions, so a
change made any way produces the same records and the same deliveries.
"""

from __future__ import annotations

import asyncio
import re

from shopsim import payloads as rest
from shopsim.oauth import revoke_all
from shopsim.records import Ref, add_fulfillment, add_refund, money, settle, transaction
from shopsim.store import Shop, now_iso

_CAMEL = re.compile(r"_([a-z])")
DIRECT_KEYS = {"customer_id", "line_items", "tags"}


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


def _apply(shop: Shop, kind: str, rec: dict, fields: dict) -> None:
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


def fire(hub, shop: Shop, topic: str, payload: dict, event_id: str | None = None) -> str | None:
    if hub is None:
        return None
    return hub.emit(shop, topic, payload, event_id)


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
        _apply(shop, kind, rec, fields)
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
    cust = order["customer"]
    fire(
        hub,
        shop,
        "customers/purchasing_summary",
        {
            "customerId": cust.get("id"),
            "numberOfOrders": int(cust.get("numberOfOrders") or 0) + 1,
            "amountSpent": cust.get("amountSpent"),
            "lastOrderId": order["id"],
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
        _apply(shop, kind, rec, fields)
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


def _order_change(hub, shop, index, mutate, topics):
    t = shop.tables["orders"]
    with shop.lock:
        rec = t.editable(index)
        if rec is None:
            return None
        extra = mutate(rec)
        rec["updatedAt"] = now_iso()
        t.put(index, rec)
    rec = t.get(index)
    ev = fire(hub, shop, "orders/updated", rest.order(rec))
    for topic, payload in topics(rec, extra):
        fire(hub, shop, topic, payload, ev)
    return extra


def fulfill(
    hub, shop: Shop, index: int, line_items="all", tracking_number=None, shipment_status=None
):
    def mutate(rec):
        done = {f["lineItem"]["id"] for f in rec["fulfillments"] for f in f["fulfillmentLineItems"]}
        if line_items == "all" or not line_items:
            chosen = [li for li in rec["lineItems"] if li["id"] not in done]
        else:
            wanted = {str(x) for x in line_items}
            chosen = [
                li
                for li in rec["lineItems"]
                if li["id"] in wanted or li["id"].rsplit("/", 1)[-1] in wanted
            ]
        chosen = chosen or rec["lineItems"][:1]
        num = shop.new_id()
        return add_fulfillment(
            rec, chosen, tracking_number, (shipment_status or "CONFIRMED").upper(), now_iso(), num
        )

    def topics(rec, ful):
        yield "fulfillments/create", rest.fulfillment(rec, ful)
        yield (
            (
                "orders/fulfilled"
                if rec["displayFulfillmentStatus"] == "FULFILLED"
                else "orders/partially_fulfilled"
            ),
            rest.order(rec),
        )

    return _order_change(hub, shop, index, mutate, topics)


def fulfillment_event(hub, shop: Shop, index: int, fulfillment_num: int, status: str):
    def mutate(rec):
        for f in rec["fulfillments"]:
            if int(f["id"].rsplit("/", 1)[-1]) == int(fulfillment_num):
                at = now_iso()
                f["displayStatus"] = status.upper()
                f["updatedAt"] = at
                ev = {
                    "__typename": "FulfillmentEvent",
                    "id": f"gid://shopify/FulfillmentEvent/{shop.new_id()}",
                    "status": status.upper(),
                    "happenedAt": at,
                }
                f["events"].append(ev)
                return f, ev
        raise KeyError(fulfillment_num)

    def topics(rec, extra):
        f, ev = extra
        yield "fulfillments/update", rest.fulfillment(rec, f)
        yield (
            "fulfillment_events/create",
            {
                "id": rest.num(ev["id"]),
                "fulfillment_id": rest.num(f["id"]),
                "order_id": rest.num(rec["id"]),
                "status": status.lower(),
                "happened_at": ev["happenedAt"],
                "created_at": ev["happenedAt"],
                "shop_id": shop.numeric_id,
                "admin_graphql_api_id": ev["id"],
            },
        )

    return _order_change(hub, shop, index, mutate, topics)


def refund(hub, shop: Shop, index: int, amount=None):
    def mutate(rec):
        total = float(rec["currentTotalPriceSet"]["shopMoney"]["amount"])
        amt = float(amount) if amount is not None else total
        return add_refund(rec, amt, now_iso(), shop.new_id(), shop.new_id())

    return _order_change(
        hub, shop, index, mutate, lambda rec, r: [("refunds/create", rest.refund(rec, r))]
    )


def cancel(hub, shop: Shop, index: int, reason: str = "CUSTOMER"):
    def mutate(rec):
        rec["cancelledAt"] = now_iso()
        rec["cancelReason"] = reason.upper()
        return rec

    return _order_change(
        hub, shop, index, mutate, lambda rec, _: [("orders/cancelled", rest.order(rec))]
    )


def pay(hub, shop: Shop, index: int):
    def mutate(rec):
        # Paying captures an authorization, or records a sale of what is still outstanding,
        # so the transactions keep adding up to the order's totals.
        txns = rec.setdefault("transactions", [])
        auth = next((t for t in txns if t["kind"] == "AUTHORIZATION"), None)
        settle(rec)
        due = float(rec["totalOutstandingSet"]["shopMoney"]["amount"]) + float(
            rec["totalCapturableSet"]["shopMoney"]["amount"]
        )
        if due > 0.005:
            kind = "CAPTURE" if auth else "SALE"
            txns.append(transaction(rec, kind, due, now_iso(), shop.new_id(), parent=auth))
        settle(rec)
        rec["displayFinancialStatus"] = "PAID"
        return rec

    return _order_change(
        hub, shop, index, mutate, lambda rec, _: [("orders/paid", rest.order(rec))]
    )


def uninstall(hub, shop: Shop) -> None:
    """Revoke tokens, fire app/uninstalled, drop subscriptions, later shop/redact (§1.8, §2.5)."""
    with shop.lock:
        revoke_all(shop)
        was = shop.installed
        shop.installed = False
    fire(hub, shop, "app/uninstalled", rest.shop(shop))
    shop.subscriptions.clear()
    if was and hub is not None and hub.loop is not None:
        delay = shop.settings.shop_redact_delay * shop.settings.time_scale

        async def later():
            await asyncio.sleep(delay)
            if not shop.installed:
                fire(
                    hub,
                    shop,
                    "shop/redact",
                    {"shop_id": shop.numeric_id, "shop_domain": shop.domain},
                )

        hub.loop.call_soon_threadsafe(lambda: hub._spawn(later()))


def set_scopes(hub, shop: Shop, scopes: list[str]) -> None:
    previous = list(shop.granted_scopes)
    with shop.lock:
        shop.granted_scopes = list(scopes)
        shop.removed_scopes = {s for s in previous if s not in scopes}
        for info in shop.tokens.values():
            info["scopes"] = list(scopes)
        for info in shop.refresh_tokens.values():
            info["scopes"] = list(scopes)
    fire(
        hub,
        shop,
        "app/scopes_update",
        {
            "id": shop.numeric_id,
            "shop_id": f"gid://shopify/Shop/{shop.numeric_id}",
            "previous": previous,
            "current": list(scopes),
            "updated_at": now_iso(),
        },
    )


def compliance(hub, shop: Shop, topic: str, customer_index: int | None = None) -> str | None:
    base = {"shop_id": shop.numeric_id, "shop_domain": shop.domain}
    if topic != "shop/redact":
        t = shop.tables["customers"]
        idx = customer_index if customer_index is not None else 0
        c = t.get(idx) or {}
        base["customer"] = {"id": t.num(idx), "email": c.get("email"), "phone": c.get("phone")}
        orders = [
            shop.tables["orders"].num(i) for i in range(min(3, shop.tables["orders"].next_index))
        ]
        if topic == "customers/data_request":
            base["orders_requested"] = orders
            base["data_request"] = {"id": 9999}
        else:
            base["orders_to_redact"] = orders
    return fire(hub, shop, topic, base)
