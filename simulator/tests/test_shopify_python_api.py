"""Shopify's official Python library (`ShopifyAPI`) against the simulator over HTTPS.

The library is an outside client written against Shopify's documentation: if it can install,
query GraphQL, page through every REST resource and read its call limits here, a team with
an existing client can point it at shopsim. See `shopify_lib` for how it reaches us.
"""

from __future__ import annotations

import json
import re
import ssl
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import shopify
from pyactiveresource.connection import ClientError
from shopify_lib import resolve_myshopify_locally, start_tls_simulator

from conftest import CLIENT_ID, SECRET

V = "2026-10"
SCOPES = ["read_customers", "read_orders", "read_products"]


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    proc, port, cert = start_tls_simulator(tmp_path_factory.mktemp("tls"))
    trusted = ssl.create_default_context(cafile=str(cert))
    control = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trusted, timeout=60)
    control.trusted = trusted
    yield control, port, cert
    control.close()
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def lib(tls_sim, monkeypatch):
    """The library configured the documented way, its hosts resolved to the simulator."""
    control, port, cert = tls_sim
    resolve_myshopify_locally(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the throw-away certificate
    monkeypatch.setattr(shopify.Session, "port", port)
    shopify.Session.setup(api_key=CLIENT_ID, secret=SECRET)
    shopify.ApiVersion.define_version(shopify.Release(V))
    yield control
    shopify.ShopifyResource.clear_session()


def _store(control, shop: str, **profile) -> str:
    control.post("/_control/shops", json={"domain": shop, **profile}).raise_for_status()
    r = control.post(f"/_control/shops/{shop}/install", json={"scopes": SCOPES})
    r.raise_for_status()
    return r.json()["access_token"]


def _activate(shop: str, token: str) -> shopify.Session:
    session = shopify.Session(shop, V, token)
    shopify.ShopifyResource.activate_session(session)
    return session


def _walk(first) -> list:
    """Every record of a paginated find, following `next_page()` to the end."""
    page, out = first, list(first)
    while page.has_next_page():
        page = page.next_page()
        out += list(page)
    return out


def test_oauth_helpers_token_request_and_graphql(lib):
    control, shop = lib, "lib-oauth.myshopify.com"
    session = shopify.Session(shop, V)
    url = session.create_permission_url(SCOPES, "http://app.test/callback", state="n-1")
    assert url.startswith(f"https://{shop}:")
    # The merchant's browser: open the install page, press Install.
    with httpx.Client(verify=control.trusted, timeout=30) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "Install" in page.text
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
        origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        back = browser.post(origin + action, data={**form, "decision": "install"})
    assert back.status_code == 302
    params = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
    assert shopify.Session.validate_params(params)
    assert not shopify.Session.validate_params({**params, "state": "forged"})
    token = session.request_token(params)
    assert token.startswith("shpat_") and sorted(session.access_scopes) == SCOPES
    shopify.ShopifyResource.activate_session(session)
    assert shopify.Shop.current().myshopify_domain == shop
    result = json.loads(shopify.GraphQL().execute("{ shop { myshopifyDomain } }"))
    assert result["data"]["shop"]["myshopifyDomain"] == shop
    assert sorted(s.handle for s in shopify.AccessScope.find()) == sorted(SCOPES)


def test_every_rest_resource_pages_through_a_whole_store(lib):
    control, shop = lib, "lib-walk.myshopify.com"
    profile = {"customers": 320, "orders": 420, "products": 40, "collections": 9, "checkouts": 30}
    token = _store(control, shop, plan="plus", **profile)  # Plus: a 400-request bucket
    smart = {"title": "Eco", "ruleSet": {"appliedDisjunctively": False, "rules": [
        {"column": "TAG", "relation": "EQUALS", "condition": "eco"}]}}  # fmt: skip
    control.post(f"/_control/shops/{shop}/collections", json=smart).raise_for_status()
    counts = control.get(f"/_control/shops/{shop}").json()["counts"]
    _activate(shop, token)

    customers = _walk(shopify.Customer.find(limit=250))
    assert len({c.id for c in customers}) == len(customers) == counts["customers"]
    assert customers[0].email and customers[0].addresses[0].customer_id == customers[0].id
    assert shopify.Customer.count() == counts["customers"]
    # The library turns every nested dict into an object (~40 ms an order here), so the
    # order walk asks for a few fields; one full page checks the whole shape.
    orders = _walk(shopify.Order.find(limit=150, status="any", fields="id,cancelled_at"))
    assert len({o.id for o in orders}) == len(orders) == counts["orders"]
    assert shopify.Order.count(status="any") == counts["orders"]
    open_orders = _walk(shopify.Order.find(limit=250, fields="id"))  # default: open only
    assert len(open_orders) == sum(1 for o in orders if o.cancelled_at is None) < len(orders)
    full = shopify.Order.find(limit=3, status="any")
    assert full[0].line_items[0].variant_id and full[0].total_price_set.shop_money.amount
    products = _walk(shopify.Product.find(limit=7))
    assert len({p.id for p in products}) == len(products) == counts["products"]
    assert all(p.variants and p.images for p in products)
    custom = _walk(shopify.CustomCollection.find(limit=4))
    smart_found = _walk(shopify.SmartCollection.find(limit=4))
    assert len(custom) + len(smart_found) == counts["collections"] == 10
    assert [s.title for s in smart_found] == ["Eco"] and smart_found[0].rules[0].column == "tag"
    collects = _walk(shopify.Collect.find(limit=5))
    members = control.get(f"/_control/shops/{shop}/collections", params={"limit": 100}).json()
    expected = sum(len(r["products"]) for r in members["records"] if not r.get("ruleSet"))
    assert len({c.id for c in collects}) == len(collects) == expected
    checkouts = _walk(shopify.Checkout.find(limit=4))
    abandoned = control.get(f"/_control/shops/{shop}/checkouts", params={"limit": 100}).json()
    assert len(checkouts) == sum(1 for r in abandoned["records"] if not r.get("completedAt"))
    # and back again once
    page = shopify.Customer.find(limit=250)
    second = page.next_page()
    assert second.has_previous_page()
    assert [c.id for c in second.previous_page()] == [c.id for c in page]


def test_nested_resources_events_and_webhooks(lib):
    control, shop = lib, "lib-nested.myshopify.com"
    token = _store(control, shop, customers=20, orders=60, products=6, collections=2)
    records = control.get(f"/_control/shops/{shop}/orders", params={"limit": 100}).json()
    order = next(o for o in records["records"] if o["refunds"] and o["fulfillments"])
    tx = {"id": "gid://shopify/OrderTransaction/5", "kind": "SALE", "status": "SUCCESS",
          "amountSet": {"shopMoney": {"amount": "9.99", "currencyCode": "USD"}}}  # fmt: skip
    control.patch(f"/_control/shops/{shop}/orders/{order['id']}", json={"transactions": [tx]})
    _activate(shop, token)
    assert [t.amount for t in shopify.Transaction.find(order_id=order["id"])] == ["9.99"]
    assert len(shopify.Refund.find(order_id=order["id"])) == len(order["refunds"])
    assert len(shopify.Fulfillment.find(order_id=order["id"])) == len(order["fulfillments"])
    customer = shopify.Customer.find(limit=1)[0]
    addresses = customer.get("addresses")
    assert addresses and addresses[0]["customer_id"] == customer.id
    product = shopify.Product.find(limit=1)[0]
    control.delete(f"/_control/shops/{shop}/products/{product.id}").raise_for_status()
    destroyed = shopify.Event.find(filter="Product", verb="destroy")
    assert [(e.subject_id, e.verb) for e in destroyed] == [(product.id, "destroy")]
    hook = shopify.Webhook.create(
        {"topic": "customers/update", "address": "https://hooks.test/c", "format": "json"}
    )
    assert hook.errors.full_messages() == [] and hook.id
    assert [w.id for w in shopify.Webhook.find()] == [hook.id]
    assert shopify.Webhook.count() == 1
    hook.destroy()
    assert list(shopify.Webhook.find()) == []


def test_limits_helper_and_429(lib):
    control, shop = lib, "lib-limits.myshopify.com"
    token = _store(control, shop, customers=5, orders=5, products=2, collections=1)
    _activate(shop, token)
    shopify.Shop.current()
    assert shopify.Limits.credit_limit() == 40
    assert 1 <= shopify.Limits.credit_used() < 40
    assert shopify.Limits.credit_left() == 40 - shopify.Limits.credit_used()
    with pytest.raises(ClientError) as err:
        for _ in range(200):
            shopify.Customer.find(limit=1)
    assert err.value.response.code == 429
    assert float(err.value.response.headers["Retry-After"]) >= 1
    assert shopify.Limits.credit_maxed()
