"""Deterministic data generator and the lazy million-order store."""

from __future__ import annotations

import time

from shopsim import store
from shopsim.config import Profile, Settings
from shopsim.generator import Generator
from shopsim.records import KINDS

COUNTS = {
    "customers": 40,
    "orders": 80,
    "products": 10,
    "collections": 4,
    "checkouts": 8,
    "carts": 5,
}


def test_same_seed_and_domain_give_the_same_store():
    a = Generator(3, "same.myshopify.com", COUNTS)
    b = Generator(3, "same.myshopify.com", COUNTS)
    for kind in KINDS:
        for i in range(COUNTS[kind]):
            assert repr(a.make(kind, i)) == repr(b.make(kind, i))
    other = Generator(4, "same.myshopify.com", COUNTS)
    assert (
        other.make("customers", 0)["email"] != a.make("customers", 0)["email"]
        or other.make("orders", 0)["lineItems"] != a.make("orders", 0)["lineItems"]
    )


def test_generated_data_covers_the_cases_the_product_handles():
    g = Generator(1, "variety.myshopify.com", dict(COUNTS, customers=200, orders=400))
    customers = [g.make("customers", i) for i in range(200)]
    assert {c["emailMarketingConsent"]["marketingState"] for c in customers} == {
        "SUBSCRIBED",
        "NOT_SUBSCRIBED",
        "UNSUBSCRIBED",
        "PENDING",
        "REDACTED",
        "INVALID",
    }
    assert {c["smsMarketingConsent"]["marketingState"] for c in customers if c["phone"]} >= {
        "SUBSCRIBED",
        "NOT_SUBSCRIBED",
        "UNSUBSCRIBED",
        "PENDING",
    }
    assert any(c["tags"] for c in customers) and all(c["defaultAddress"]["city"] for c in customers)
    orders = [g.make("orders", i) for i in range(400)]
    assert {o["displayFulfillmentStatus"] for o in orders} == {
        "UNFULFILLED",
        "PARTIALLY_FULFILLED",
        "FULFILLED",
    }
    assert any(o["cancelledAt"] for o in orders) and any(o["test"] for o in orders)
    assert any(o["refunds"] for o in orders) and any(o["discountCodes"] for o in orders)
    assert any(o["customer"] is None for o in orders)
    assert {f["displayStatus"] for o in orders for f in o["fulfillments"]} >= {
        "DELIVERED",
        "IN_TRANSIT",
    }
    checkouts = [g.make("checkouts", i) for i in range(8)]
    assert all(c["_token"] for c in checkouts)
    products = [g.make("products", i) for i in range(10)]
    assert all(p["variants"] and p["images"] for p in products)
    assert all(g.make("collections", i)["products"] for i in range(4))


def test_million_order_store_is_lazy():
    settings = Settings(profile=Profile(customers=100_000, orders=1_000_000))
    start = time.perf_counter()
    shop = store.Shop(settings, "huge.myshopify.com")
    t = shop.tables["orders"]
    assert t.live_count() == 1_000_000
    last = t.get(999_999)
    assert last["name"] == "#1001000"
    page = list(store.select(t, query=f"id:>{t.num(999_990)}", limit=50))
    assert [i for _, i in page] == list(range(999_991, 1_000_000))
    assert time.perf_counter() - start < 1.0
    assert len(t.overrides) == 0  # nothing materialised


def test_updated_at_search_skips_old_generated_records_but_keeps_changed_ones():
    settings = Settings(profile=Profile(orders=1_000_000))
    shop = store.Shop(settings, "window.myshopify.com")
    t = shop.tables["orders"]
    rec = t.editable(5)
    rec["updatedAt"] = store.now_iso()
    t.put(5, rec)
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    start = time.perf_counter()
    rows = list(store.select(t, query=f"updated_at:>='{since}'", limit=10))
    assert [i for _, i in rows] == [5]
    recent = list(store.select(t, query="updated_at:>='2026-11-14T12:00:00Z'", limit=3))
    assert recent[0][1] == 5 and all(i > 960_000 for _, i in recent[1:])
    after = list(
        store.select(t, query="updated_at:>='2026-11-14T12:00:00Z'", after=recent[0][0], limit=2)
    )
    assert [i for _, i in after] == [i for _, i in recent[1:]]
    assert time.perf_counter() - start < 1.0
