"""Bulk results are exactly the same query run as normal GraphQL, flattened as Shopify does.

For every bulk document the product sends (copied into `fixtures/product_bulk_queries.json`
by `fixtures/make_product_bulk_queries.py`) and for documents with aliases, count fields,
nested objects, abstract types, fragments and a second-level connection, the JSONL lines
equal the pages of the normal query (connections given `first`, walked with `after`),
flattened: every connection node its own line with `__parentId`. With `groupObjects: true`
the order is exact (parent, then its children); with `false` only the set is.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from graphql import (
    ArgumentNode,
    IntValueNode,
    NameNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from shopsim.schema import get_schema
from test_bulk import wait_done

from conftest import gql

PRODUCT = json.loads(
    (Path(__file__).parent / "fixtures" / "product_bulk_queries.json").read_text()
)["documents"]
RUN = """mutation($q: String!, $g: Boolean!) { bulkOperationRunQuery(query: $q, groupObjects: $g) {
  bulkOperation { id status } userErrors { field message code } } }"""
ALL_SCOPES = ["read_customers", "read_orders", "read_products", "read_all_orders"]
EXTRA = {
    "aliases, counts, nested objects, fragments": """
      fragment Money on MoneyV2 { amount currencyCode }
      { products { edges { node {
          id label: title seo { title } n: variantsCount { count precision } mediaCount { count }
          priceRangeV2 { lo: minVariantPrice { ...Money } }
          featuredMedia { __typename ... on MediaImage { id image { url } } }
          options { name values }
          variants { edges { node { id sku cost: price product { id handle } } } }
          media { edges { node { __typename ... on MediaImage { id alt } } } }
      } } } }""",
    "orders with transactions and counts": """
      { orders(query: "financial_status:paid") { edges { node {
          id total: totalPriceSet { shopMoney { amount } } fulfillmentsCount { count }
          transactionsCount { count } transactions { id kind amountSet { shopMoney { amount } } }
          customer { id email } billingAddress { city }
          items: lineItems { edges { node { id qty: quantity variant { id sku } } } }
      } } } }""",
    "customers: a missing non-null object, enums, lists": """
      { customers { edges { node { id statistics { predictedSpendTier } state
          email: defaultEmailAddress { marketingState }
          emailMarketingConsent { marketingState } amountSpent { amount } tags
          addresses(first: 2) { city countryCodeV2 } numberOfOrders legacyResourceId } } } }""",
    "orders newest first, some deleted (roots taken by position)": """
      { orders(reverse: true) { edges { node { id name
          lineItems { edges { node { id sku } } } } } } }""",
    "collections with their products (two levels)": """
      { collections { nodes { id title productsCount { count }
          products { edges { node { id title variantsCount { count } seo { title } } } } } } }""",
}
DOCS = dict(PRODUCT, **EXTRA)


def _page_document(text: str, after: str | None) -> str:
    """The bulk document as a normal query: root `first: 5` (+ `after`), nested `first: 10`
    (more than any generated record holds)."""
    schema = get_schema()
    doc = parse(text)
    info = TypeInfo(schema)
    found = []

    class Find(Visitor):
        def enter_field(self, node, *_):
            named = get_named_type(info.get_type())
            if named is not None and named.name.endswith("Connection"):
                found.append((node, info.get_parent_type() is schema.query_type))

    visit(doc, TypeInfoVisitor(info, Find()))
    targets = {id(node): is_root for node, is_root in found}
    page_info = parse("{ pageInfo { hasNextPage endCursor } }").definitions[0]

    class Page(Visitor):
        def enter_field(self, node, *_):
            if id(node) not in targets:
                return None
            is_root = targets[id(node)]
            args = [a for a in node.arguments or () if a.name.value not in ("first", "after")]
            args.append(_arg("first", IntValueNode(value="5" if is_root else "10")))
            sel = node.selection_set
            if is_root:
                if after:
                    args.append(_arg("after", StringValueNode(value=after)))
                sel = _copy(sel, selections=(*sel.selections, *page_info.selection_set.selections))
            return _copy(node, arguments=tuple(args), selection_set=sel)

    return print_ast(visit(doc, Page()))


def _copy(node, **changes):
    return type(node)(**{k: changes.get(k, getattr(node, k)) for k in node.keys})


def _arg(name, value):
    return ArgumentNode(name=NameNode(value=name), value=value)


def _nodes(conn: dict) -> list:
    if "edges" in conn:
        return [e["node"] for e in conn["edges"]]
    return conn.get("nodes") or []


def _flatten(node: dict, out: list, parent_id=None) -> None:
    line, connections = {}, []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            connections.append(value)
        else:
            line[key] = value
    if parent_id is not None:
        line["__parentId"] = parent_id
    out.append(line)
    for conn in connections:
        for child in _nodes(conn):
            _flatten(child, out, node["id"])


def normal_lines(sim, shop, tok, text) -> list:
    out, after = [], None
    while True:
        body = gql(sim, shop, tok, _page_document(text, after)).json()
        assert "errors" not in body, body
        (conn,) = [v for k, v in body["data"].items()]
        for node in _nodes(conn):
            _flatten(node, out)
        if not conn["pageInfo"]["hasNextPage"]:
            return out
        after = conn["pageInfo"]["endCursor"]


def bulk_lines(sim, shop, tok, text, group: bool) -> list:
    res = gql(sim, shop, tok, RUN, {"q": text, "g": group}).json()["data"]
    started = res["bulkOperationRunQuery"]
    assert started["userErrors"] == [], started
    op = wait_done(sim, shop, tok, started["bulkOperation"]["id"])
    assert op["status"] == "COMPLETED", op
    if op["url"] is None:
        return []
    return [json.loads(x) for x in sim.get(op["url"]).text.splitlines()]


@pytest.fixture(scope="module")
def store(sim):
    shop = "bulk-exact.myshopify.com"
    profile = {
        "customers": 40,
        "orders": 60,
        "products": 24,
        "collections": 6,
        "checkouts": 20,
        "plan": "enterprise",
    }
    assert sim.post("/_control/shops", json={"domain": shop, **profile}).status_code == 201
    r = sim.post(f"/_control/shops/{shop}/install", json={"scopes": ALL_SCOPES})
    # Deleted records leave holes that a worker's share of the roots must skip.
    orders = sim.get(f"/_control/shops/{shop}/orders", params={"limit": 60}).json()["records"]
    for o in (orders[2], orders[31], orders[45]):
        assert sim.delete(f"/_control/shops/{shop}/orders/{o['id']}").status_code in (200, 204)
    return shop, r.json()["access_token"]


def _key(line):
    return json.dumps(line, sort_keys=True)


@pytest.mark.parametrize("name", sorted(DOCS))
def test_bulk_jsonl_equals_the_normal_query_flattened(sim, store, name):
    shop, tok = store
    text = DOCS[name]
    expected = normal_lines(sim, shop, tok, text)
    if "updated since" not in name:
        assert len(expected) > 20, name  # the store has data for this document
    grouped = bulk_lines(sim, shop, tok, text, True)
    assert grouped == expected
    ungrouped = bulk_lines(sim, shop, tok, text, False)
    assert sorted(map(_key, ungrouped)) == sorted(map(_key, expected))


def test_a_client_that_attaches_children_to_the_preceding_line_reads_grouped_results(sim, store):
    shop, tok = store
    text = PRODUCT["products"]
    truth = {}
    for line in bulk_lines(sim, shop, tok, text, False):
        if "__parentId" in line:
            truth.setdefault(line["__parentId"], []).append(line["id"])
    for group, right in ((True, True), (False, False)):
        seen, current = {}, None
        for line in bulk_lines(sim, shop, tok, text, group):
            if "__parentId" not in line:
                current = line["id"]
            else:
                seen.setdefault(current, []).append(line["id"])
        assert (seen == truth) is right


def test_result_url_is_signed_like_shopify_storage_urls(sim, store):
    shop, tok = store
    res = gql(sim, shop, tok, RUN, {"q": PRODUCT["collections"], "g": False}).json()
    op = wait_done(sim, shop, tok, res["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"])
    url = httpx.URL(op["url"])
    params = dict(url.params)
    assert set(params) == {
        "GoogleAccessId",
        "Expires",
        "Signature",
        "response-content-disposition",
        "response-content-type",
    }
    num = op["id"].rsplit("/", 1)[1]
    assert params["response-content-disposition"] == (
        f"attachment; filename=\"bulk-{num}.jsonl\"; filename*=UTF-8''bulk-{num}.jsonl"
    )
    got = sim.get(op["url"])
    assert got.status_code == 200
    assert got.headers["content-disposition"] == params["response-content-disposition"]
    assert got.headers["content-type"].startswith("application/jsonl")
    assert int(got.headers["content-length"]) == int(op["fileSize"])
    tampered = url.copy_set_param("Expires", str(int(params["Expires"]) + 1))
    assert sim.get(str(tampered)).status_code == 403
    assert sim.get(str(url.copy_with(query=None))).status_code == 403
