"""Bulk operations: restrictions, lifecycle, JSONL shape with __parentId, failures, cancel."""

from __future__ import annotations

import json
import time

from conftest import gql, install

RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount
  fileSize url partialDataUrl type createdAt completedAt } }"""
ORDERS = """{ orders { edges { node { id name updatedAt customer { id }
  totalPriceSet { shopMoney { amount currencyCode } }
  fulfillments { id displayStatus }
  lineItems { edges { node { id sku quantity } } } } } } }"""


def run(sim, shop, tok, q):
    return gql(sim, shop, tok, RUN, {"q": q}).json()["data"]["bulkOperationRunQuery"]


def wait_done(sim, shop, tok, op_id, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        op = gql(sim, shop, tok, POLL, {"id": op_id}).json()["data"]["bulkOperation"]
        if op["status"] not in ("CREATED", "RUNNING", "CANCELING"):
            return op
        time.sleep(0.05)
    raise AssertionError(f"bulk operation still {op['status']}")


def test_bulk_lifecycle_and_jsonl_shape(sim, shop, receiver):
    tok = install(sim, shop)["access_token"]
    path = f"/ok/bulk-{shop}"
    gql(
        sim,
        shop,
        tok,
        """mutation($u: String!) { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH,
        webhookSubscription: {uri: $u}) { userErrors { message } } }""",
        {"u": receiver.url + path},
    )
    started = run(sim, shop, tok, ORDERS)
    assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
    op = wait_done(sim, shop, tok, started["bulkOperation"]["id"])
    assert op["status"] == "COMPLETED" and op["errorCode"] is None and op["type"] == "QUERY"
    resp = sim.get(op["url"])
    assert resp.status_code == 200
    lines = [json.loads(x) for x in resp.text.splitlines()]
    roots = [x for x in lines if "__parentId" not in x]
    children = [x for x in lines if "__parentId" in x]
    exported = sim.get(f"/_control/shops/{shop}/export/orders").json()
    assert [r["id"].rsplit("/", 1)[-1] for r in roots] == [e["id"] for e in exported]
    assert int(op["rootObjectCount"]) == len(roots) == 60
    assert int(op["objectCount"]) == len(lines)
    assert int(op["fileSize"]) == len(resp.content)
    root_ids = {r["id"] for r in roots}
    assert children and all(
        c["__parentId"] in root_ids and c["id"].startswith("gid://shopify/LineItem/")
        for c in children
    )
    assert "lineItems" not in roots[0] and "edges" not in resp.text  # connections flattened away
    assert set(roots[0]) >= {"id", "name", "customer", "totalPriceSet", "fulfillments"}
    position = {x["id"]: n for n, x in enumerate(lines)}
    assert any(
        position[c["id"]] < position[c["__parentId"]] for c in children
    )  # children may come first
    finish = json.loads(receiver.wait(path, topic="bulk_operations/finish")[0]["body"])
    assert finish == {
        "admin_graphql_api_id": op["id"],
        "completed_at": op["completedAt"],
        "created_at": op["createdAt"],
        "error_code": None,
        "status": "completed",
        "type": "query",
    }
    current = gql(sim, shop, tok, "{ currentBulkOperation { id status } }").json()["data"][
        "currentBulkOperation"
    ]
    assert current == {"id": op["id"], "status": "COMPLETED"}
    # Same snapshot → identical bytes on a second download.
    assert sim.get(op["url"]).content == resp.content


def test_bulk_query_restrictions(sim, shop):
    tok = install(sim, shop)["access_token"]
    six = (
        "{ products { edges { node { id variants { edges { node { id } } } "
        "media { edges { node { id } } } collections { edges { node { id } } } "
        "metafields { edges { node { id } } } "
        "images { edges { node { id } } } } } } }"
    )
    assert "more than 5 connections" in run(sim, shop, tok, six)["userErrors"][0]["message"]
    deep = (
        "{ collections { edges { node { id products { edges { node { id "
        "variants { edges { node { id } } } } } } } } } }"
    )
    assert "nesting depth" in run(sim, shop, tok, deep)["userErrors"][0]["message"]
    node = '{ node(id: "gid://shopify/Order/1") { id } }'
    assert "node" in run(sim, shop, tok, node)["userErrors"][0]["message"]
    assert (
        "at least one connection"
        in run(sim, shop, tok, "{ shop { name } }")["userErrors"][0]["message"]
    )
    invalid = run(sim, shop, tok, "{ orders { edges { node { nope } } } }")
    assert invalid["bulkOperation"] is None and invalid["userErrors"][0]["field"] == ["query"]


def test_five_running_then_operation_in_progress_and_cancel(sim, shop):
    tok = install(sim, shop)["access_token"]
    sim.post(f"/_control/shops/{shop}/faults", json={"bulk": {"mode": "stuck", "times": 5}})
    ids = []
    for _ in range(5):
        res = run(sim, shop, tok, "{ customers { edges { node { id } } } }")
        assert res["userErrors"] == []
        ids.append(res["bulkOperation"]["id"])
    time.sleep(0.2)
    assert (
        gql(sim, shop, tok, POLL, {"id": ids[0]}).json()["data"]["bulkOperation"]["status"]
        == "CREATED"
    )
    sixth = run(sim, shop, tok, "{ customers { edges { node { id } } } }")
    assert (
        sixth["bulkOperation"] is None and sixth["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
    )
    cancel = gql(
        sim,
        shop,
        tok,
        """mutation($id: ID!) { bulkOperationCancel(id: $id) {
        bulkOperation { id status } userErrors { field message } } }""",
        {"id": ids[0]},
    ).json()
    assert cancel["data"]["bulkOperationCancel"]["bulkOperation"]["status"] == "CANCELING"
    assert wait_done(sim, shop, tok, ids[0])["status"] == "CANCELED"
    again = run(sim, shop, tok, "{ customers { edges { node { id email } } } }")
    assert again["userErrors"] == []
    assert wait_done(sim, shop, tok, again["bulkOperation"]["id"])["status"] == "COMPLETED"


def test_injected_failures(sim, shop):
    tok = install(sim, shop)["access_token"]
    for mode, code in (("fail", "INTERNAL_SERVER_ERROR"), ("timeout", "TIMEOUT")):
        sim.post(
            f"/_control/shops/{shop}/faults",
            json={"bulk": {"mode": mode, "entity": "orders", "times": 1}},
        )
        op = wait_done(sim, shop, tok, run(sim, shop, tok, ORDERS)["bulkOperation"]["id"])
        assert op["status"] == "FAILED" and op["errorCode"] == code and op["url"] is None
        partial = [json.loads(x) for x in sim.get(op["partialDataUrl"]).text.splitlines()]
        assert len([x for x in partial if "__parentId" not in x]) == 30  # half of 60 orders
    sim.post(f"/_control/shops/{shop}/faults", json={"bulk": {"mode": "access_denied"}})
    op = wait_done(sim, shop, tok, run(sim, shop, tok, ORDERS)["bulkOperation"]["id"])
    assert (
        op["status"] == "FAILED"
        and op["errorCode"] == "ACCESS_DENIED"
        and op["partialDataUrl"] is None
    )
    sim.post(f"/_control/shops/{shop}/faults", json={"bulk": None})
    ok = wait_done(
        sim,
        shop,
        tok,
        run(
            sim,
            shop,
            tok,
            "{ products { edges { node { id variants { edges { node { id } } } } } } }",
        )["bulkOperation"]["id"],
    )
    assert ok["status"] == "COMPLETED"
    assert sim.get("/_files/does-not-exist.jsonl").status_code == 404
