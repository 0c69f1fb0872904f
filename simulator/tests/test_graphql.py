"""Admin GraphQL: validation, auth/state codes, resolution, pagination, cost, bucket."""

from __future__ import annotations

import time

from conftest import gql, install


def test_invalid_documents_rejected_like_shopify(sim, shop):
    tok = install(sim, shop)["access_token"]
    r = gql(sim, shop, tok, "{ shop { nope } }")
    assert r.status_code == 200
    body = r.json()
    assert "data" not in body
    err = body["errors"][0]
    assert err["message"] == "Field 'nope' doesn't exist on type 'Shop'"
    assert err["locations"] == [{"line": 1, "column": 10}]
    assert err["extensions"]["code"] == "undefinedField"
    assert "cost" in body["extensions"]
    r = gql(sim, shop, tok, "{ shop { name ")
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "syntaxError"
    r = gql(sim, shop, tok, "{ customer { id } }")
    assert r.json()["errors"][0]["extensions"]["code"] == "missingRequiredArguments"


def test_auth_and_shop_state_status_codes(sim, shop):
    tok = install(sim, shop)["access_token"]
    r = gql(sim, shop, "shpat_wrong", "{ shop { name } }")
    assert r.status_code == 401
    assert r.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    for state, code in (("frozen", 402), ("locked", 423), ("active", 200)):
        sim.post(f"/_control/shops/{shop}/state", json={"state": state})
        assert gql(sim, shop, tok, "{ shop { name } }").status_code == code
    sim.post(f"/_control/shops/{shop}/revoke-tokens")
    assert gql(sim, shop, tok, "{ shop { name } }").status_code == 401


def test_shop_and_scopes_resolve(sim, receiver):
    domain = f"cfg-{time.time_ns()}.myshopify.com"
    sim.post(
        "/_control/shops",
        json={
            "domain": domain,
            "name": "Snow Devil",
            "plan": "plus",
            "currency": "EUR",
            "country": "DE",
            "timezone": "Europe/Berlin",
            "custom_domain": "snow.example",
        },
    )
    tok = install(sim, domain, ["read_customers"])["access_token"]
    body = gql(
        sim,
        domain,
        tok,
        """{ shop { name myshopifyDomain currencyCode ianaTimezone primaryDomain { host url }
        plan { displayName shopifyPlus partnerDevelopment } billingAddress { countryCodeV2 } }
        currentAppInstallation { accessScopes { handle } } }""",
    ).json()
    s = body["data"]["shop"]
    assert (
        s["name"] == "Snow Devil"
        and s["currencyCode"] == "EUR"
        and s["primaryDomain"]["host"] == "snow.example"
    )
    assert s["plan"]["shopifyPlus"] is True and s["billingAddress"]["countryCodeV2"] == "DE"
    assert body["data"]["currentAppInstallation"]["accessScopes"] == [{"handle": "read_customers"}]
    assert body["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 1000.0
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 20000.0


def test_pagination_walks_every_customer_once(sim, shop):
    tok = install(sim, shop)["access_token"]
    exported = [r["id"] for r in sim.get(f"/_control/shops/{shop}/export/customers").json()]
    seen, after = [], None
    while True:
        r = gql(
            sim,
            shop,
            tok,
            """query($after: String) { customers(first: 7, after: $after) {
              edges { cursor node { id legacyResourceId } }
              pageInfo { hasNextPage endCursor } } }""",
            {"after": after},
        )
        conn = r.json()["data"]["customers"]
        seen += [e["node"]["legacyResourceId"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == exported and len(seen) == 30


def test_updated_at_search_and_sort(sim, shop):
    tok = install(sim, shop)["access_token"]
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    cust = sim.get(f"/_control/shops/{shop}/customers?limit=3").json()["records"]
    for c in cust[1:]:
        assert (
            sim.patch(
                f"/_control/shops/{shop}/customers/{c['id']}", json={"note": "changed"}
            ).status_code
            == 200
        )
    q = """query($q: String) { customers(first: 50, query: $q, sortKey: UPDATED_AT) {
        nodes { legacyResourceId note updatedAt } } }"""
    nodes = gql(sim, shop, tok, q, {"q": f"updated_at:>='{since}'"}).json()["data"]["customers"][
        "nodes"
    ]
    assert [n["legacyResourceId"] for n in nodes] == [str(c["id"]) for c in cust[1:]]
    assert all(n["note"] == "changed" for n in nodes)
    ids = gql(
        sim,
        shop,
        tok,
        "{ orders(first: 250, query: $q) { nodes { legacyResourceId } } }".replace(
            "$q", f'"id:>{cust[0]["id"]}"'
        ),
    )
    assert ids.status_code == 200
    orders = sim.get(f"/_control/shops/{shop}/export/orders").json()
    later = gql(
        sim,
        shop,
        tok,
        '{ orders(first: 100, query: "id:>'
        + orders[49]["id"]
        + '") { nodes { legacyResourceId } } }',
    )
    assert [n["legacyResourceId"] for n in later.json()["data"]["orders"]["nodes"]] == [
        o["id"] for o in orders[50:]
    ]


def test_nested_connections_and_nodes(sim, shop):
    tok = install(sim, shop)["access_token"]
    body = gql(
        sim,
        shop,
        tok,
        """{ orders(first: 3) { nodes { id name customer { id } displayFinancialStatus
        lineItems(first: 2) { edges { node { id sku quantity } } pageInfo { hasNextPage } }
        fulfillments(first: 5) { id status displayStatus trackingInfo { number } }
        refunds { id totalRefundedSet { shopMoney { amount } } }
        currentTotalPriceSet { shopMoney { amount currencyCode } } } }
        collections(first: 2) { nodes { id title products(first: 3) { nodes { id title } } } } }""",
    ).json()
    assert "errors" not in body, body
    o = body["data"]["orders"]["nodes"][0]
    assert o["id"].startswith("gid://shopify/Order/") and len(o["lineItems"]["edges"]) <= 2
    first_id = o["id"]
    node = gql(
        sim,
        shop,
        tok,
        "query($id: ID!) { node(id: $id) { id ... on Order { name } } }",
        {"id": first_id},
    ).json()
    assert node["data"]["node"] == {"id": first_id, "name": o["name"]}


def test_cost_and_max_cost_exceeded(sim, shop):
    tok = install(sim, shop)["access_token"]
    body = gql(
        sim, shop, tok, "{ customers(first: 10) { edges { node { id defaultAddress { city } } } } }"
    ).json()
    c = body["extensions"]["cost"]
    assert c["requestedQueryCost"] == 2 + 10 * 2
    assert c["actualQueryCost"] == 2 + 10 * 2  # 30 customers, so 10 came back
    big = gql(
        sim,
        shop,
        tok,
        "{ products(first: 250) { nodes { id variants(first: 250) { nodes { id } } } } }",
    ).json()
    assert big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert big["errors"][0]["message"] == (
        f"Query cost is {2 + 250 * (1 + 2 + 250)}, which exceeds the single query "
        "max cost limit (1000)."
    )
    m = gql(
        sim,
        shop,
        tok,
        'mutation { tagsAdd(id: "gid://shopify/Customer/1", tags: ["x"]) '
        "{ userErrors { message } } }",
    ).json()
    assert m["extensions"]["cost"]["requestedQueryCost"] == 10


def test_leaky_bucket_throttles_and_restores(sim):
    """Bucket = 20 × restore rate, charged up front; short → THROTTLED; refills at restore rate."""
    shop = f"bucket-{time.time_ns()}.myshopify.com"
    sim.post("/_control/shops", json={"domain": shop, "customers": 300})
    tok = install(sim, shop)["access_token"]
    sim.post(f"/_control/shops/{shop}/faults", json={"restore_rate": 20})  # bucket of 400 points
    q = "{ customers(first: 150) { nodes { id defaultAddress { city } } } }"  # 2 + 150 × 2 = 302
    first = gql(sim, shop, tok, q).json()
    assert "data" in first
    st = first["extensions"]["cost"]["throttleStatus"]
    assert st["maximumAvailable"] == 400 and st["restoreRate"] == 20
    assert 98 <= st["currentlyAvailable"] <= 110
    second = gql(sim, shop, tok, q).json()
    assert "data" not in second
    assert second["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert second["extensions"]["cost"]["requestedQueryCost"] == 302
    assert second["extensions"]["cost"]["actualQueryCost"] is None
    before = second["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
    time.sleep(0.5)
    small = gql(sim, shop, tok, "{ shop { name } }").json()
    after = small["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
    assert after >= before + 8  # ≈ 0.5 s × 20 points/s restored, minus this query's 1


def test_access_denied_without_scope(sim, shop):
    tok = install(sim, shop, ["read_customers"])["access_token"]
    body = gql(sim, shop, tok, "{ orders(first: 1) { nodes { id } } }").json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert body["data"] is None  # orders is non-null, so the error nulls data


def test_consent_and_customer_update_mutations(sim, shop):
    tok = install(sim, shop)["access_token"]
    cust = next(
        c
        for c in sim.get(f"/_control/shops/{shop}/customers?limit=30").json()["records"]
        if c.get("email")
    )
    gid = cust["admin_graphql_api_id"]
    m = """mutation($input: CustomerEmailMarketingConsentUpdateInput!) {
        customerEmailMarketingConsentUpdate(input: $input) {
        customer { id emailMarketingConsent { marketingState marketingOptInLevel } }
        userErrors { field message code } } }"""
    ok = gql(
        sim,
        shop,
        tok,
        m,
        {
            "input": {
                "customerId": gid,
                "emailMarketingConsent": {
                    "marketingState": "UNSUBSCRIBED",
                    "marketingOptInLevel": "SINGLE_OPT_IN",
                },
            }
        },
    ).json()
    res = ok["data"]["customerEmailMarketingConsentUpdate"]
    assert (
        res["userErrors"] == []
        and res["customer"]["emailMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
    )
    bad = gql(
        sim,
        shop,
        tok,
        m,
        {
            "input": {
                "customerId": gid,
                "emailMarketingConsent": {"marketingState": "NOT_SUBSCRIBED"},
            }
        },
    ).json()
    assert (
        bad["data"]["customerEmailMarketingConsentUpdate"]["userErrors"][0]["code"] == "INCLUSION"
    )
    up = gql(
        sim,
        shop,
        tok,
        """mutation($input: CustomerInput!) { customerUpdate(input: $input) {
        customer { id tags firstName } userErrors { field message } } }""",
        {"input": {"id": gid, "tags": ["vip", "synced"], "firstName": "Renamed"}},
    ).json()
    assert up["data"]["customerUpdate"]["customer"]["tags"] == ["vip", "synced"]
    ms = gql(
        sim,
        shop,
        tok,
        """mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
        metafields { key value } userErrors { field message code } } }""",
        {
            "m": [
                {
                    "ownerId": gid,
                    "namespace": "shoplink",
                    "key": "score",
                    "value": "42",
                    "type": "number_integer",
                }
            ]
        },
    ).json()
    assert ms["data"]["metafieldsSet"]["metafields"] == [{"key": "score", "value": "42"}]
    read = gql(
        sim,
        shop,
        tok,
        "query($id: ID!) { customer(id: $id) { "
        'metafield(namespace: "shoplink", key: "score") { value } } }',
        {"id": gid},
    ).json()
    assert read["data"]["customer"]["metafield"] == {"value": "42"}


def test_api_version_fallback_and_unknown_version():
    """Old versions fall forward with --api-version-fallback; malformed versions are 404."""
    from shopsim.app import create_app
    from shopsim.config import Settings
    from starlette.testclient import TestClient

    app = create_app(Settings(api_version_fallback=True, time_scale=0.001))
    shop = "versions.myshopify.com"
    with TestClient(app) as c:
        tok = c.post(f"/_control/shops/{shop}/install", json={"scopes": []}).json()["access_token"]
        h = {"X-Shopify-Access-Token": tok}
        q = {"query": "{ shop { name } }"}
        old = c.post(f"/{shop}/admin/api/2023-01/graphql.json", headers=h, json=q)
        assert old.status_code == 200 and old.headers["X-Shopify-API-Version"] == "2026-10"
        assert old.headers["X-Request-Id"]
        cur = c.post(f"/{shop}/admin/api/2026-07/graphql.json", headers=h, json=q)
        assert cur.headers["X-Shopify-API-Version"] == "2026-07"
        assert (
            c.post(f"/{shop}/admin/api/latest/graphql.json", headers=h, json=q).status_code == 404
        )


def test_opt_in_sixty_day_order_window(sim):
    """With orders_window_days, orders older than the window need read_all_orders (trap 12)."""
    shop = f"window-{time.time_ns()}.myshopify.com"
    sim.post("/_control/shops", json={"domain": shop, "orders": 2000, "orders_window_days": 60})
    q = "{ ordersCount { count } orders(first: 250) { nodes { processedAt } } }"
    limited = gql(sim, shop, install(sim, shop, ["read_orders"])["access_token"], q).json()["data"]
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60 * 86400 - 5))
    assert 0 < len(limited["orders"]["nodes"]) < 250
    assert all(n["processedAt"] >= cutoff for n in limited["orders"]["nodes"])
    full = gql(
        sim, shop, install(sim, shop, ["read_orders", "read_all_orders"])["access_token"], q
    ).json()
    assert full["data"]["ordersCount"]["count"] == 2000
    assert len(full["data"]["orders"]["nodes"]) == 250
