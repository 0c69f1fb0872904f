"""The REST Admin read API and host addressing over real HTTP, as a raw client sees them."""

from __future__ import annotations

import socket
import time
from urllib.parse import parse_qs, urlsplit

from conftest import install

V = "2026-10"


def _get(sim, shop, path, token, host_form=False, **params):
    headers = {"X-Shopify-Access-Token": token}
    if host_form:
        headers["Host"] = shop
        return sim.get(f"/admin/api/{V}/{path}", headers=headers, params=params)
    return sim.get(f"/{shop}/admin/api/{V}/{path}", headers=headers, params=params)


def _links(r) -> dict[str, str]:
    out = {}
    for part in filter(None, (r.headers.get("link") or "").split(", ")):
        url, rel = part.split("; ")
        out[rel.split('"')[1]] = url[1:-1]
    return out


def test_host_addressing_serves_admin_paths_and_oauth(sim, shop):
    token = install(sim, shop)["access_token"]
    # Host header, as every real client sends it
    r = _get(sim, shop, "shop.json", token, host_form=True)
    assert r.status_code == 200 and r.json()["shop"]["myshopify_domain"] == shop
    # X-Forwarded-Host from a TLS-terminating proxy wins over Host
    r = sim.get(
        f"/admin/api/{V}/shop.json",
        headers={"X-Shopify-Access-Token": token, "X-Forwarded-Host": f"{shop}:443"},
    )
    assert r.status_code == 200 and r.json()["shop"]["myshopify_domain"] == shop
    # OAuth by host: install page posts back host-addressed, token request works
    r = sim.get(
        "/admin/oauth/authorize",
        headers={"Host": shop},
        params={
            "client_id": "shoplink-test",
            "scope": "read_orders",
            "redirect_uri": "http://app.test/cb",
        },
    )
    assert r.status_code == 200 and 'action="/admin/oauth/authorize"' in r.text
    r = sim.post(
        "/admin/oauth/authorize",
        headers={"Host": shop},
        data={
            "client_id": "shoplink-test",
            "redirect_uri": "http://app.test/cb",
            "scope": "read_orders",
            "decision": "install",
        },
    )
    assert r.status_code == 302
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    r = sim.post(
        "/admin/oauth/access_token",
        headers={"Host": shop},
        json={"client_id": "shoplink-test", "client_secret": "test-secret", "code": code},
    )
    assert r.status_code == 200 and r.json()["scope"] == "read_orders"
    # the path-prefix form still works, and Links follow the form the client used
    r = _get(sim, shop, "customers.json", token, limit=2)
    assert _links(r)["next"].startswith(f"{sim.base}/{shop}/admin/api/{V}/customers.json?")
    r = _get(sim, shop, "customers.json", token, host_form=True, limit=2)
    assert _links(r)["next"].startswith(f"http://{shop}/admin/api/{V}/customers.json?")
    behind_proxy = {"X-Forwarded-Host": shop, "X-Forwarded-Proto": "https"}
    r = sim.get(
        f"/admin/api/{V}/customers.json",
        params={"limit": 2},
        headers={"X-Shopify-Access-Token": token, **behind_proxy},
    )
    assert _links(r)["next"].startswith(f"https://{shop}/admin/api/{V}/customers.json?")


def test_unknown_shop_host_is_shopifys_unavailable_page(sim):
    r = sim.get(f"/admin/api/{V}/shop.json", headers={"Host": "-no_such.myshopify.com"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "currently unavailable" in r.text


def test_absolute_form_request_target_is_host_addressed(sim, shop):
    """What an HTTP proxy client sends: `GET http://<shop>/admin/... HTTP/1.1`."""
    token = install(sim, shop)["access_token"]
    port = int(sim.base.rsplit(":", 1)[1])
    request = (
        f"GET http://{shop}/admin/api/{V}/shop.json HTTP/1.1\r\nHost: {shop}\r\n"
        f"X-Shopify-Access-Token: {token}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 200"), raw[:200]
    assert shop.encode() in raw


def test_headers_versions_and_error_bodies(sim, shop):
    token = install(sim, shop, scopes=("read_customers",))["access_token"]
    r = _get(sim, shop, "customers/count.json", token)
    assert r.status_code == 200 and r.json() == {"count": 30}
    assert r.headers["X-Shopify-API-Version"] == V and r.headers["X-Request-Id"]
    assert r.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")
    assert _get(sim, shop, "customers.json", "bad").json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    r = _get(sim, shop, "orders.json", token)
    assert r.status_code == 403
    assert r.json() == {
        "errors": "[API] This action requires merchant approval for read_orders scope."
    }
    r = _get(sim, shop, "customers/1.json", token)
    assert (r.status_code, r.json()) == (404, {"errors": "Not Found"})
    assert _get(sim, shop, "customers.xml", token).status_code == 406
    r = sim.get(
        f"/{shop}/admin/api/2026-13/customers.json", headers={"X-Shopify-Access-Token": token}
    )
    assert (r.status_code, r.json()) == (404, {"errors": "Not Found"})
    r = _get(sim, shop, "customers.json", token, limit=2)
    page_info = parse_qs(urlsplit(_links(r)["next"]).query)["page_info"][0]
    r = _get(sim, shop, "customers.json", token, page_info=page_info, since_id=1)
    assert (
        r.status_code == 400
        and "since_id cannot be passed when page_info is present"
        in (r.json()["errors"]["since_id"])
    )
    r = _get(sim, shop, "customers.json", token, page_info="garbage")
    assert (r.status_code, r.json()) == (400, {"errors": {"page_info": "Invalid value."}})
    r = _get(sim, shop, "customers.json", token, created_at_min="yesterday")
    assert r.status_code == 400 and r.json() == {"errors": {"created_at_min": "Invalid value."}}


def test_webhooks_create_list_delete_and_422(sim, shop):
    token = install(sim, shop)["access_token"]
    url = f"/{shop}/admin/api/{V}/webhooks.json"
    h = {"X-Shopify-Access-Token": token}
    body = {"webhook": {"topic": "orders/create", "address": "https://hooks.test/o"}}
    r = sim.post(url, headers=h, json=body)
    assert r.status_code == 201
    hook = r.json()["webhook"]
    assert hook["topic"] == "orders/create" and hook["format"] == "json"
    r = sim.post(url, headers=h, json=body)
    assert r.status_code == 422
    assert r.json() == {"errors": {"address": ["for this topic has already been taken"]}}
    r = sim.post(
        url, headers=h, json={"webhook": {"topic": "orders/nope", "address": "https://x.test"}}
    )
    assert r.status_code == 422 and "topic" in r.json()["errors"]
    assert [w["id"] for w in sim.get(url, headers=h).json()["webhooks"]] == [hook["id"]]
    # the subscription is the same one GraphQL and the control API see
    subs = sim.get(f"/_control/shops/{shop}").json()["subscriptions"]
    assert [s["topic"] for s in subs] == ["ORDERS_CREATE"]
    assert sim.delete(f"/{shop}/admin/api/{V}/webhooks/{hook['id']}.json", headers=h).json() == {}
    assert sim.get(url, headers=h).json() == {"webhooks": []}


# A shop's generated orders follow its domain (the simulator seeds by seed and domain): a
# random domain had, now and then, no cancelled order at all. This one has cancelled,
# paid, fulfilled and refunded orders, so the filters below are tested every run.
ORDERS_SHOP = "t-rest-order-filters.myshopify.com"


def test_orders_status_filters_and_nested_lists(sim):
    shop = ORDERS_SHOP
    token = install(sim, shop)["access_token"]
    records = sim.get(f"/_control/shops/{shop}/orders", params={"limit": 1000}).json()["records"]

    def ids(**params):
        r = _get(sim, shop, "orders.json", token, limit=250, fields="id", **params)
        assert r.status_code == 200, r.text
        return {o["id"] for o in r.json()["orders"]}

    every = {o["id"] for o in records}
    cancelled = {o["id"] for o in records if o["cancelledAt"]}
    paid = {o["id"] for o in records if o["displayFinancialStatus"] == "PAID"}
    assert cancelled and paid
    assert ids(status="any") == every
    assert ids() == every - cancelled  # default status is open
    assert ids(status="cancelled") == cancelled
    assert ids(status="any", financial_status="paid") == paid
    shipped = {o["id"] for o in records if o["displayFulfillmentStatus"] == "FULFILLED"}
    assert ids(status="any", fulfillment_status="shipped") == shipped
    r = _get(sim, shop, "orders/count.json", token, status="any")
    assert r.json() == {"count": len(every)}
    # nested: transactions served from the record (set here through the control API)
    target = next(o for o in records if o["refunds"])
    sim.patch(
        f"/_control/shops/{shop}/orders/{target['id']}",
        json={
            "transactions": [
                {
                    "id": "gid://shopify/OrderTransaction/77",
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "manual",
                    "amountSet": {"shopMoney": {"amount": "12.50", "currencyCode": "USD"}},
                    "createdAt": "2026-01-02T03:04:05Z",
                }
            ]
        },
    ).raise_for_status()
    tx = _get(sim, shop, f"orders/{target['id']}/transactions.json", token).json()["transactions"]
    assert tx[0]["id"] == 77 and tx[0]["kind"] == "sale" and tx[0]["amount"] == "12.50"
    assert tx[0]["order_id"] == target["id"]
    refunds = _get(sim, shop, f"orders/{target['id']}/refunds.json", token).json()["refunds"]
    assert len(refunds) == len(target["refunds"]) and refunds[0]["order_id"] == target["id"]
    r = _get(sim, shop, f"orders/{target['id']}/fulfillments/count.json", token)
    assert r.json() == {"count": len(target["fulfillments"])}


def test_events_record_changes_with_filter_and_verb(sim, shop):
    token = install(sim, shop)["access_token"]
    products = sim.get(f"/_control/shops/{shop}/products").json()["records"]
    gone = products[0]["id"]
    sim.delete(f"/_control/shops/{shop}/products/{gone}").raise_for_status()
    sim.patch(f"/_control/shops/{shop}/products/{products[1]['id']}", json={"title": "New"})
    r = _get(sim, shop, "events.json", token, filter="Product", verb="destroy")
    events = r.json()["events"]
    assert [(e["subject_type"], e["verb"], e["subject_id"]) for e in events] == [
        ("Product", "destroy", gone)
    ]
    assert _get(sim, shop, "events/count.json", token, filter="Product").json()["count"] == 2
    assert _get(sim, shop, "events.json", token, filter="Order").json() == {"events": []}


def test_request_bucket_429_and_faults_reach_rest(sim, shop):
    token = install(sim, shop)["access_token"]
    seen = []
    for _ in range(200):  # 2 requests/s leak: a fast loop fills 40 long before 200
        r = _get(sim, shop, "shop.json", token)
        seen.append(r.headers["X-Shopify-Shop-Api-Call-Limit"])
        if r.status_code == 429:
            break
    assert r.status_code == 429, seen[-3:]
    assert r.json() == {
        "errors": "Exceeded 2 calls per second for api client. "
        "Reduce request rates to resume uninterrupted service."
    }
    assert float(r.headers["Retry-After"]) >= 1 and seen[-1] == "40/40"
    time.sleep(float(r.headers["Retry-After"]))
    assert _get(sim, shop, "shop.json", token).status_code == 200
    sim.post(f"/_control/shops/{shop}/faults", json={"error_rate": 1.0, "rest_leak_rate": 100})
    r = _get(sim, shop, "customers.json", token)
    assert r.status_code in (500, 503) and r.json()["errors"] in (
        "Internal Server Error",
        "Service Unavailable",
    )
    sim.post(f"/_control/shops/{shop}/faults", json={"reset": True})
    sim.post(f"/_control/shops/{shop}/state", json={"state": "locked"})
    r = _get(sim, shop, "customers.json", token)
    assert (r.status_code, r.json()) == (423, {"errors": "Locked"})


def test_paging_walks_forward_and_back_with_filters_in_the_cursor(sim, shop):
    token = install(sim, shop)["access_token"]
    customers = sim.get(f"/_control/shops/{shop}/customers").json()["records"]
    since = customers[4]["id"]
    r = _get(sim, shop, "customers.json", token, limit=7, since_id=since, fields="id")
    walked, pages = [], [r]
    while "next" in _links(r):
        r = sim.get(_links(r)["next"], headers={"X-Shopify-Access-Token": token})
        pages.append(r)
    for p in pages:
        walked += [c["id"] for c in p.json()["customers"]]
    assert walked == [c["id"] for c in customers[5:]]
    assert "previous" not in _links(pages[0]) and "next" not in _links(pages[-1])
    back = sim.get(_links(pages[-1])["previous"], headers={"X-Shopify-Access-Token": token})
    assert back.json() == pages[-2].json()
    r = _get(sim, shop, "customers.json", token, limit=1000)
    assert len(r.json()["customers"]) == 30  # above 250 is served as 250; 30 exist
    r = _get(sim, shop, "customers.json", token, order="updated_at desc", limit=250)
    stamps = [c["updated_at"] for c in r.json()["customers"]]
    assert stamps == sorted(stamps, reverse=True)
