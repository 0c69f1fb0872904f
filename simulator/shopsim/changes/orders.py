"""Changes to an existing order: fulfilments and their events, refunds, cancelling, paying.

Each runs under the shop lock on a private copy of the order (`Table.editable`), bumps
`updatedAt`, then fires `orders/updated` followed by the change's own topics.
"""

from __future__ import annotations

from shopsim import payloads as rest
from shopsim.changes.emit import fire
from shopsim.records import add_fulfillment, add_refund, settle, transaction
from shopsim.store import Shop, now_iso


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
