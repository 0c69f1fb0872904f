"""A generated store read through the control API: every id is unique, every total adds up.

The walk covers every object in every record (variants, images, media, line items,
addresses, fulfillments, refunds, transactions...). An id may appear more than once only
where one object is shown in two places (a product's featured image, a line item's
variant): every appearance must then agree on the fields they share. No two objects of
any type share a number, so a client keying REST ids by number alone is safe too.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from conftest import install

PROFILE = {
    "customers": 300,
    "orders": 1200,
    "products": 60,
    "collections": 10,
    "checkouts": 120,
    "carts": 40,
}
KINDS = ("customers", "orders", "products", "collections", "checkouts", "carts")


def records(sim, shop, kind):
    out, offset = [], 0
    while True:
        page = sim.get(f"/_control/shops/{shop}/{kind}", params={"limit": 1000, "offset": offset})
        assert page.status_code == 200, page.text
        body = page.json()
        out += body["records"]
        offset += len(body["records"])
        if not body["records"] or offset >= body["total"]:
            return out


def walk(value, seen, path):
    if isinstance(value, dict):
        ident = value.get("id")
        if isinstance(ident, str) and ident.startswith("gid://shopify/"):
            scalars = {k: v for k, v in value.items() if not isinstance(v, dict | list)}
            seen[ident].append((path, scalars))
        for k, v in value.items():
            walk(v, seen, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            walk(v, seen, f"{path}[{n}]")


def money(bag) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


@pytest.fixture(scope="module")
def store(sim):
    shop = "integrity-walk.myshopify.com"
    r = sim.post("/_control/shops", json={"domain": shop, **PROFILE})
    assert r.status_code == 201, r.text
    install(sim, shop)
    # Changes made at run time must keep the rules too.
    sim.post(f"/_control/shops/{shop}/orders", json={})
    sim.post(
        f"/_control/shops/{shop}/orders/{records(sim, shop, 'orders')[5]['id']}/refunds",
        json={"amount": "3.00"},
    )
    return {kind: records(sim, shop, kind) for kind in KINDS}


def test_every_object_in_the_store_has_its_own_id(store):
    seen = defaultdict(list)
    for kind, recs in store.items():
        assert len(recs) >= PROFILE[kind]
        for rec in recs:
            walk(rec, seen, f"{kind}/{rec['id']}")
    assert len(seen) > 10_000
    by_number = defaultdict(set)
    clashes = []
    for ident, places in seen.items():
        by_number[ident.rsplit("/", 1)[1]].add(ident.split("/")[3])
        first_path, first = places[0]
        for path, other in places[1:]:
            shared = first.keys() & other.keys()
            if any(first[k] != other[k] for k in shared):
                clashes.append((ident, first_path, path))
    assert clashes == []
    reused = {n: types for n, types in by_number.items() if len(types) > 1}
    assert reused == {}
    # Objects that live in exactly one record (not shown elsewhere) never repeat.
    for typename in ("ProductVariant", "ProductImage", "MediaImage", "LineItem", "Refund"):
        ids = [i for i in seen if f"/{typename}/" in i]
        assert ids, typename


def test_order_totals_and_transactions_add_up(store):
    orders = store["orders"]
    statuses = defaultdict(int)
    for o in orders:
        fin = o["displayFinancialStatus"]
        statuses[fin] += 1
        lines = sum(
            Decimal(li["originalUnitPriceSet"]["shopMoney"]["amount"]) * li["quantity"]
            for li in o["lineItems"]
        )
        assert money(o["subtotalPriceSet"]) == lines, o["id"]
        for li in o["lineItems"]:
            unit = Decimal(li["originalUnitPriceSet"]["shopMoney"]["amount"])
            assert money(li["originalTotalSet"]) == unit * li["quantity"]
        total = money(o["totalPriceSet"])
        assert total == (
            money(o["subtotalPriceSet"])
            - money(o["totalDiscountsSet"])
            + money(o["totalTaxSet"])
            + money(o["totalShippingPriceSet"])
        ), o["id"]
        ok = [t for t in o["transactions"] if t["status"] == "SUCCESS"]

        def sum_of(*kinds, ok=ok):
            return sum((money(t["amountSet"]) for t in ok if t["kind"] in kinds), Decimal(0))

        refunded = sum((money(r["totalRefundedSet"]) for r in o["refunds"]), Decimal(0))
        assert money(o["totalRefundedSet"]) == refunded == sum_of("REFUND"), o["id"]
        assert money(o["currentTotalPriceSet"]) == total - refunded, o["id"]
        assert money(o["totalReceivedSet"]) == sum_of("SALE", "CAPTURE"), o["id"]
        assert money(o["netPaymentSet"]) == sum_of("SALE", "CAPTURE") - refunded, o["id"]
        for r in o["refunds"]:
            assert sum(money(t["amountSet"]) for t in r["transactions"]) == money(
                r["totalRefundedSet"]
            )
            assert {t["id"] for t in r["transactions"]} <= {t["id"] for t in o["transactions"]}
        if fin == "PAID":
            assert sum_of("SALE", "CAPTURE") == total and refunded == 0, o["id"]
        elif fin == "AUTHORIZED":
            assert sum_of("AUTHORIZATION") == total == money(o["totalCapturableSet"]), o["id"]
            assert sum_of("SALE", "CAPTURE") == 0, o["id"]
        elif fin == "REFUNDED":
            assert sum_of("SALE", "CAPTURE") == total == refunded, o["id"]
        elif fin == "PARTIALLY_REFUNDED":
            assert sum_of("SALE", "CAPTURE") == total > refunded > 0, o["id"]
        elif fin == "PENDING":
            assert ok == [] and money(o["totalOutstandingSet"]) == total, o["id"]
    assert {"PAID", "AUTHORIZED", "REFUNDED", "PARTIALLY_REFUNDED", "PENDING"} <= set(statuses)


def test_checkout_totals_add_up(store):
    for c in store["checkouts"]:
        lines = sum(
            Decimal(li["originalUnitPriceSet"]["shopMoney"]["amount"]) * li["quantity"]
            for li in c["lineItems"]
        )
        assert money(c["subtotalPriceSet"]) == lines == money(c["totalLineItemsPriceSet"])
        assert money(c["totalPriceSet"]) == (
            money(c["subtotalPriceSet"]) + money(c["totalTaxSet"]) - money(c["totalDiscountSet"])
        ), c["id"]
