"""A generated store read through the control API: every id is unique, every total adds up.

Customers' totals add up too: `numberOfOrders` (REST `orders_count`) counts the orders
naming the customer that are neither test nor archived (closed), which is what Shopify's
REST Customer reference says of `orders_count` ("Test and archived orders aren't
counted"); `amountSpent` (REST `total_spent`) is what those orders come to now, after
refunds (the schema: "the total amount that the customer has spent on orders in their
lifetime"; Shopify does not say more, see simulator/README.md).

The walk covers every object in every record (variants, images, media, line items,
addresses, fulfillments, refunds, transactions...). An id may appear more than once only
where one object is shown in two places (a product's featured image, a line item's
variant): every appearance must then agree on the fields they share. No two objects of
any type share a number, so a client keying REST ids by number alone is safe too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest
from test_webhooks import subscribe

from conftest import gql, install

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
    token = install(sim, shop)["access_token"]
    # Changes made at run time must keep the rules too.
    orders = records(sim, shop, "orders")
    buyer = next(o["customer"]["id"] for o in orders if o["customer"])
    sim.post(f"/_control/shops/{shop}/orders", json={})
    sim.post(f"/_control/shops/{shop}/orders", json={"customer_id": buyer.rsplit("/", 1)[1]})
    # On orders that have a customer, so that customer's totals must follow.
    owned = [o for o in orders if o["customer"]]
    sim.post(f"/_control/shops/{shop}/orders/{owned[5]['id']}/refunds", json={"amount": "3.00"})
    sim.post(f"/_control/shops/{shop}/orders/{owned[7]['id']}/cancel", json={})
    sim.delete(f"/_control/shops/{shop}/orders/{owned[9]['id']}")
    out = {kind: records(sim, shop, kind) for kind in KINDS}
    out["rest_customers"] = rest_customers(sim, shop, token)
    return out


def rest_customers(sim, shop, token) -> list[dict]:
    """Every customer through REST, paged by `since_id` (Shopify's REST Admin API)."""
    out, since = [], 0
    while True:
        r = sim.get(
            f"/{shop}/admin/api/2026-10/customers.json",
            params={"limit": 250, "since_id": since},
            headers={"X-Shopify-Access-Token": token},
        )
        assert r.status_code == 200, r.text
        page = r.json()["customers"]
        if not page:
            return out
        out += page
        since = page[-1]["id"]


def expected_totals(orders) -> dict[str, tuple[int, Decimal, set]]:
    """customer gid → (orders counted, amount spent, ids of those orders), from the orders."""
    out: dict = defaultdict(lambda: (0, Decimal(0), set()))
    for o in orders:
        if not o["customer"] or o["test"] or o["closedAt"]:
            continue
        count, spent, ids = out[o["customer"]["id"]]
        out[o["customer"]["id"]] = (
            count + 1,
            spent + money(o["currentTotalPriceSet"]),
            ids | {o["admin_graphql_api_id"]},
        )
    return out


def test_every_object_in_the_store_has_its_own_id(store):
    seen = defaultdict(list)
    for kind in KINDS:
        recs = store[kind]
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


def test_customer_totals_add_up_to_their_orders(store):
    expected = expected_totals(store["orders"])
    rest = {c["admin_graphql_api_id"]: c for c in store["rest_customers"]}
    assert len(rest) == len(store["customers"])
    counts = set()
    for c in store["customers"]:
        gid = c["admin_graphql_api_id"]
        count, spent, ids = expected[gid]
        counts.add(count)
        assert int(c["numberOfOrders"]) == count, gid
        assert Decimal(c["amountSpent"]["amount"]) == spent, gid
        assert c["amountSpent"]["currencyCode"] == "USD"
        if count:
            assert c["lastOrder"]["id"] == max(ids, key=lambda i: int(i.rsplit("/", 1)[1]))
        else:
            assert c["lastOrder"] is None
        assert rest[gid]["orders_count"] == count, gid
        assert Decimal(rest[gid]["total_spent"]) == spent, gid
        last = rest[gid]["last_order_id"]
        assert last == (int(c["lastOrder"]["id"].rsplit("/", 1)[1]) if count else None)
    # Varied: customers who never ordered, and customers with many orders.
    assert 0 in counts and max(counts) >= 5
    # Guest checkouts exist too.
    assert any(o["customer"] is None for o in store["orders"])


def test_customer_totals_move_when_orders_are_placed_refunded_marked_test_or_moved(sim, receiver):
    shop = "integrity-totals.myshopify.com"
    r = sim.post("/_control/shops", json={"domain": shop, **PROFILE, "orders": 300})
    assert r.status_code == 201, r.text
    token = install(sim, shop)["access_token"]
    path = f"/ok/{shop}/summary"
    subscribe(sim, shop, token, "CUSTOMERS_PURCHASING_SUMMARY", receiver.url + path)
    orders = records(sim, shop, "orders")
    gid = next(o["customer"]["id"] for o in orders if o["customer"] and not o["test"])
    cid = gid.rsplit("/", 1)[1]
    query = """query($id: ID!) { customer(id: $id) {
        numberOfOrders amountSpent { amount currencyCode } lastOrder { id } canDelete } }"""

    def totals():
        via_control = sim.get(f"/_control/shops/{shop}/customers/{cid}").json()
        via_graphql = gql(sim, shop, token, query, {"id": gid}).json()["data"]["customer"]
        assert via_graphql["numberOfOrders"] == via_control["numberOfOrders"]
        assert via_graphql["amountSpent"] == via_control["amountSpent"]
        assert via_graphql["lastOrder"] == via_control["lastOrder"]
        assert via_graphql["canDelete"] is False
        expected = expected_totals(records(sim, shop, "orders"))[gid]
        assert (
            int(via_control["numberOfOrders"]),
            Decimal(via_control["amountSpent"]["amount"]),
        ) == expected[:2]
        return (
            int(via_control["numberOfOrders"]),
            Decimal(via_control["amountSpent"]["amount"]),
            via_control,
        )

    count, spent, _ = totals()
    placed = sim.post(f"/_control/shops/{shop}/orders", json={"customer_id": cid}).json()
    price = money(placed["currentTotalPriceSet"])
    assert price > 0
    count2, spent2, cust = totals()
    assert (count2, spent2) == (count + 1, spent + price)
    assert cust["lastOrder"]["id"] == placed["admin_graphql_api_id"]
    summary = json.loads(receiver.wait(path)[0]["body"])
    assert summary["customerId"] == gid and summary["numberOfOrders"] == count + 1
    assert Decimal(summary["amountSpent"]["amount"]) == spent + price
    assert summary["lastOrderId"] == placed["admin_graphql_api_id"]

    sim.post(f"/_control/shops/{shop}/orders/{placed['id']}/refunds", json={"amount": "5.00"})
    assert totals()[:2] == (count + 1, spent + price - Decimal("5.00"))
    # A test order is not counted; marking the new order as one takes it out again.
    sim.patch(f"/_control/shops/{shop}/orders/{placed['id']}", json={"test": True})
    assert totals()[:2] == (count, spent)
    # Moving an order to another customer moves its total with it.
    other = next(
        o["customer"]["id"] for o in orders if o["customer"] and o["customer"]["id"] != gid
    )
    other_id = other.rsplit("/", 1)[1]

    def other_totals():
        c = sim.get(f"/_control/shops/{shop}/customers/{other_id}").json()
        return int(c["numberOfOrders"]), Decimal(c["amountSpent"]["amount"])

    before = other_totals()
    sim.patch(
        f"/_control/shops/{shop}/orders/{placed['id']}",
        json={"test": False, "customer_id": other_id},
    )
    assert totals()[:2] == (count, spent)
    assert other_totals() == (before[0] + 1, before[1] + price - Decimal("5.00"))
    assert other_totals() == expected_totals(records(sim, shop, "orders"))[other][:2]
