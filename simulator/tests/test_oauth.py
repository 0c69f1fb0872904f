"""OAuth: HMAC vectors, install/cancel redirects, code exchange, refresh rotation, uninstall."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlparse

from shopsim.signing import query_message, sign_message, sign_query

from conftest import CLIENT_ID, SECRET, install, load_json


def test_oauth_vectors_verify_with_signing_function():
    """Every published vector verifies with the simulator's own signing function."""
    for v in load_json("oauth_query_hmac_vectors.json"):
        if "params" in v:
            params = v["params"]
        else:
            params = dict(parse_qsl(v["raw_query"], keep_blank_values=True))
        assert query_message(params) == v["signed_message"], v["name"]
        assert sign_query(params, v["secret"]) == v["expected_hmac_hex"], v["name"]
        assert sign_message(v["signed_message"], v["secret"]) == v["expected_hmac_hex"]


def _authorize(sim, shop, decision, scope="read_customers,read_orders", state="nonce-1"):
    r = sim.get(
        f"/{shop}/admin/oauth/authorize",
        params={
            "client_id": CLIENT_ID,
            "scope": scope,
            "redirect_uri": "http://app.test/cb",
            "state": state,
            "grant_options[]": "",
        },
    )
    assert r.status_code == 200
    assert "Install app" in r.text and "Cancel" in r.text and "read_orders" in r.text
    return sim.post(
        f"/{shop}/admin/oauth/authorize",
        data={
            "client_id": CLIENT_ID,
            "redirect_uri": "http://app.test/cb",
            "state": state,
            "scope": scope,
            "grant": "",
            "decision": decision,
        },
    )


def test_install_redirect_is_signed_and_code_is_single_use(sim, shop):
    r = _authorize(sim, shop, "install")
    assert r.status_code == 302
    loc = urlparse(r.headers["location"])
    assert loc.netloc == "app.test"
    q = dict(parse_qsl(loc.query))
    assert set(q) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert q["shop"] == shop and q["state"] == "nonce-1"
    assert abs(int(q["timestamp"]) - time.time()) < 30
    assert sign_query(q, SECRET) == q["hmac"]
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, "code": q["code"], "expiring": "1"}
    tok = sim.post(f"/{shop}/admin/oauth/access_token", json=body)
    assert tok.status_code == 200
    t = tok.json()
    assert set(t) == {
        "access_token",
        "scope",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert t["scope"] == "read_customers,read_orders" and t["expires_in"] == 3600
    assert t["refresh_token_expires_in"] == 90 * 86400
    again = sim.post(f"/{shop}/admin/oauth/access_token", json=body)
    assert again.status_code == 400
    scopes = sim.get(
        f"/{shop}/admin/oauth/access_scopes.json",
        headers={"X-Shopify-Access-Token": t["access_token"]},
    )
    assert scopes.json() == {
        "access_scopes": [{"handle": "read_customers"}, {"handle": "read_orders"}]
    }


def test_cancel_redirects_with_access_denied(sim, shop):
    r = _authorize(sim, shop, "cancel")
    q = dict(parse_qsl(urlparse(r.headers["location"]).query))
    assert q["error"] == "access_denied" and q["state"] == "nonce-1" and q["shop"] == shop


def test_authorize_rejects_bad_client_and_redirect(sim, shop):
    bad = sim.get(
        f"/{shop}/admin/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": "http://app.test/cb"},
    )
    assert bad.status_code == 400 and "<html" in bad.text
    bad = sim.get(
        f"/{shop}/admin/oauth/authorize",
        params={"client_id": CLIENT_ID, "redirect_uri": "http://evil.test/cb"},
    )
    assert bad.status_code == 400


def test_form_encoded_exchange_and_bad_client_secret(sim, shop):
    r = _authorize(sim, shop, "install")
    code = dict(parse_qsl(urlparse(r.headers["location"]).query))["code"]
    bad = sim.post(
        f"/{shop}/admin/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": "x", "code": code},
    )
    assert bad.status_code == 401
    ok = sim.post(
        f"/{shop}/admin/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": SECRET, "code": code},
    )
    assert ok.status_code == 200 and "refresh_token" not in ok.json()


def _refresh(sim, shop, rt):
    return sim.post(
        f"/{shop}/admin/oauth/access_token",
        json={
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "grant_type": "refresh_token",
            "refresh_token": rt,
        },
    )


def test_refresh_rotation_and_predecessor_rule(sim, shop):
    """A refresh returns a new pair; the predecessor works until the replacement is used."""
    first = install(sim, shop)
    r1 = _refresh(sim, shop, first["refresh_token"])
    assert r1.status_code == 200
    second = r1.json()
    assert (
        second["refresh_token"] != first["refresh_token"]
        and second["access_token"] != first["access_token"]
    )
    # Predecessor may be retried while the replacement is unused (post-2026-08-28 rule).
    retry = _refresh(sim, shop, first["refresh_token"])
    assert retry.status_code == 200
    third = _refresh(sim, shop, retry.json()["refresh_token"])
    assert third.status_code == 200
    dead = _refresh(sim, shop, first["refresh_token"])
    assert dead.status_code == 400
    assert dead.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid or expired",
    }
    assert _refresh(sim, shop, "shprt_bogus").json()["error"] == "invalid_grant"


def test_uninstall_revokes_tokens_and_fires_app_uninstalled(sim, shop, receiver):
    tok = install(sim, shop)
    h = {"X-Shopify-Access-Token": tok["access_token"]}
    assert sim.get(f"/{shop}/admin/oauth/access_scopes.json", headers=h).status_code == 200
    assert sim.post(f"/_control/shops/{shop}/uninstall").status_code == 200
    r = sim.get(f"/{shop}/admin/oauth/access_scopes.json", headers=h)
    assert r.status_code == 401
    assert r.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    assert _refresh(sim, shop, tok["refresh_token"]).status_code == 400
    calls = [
        c
        for c in receiver.wait("/app", topic="app/uninstalled", n=1)
        if c["headers"]["X-Shopify-Shop-Domain"] == shop
    ]
    assert calls
    redact = [
        c
        for c in receiver.wait("/app", topic="shop/redact", n=1, timeout=10)
        if c["headers"]["X-Shopify-Shop-Domain"] == shop
    ]
    assert redact and b'"shop_domain"' in redact[0]["body"]
    assert sim.get(f"/_control/shops/{shop}").json()["installed"] is False
    assert sim.get(f"/_control/shops/{shop}/tokens").json()["active"] == 0


def test_expired_access_token_gets_401_and_refresh_recovers():
    """Lifetimes are configurable; an expired token answers Shopify's 401 body."""
    from shopsim.app import create_app
    from shopsim.config import Settings
    from starlette.testclient import TestClient

    app = create_app(Settings(token_ttl=1, time_scale=0.001))
    shop = "ttl.myshopify.com"
    with TestClient(app) as c:
        tok = c.post(f"/_control/shops/{shop}/install", json={"scopes": ["read_customers"]}).json()
        assert tok["expires_in"] == 1
        h = {"X-Shopify-Access-Token": tok["access_token"]}
        q = {"query": "{ shop { name } }"}
        assert (
            c.post(f"/{shop}/admin/api/2026-10/graphql.json", headers=h, json=q).status_code == 200
        )
        time.sleep(1.1)
        r = c.post(f"/{shop}/admin/api/2026-10/graphql.json", headers=h, json=q)
        assert r.status_code == 401
        new = c.post(
            f"/{shop}/admin/oauth/access_token",
            json={
                "client_id": "shoplink-demo",
                "client_secret": "shoplink-demo-secret",
                "grant_type": "refresh_token",
                "refresh_token": tok["refresh_token"],
            },
        ).json()
        h = {"X-Shopify-Access-Token": new["access_token"]}
        assert (
            c.post(f"/{shop}/admin/api/2026-10/graphql.json", headers=h, json=q).status_code == 200
        )
        assert c.get(f"/_control/shops/{shop}/tokens").json()["issued"] == 2


def _granted(sim, shop, data) -> str:
    r = sim.post(
        f"/{shop}/admin/oauth/authorize",
        data={
            "client_id": CLIENT_ID,
            "redirect_uri": "http://app.test/cb",
            "state": "nonce-1",
            "scope": "read_customers,read_orders",
            "grant": "",
            "decision": "install",
            **data,
        },
    )
    code = dict(parse_qsl(urlparse(r.headers["location"]).query))["code"]
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, "code": code, "expiring": "1"}
    return sim.post(f"/{shop}/admin/oauth/access_token", json=body).json()["scope"]


def test_the_grant_is_exactly_what_the_install_page_approved(sim, shop):
    page = sim.get(
        f"/{shop}/admin/oauth/authorize",
        params={
            "client_id": CLIENT_ID,
            "scope": "read_customers,read_orders",
            "redirect_uri": "http://app.test/cb",
            "state": "nonce-1",
        },
    )
    assert 'name="approve" value="read_orders" checked' in page.text
    # A grant trimmed from Shopify's side does not stick: a new install grants the set.
    # (Its app/scopes_update is dropped: the receiver is shared with other tests.)
    sim.post(f"/_control/shops/{shop}/faults", json={"webhooks": {"drop_rate": 1.0}})
    sim.post(f"/_control/shops/{shop}/scopes", json={"scopes": ["read_customers"]})
    both = {"approve": ["read_customers", "read_orders"]}
    assert _granted(sim, shop, both) == "read_customers,read_orders"
    # Unticking a scope on the page leaves it out of the grant.
    one = {"approve": "read_customers"}
    assert _granted(sim, shop, one) == "read_customers"
    # A post without the boxes (a script) approves everything requested.
    assert _granted(sim, shop, {}) == "read_customers,read_orders"
