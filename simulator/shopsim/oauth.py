"""OAuth install page, codes, expiring offline tokens and refresh rotation (PLATFORM §1)."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from shopsim import install_access
from shopsim.forms import read_body
from shopsim.hosts import PREFIX_KEY
from shopsim.signing import sign_query
from shopsim.store import Shop
from shopsim.templating import esc, render

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
CODE_TTL = 60  # seconds; Shopify's codes are short-lived and single use
PREDECESSOR_CAP = 30 * 86400  # post-2026-08-28 rule: predecessor usable ≤ 30 days after first use


def _error_page(code: int, message: str) -> HTMLResponse:
    return HTMLResponse(render("error.html", code=code, message=message), status_code=code)


def _redirect_allowed(settings, uri: str) -> bool:
    if not uri.startswith(("http://", "https://")):
        return False
    if not settings.redirect_urls:
        return True
    return any(uri.startswith(prefix) for prefix in settings.redirect_urls)


def issue_tokens(shop: Shop, scopes: list[str], expiring: bool, online: bool = False) -> dict:
    """Create an access token (and refresh token when expiring) and return the token response."""
    s = shop.settings
    now = time.time()
    access = "shpat_" + secrets.token_hex(16)
    shop.tokens[access] = {
        "expires_at": now + s.token_ttl if (expiring or online) else None,
        "revoked": False,
        "scopes": list(scopes),
        "issued_at": now,
        "online": online,
    }
    shop.tokens_issued += 1
    body = {"access_token": access, "scope": ",".join(scopes)}
    if online:
        body.update(
            expires_in=min(s.token_ttl, 86400),
            associated_user_scope=",".join(scopes),
            associated_user={
                "id": 902541635,
                "first_name": "Sam",
                "last_name": "Staff",
                "email": "staff@example.com",
                "email_verified": True,
                "account_owner": True,
                "locale": "en",
                "collaborator": False,
            },
        )
    elif expiring:
        refresh = "shprt_" + secrets.token_hex(16)
        shop.refresh_tokens[refresh] = {
            "expires_at": now + s.refresh_token_ttl,
            "first_used_at": None,
            "predecessor": None,
            "retired": False,
            "scopes": list(scopes),
        }
        body.update(
            expires_in=s.token_ttl,
            refresh_token=refresh,
            refresh_token_expires_in=s.refresh_token_ttl,
        )
    return body


def check_access_token(shop: Shop, token: str | None) -> bool:
    info = shop.tokens.get(token or "")
    if not info or info["revoked"]:
        return False
    return info["expires_at"] is None or info["expires_at"] > time.time()


def revoke_all(shop: Shop) -> None:
    for info in shop.tokens.values():
        info["revoked"] = True
    for info in shop.refresh_tokens.values():
        info["retired"] = True
    shop.codes.clear()


def token_summary(shop: Shop) -> dict:
    now = time.time()
    active = [
        t
        for t in shop.tokens.values()
        if not t["revoked"] and (t["expires_at"] is None or t["expires_at"] > now)
    ]
    exp = max((t["expires_at"] for t in active if t["expires_at"]), default=None)
    return {
        "issued": shop.tokens_issued,
        "active": len(active),
        "expires_at": exp,
        "expires_in": round(exp - now, 1) if exp else None,
        "refresh_tokens_live": sum(
            1 for r in shop.refresh_tokens.values() if not r["retired"] and r["expires_at"] > now
        ),
    }


async def authorize_page(request: Request, shop: Shop) -> Response:
    s = shop.settings
    q = request.query_params
    client_id = q.get("client_id", "")
    redirect_uri = q.get("redirect_uri", "")
    if client_id != s.client_id:
        return _error_page(400, f"The app couldn't be found (client_id {client_id!r}).")
    if not _redirect_allowed(s, redirect_uri):
        return _error_page(400, "The redirect_uri is not whitelisted")
    if not install_access.allowed(shop):
        return install_access.denied_page(shop)
    scopes = [x.strip() for x in q.get("scope", "").split(",") if x.strip()]
    grant = q.getlist("grant_options[]")
    hidden = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
        for k, v in [
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", q.get("state", "")),
            ("scope", ",".join(scopes)),
            ("grant", ",".join(grant)),
        ]
    )
    # One checkbox per requested scope, all ticked: the merchant approves the set (a
    # rehearsal can untick one to get a short grant); what is ticked is what is granted.
    items = (
        "".join(
            f'<li><label><input type="checkbox" form="install-form" name="approve" '
            f'value="{esc(x)}" checked> <code>{esc(x)}</code></label></li>'
            for x in scopes
        )
        or "<li>Scopes declared in the app configuration</li>"
    )
    page = render(
        "authorize.html",
        raw={"scope_items": items, "hidden": hidden},
        shop=shop.domain,
        shop_name=shop.props["name"],
        app_name="Shoplink",
        # Post back the way the page was reached: host-addressed or under the path prefix.
        action=request.scope.get(PREFIX_KEY, f"/{shop.domain}") + "/admin/oauth/authorize",
        access_mode="online (per-user)" if "per-user" in grant else "offline",
    )
    return HTMLResponse(page)


async def authorize_decision(request: Request, shop: Shop) -> Response:
    s = shop.settings
    form = await read_body(request)
    redirect_uri = str(form.get("redirect_uri", ""))
    if form.get("client_id") != s.client_id or not _redirect_allowed(s, redirect_uri):
        return _error_page(400, "Invalid install request")
    if form.get("decision") == "install" and not install_access.allowed(shop):
        return install_access.denied_page(shop)
    state = str(form.get("state", ""))
    sep = "&" if "?" in redirect_uri else "?"
    if form.get("decision") != "install":
        # Shopify does not document a cancel redirect; we follow OAuth 2 (RFC 6749 §4.1.2.1)
        # and send the merchant back with error=access_denied.
        params = {
            "error": "access_denied",
            "error_description": "The merchant declined to install the app.",
            "state": state,
            "shop": shop.domain,
        }
        return RedirectResponse(
            redirect_uri + sep + urlencode(params, quote_via=quote), status_code=302
        )
    requested = [x for x in str(form.get("scope", "")).split(",") if x]
    # Exactly what the merchant approved on the page (a new grant replaces any trimmed
    # one); a form without ticked boxes (a script posting the hidden fields) approves
    # everything requested, as Shopify's own page does.
    approved = form.get("approve", [])
    approved = [approved] if isinstance(approved, str) else list(approved)
    if requested and approved:
        granted = [x for x in requested if x in approved]
    else:
        granted = requested or list(shop.granted_scopes)
    code = secrets.token_hex(16)
    shop.codes[code] = {
        "expires_at": time.time() + CODE_TTL,
        "scopes": granted,
        "online": "per-user" in str(form.get("grant", "")),
    }
    params = {
        "code": code,
        "host": base64.b64encode(f"admin.shopify.com/store/{shop.handle}".encode())
        .decode()
        .rstrip("="),
        "shop": shop.domain,
        "state": state,
        "timestamp": str(int(time.time())),
    }
    params["hmac"] = sign_query(params, s.client_secret)
    return RedirectResponse(
        redirect_uri + sep + urlencode(params, quote_via=quote), status_code=302
    )


def _invalid_grant() -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired"},
        status_code=400,
    )


async def access_token(request: Request, shop: Shop, on_install) -> Response:
    s = shop.settings
    data = await read_body(request)
    if data.get("client_id") != s.client_id or data.get("client_secret") != s.client_secret:
        return JSONResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed"},
            status_code=401,
        )
    expiring = str(data.get("expiring", "0")) == "1"
    if data.get("grant_type") == "refresh_token" and shop.faults.latency_ms:
        # A slow refresh, as a slow Admin API (faults.latency_ms applies to both), so
        # clients can be tested for what they hold while they wait.
        await asyncio.sleep(float(shop.faults.latency_ms) / 1000)
    now = time.time()
    with shop.lock:
        if data.get("grant_type") == "refresh_token":
            rt = str(data.get("refresh_token", ""))
            info = shop.refresh_tokens.get(rt)
            if not info or info["retired"] or info["expires_at"] <= now:
                return _invalid_grant()
            if info["first_used_at"] and now - info["first_used_at"] > PREDECESSOR_CAP:
                return _invalid_grant()
            info["first_used_at"] = info["first_used_at"] or now
            # Using a replacement retires its predecessor (changelog "more resilient refreshes",
            # Aug 28 2026); until then the predecessor may be retried.
            if info["predecessor"] and info["predecessor"] in shop.refresh_tokens:
                shop.refresh_tokens[info["predecessor"]]["retired"] = True
            body = issue_tokens(shop, info["scopes"], expiring=True)
            new = shop.refresh_tokens[body["refresh_token"]]
            new["predecessor"] = rt
            # Never outlive the original 90-day chain lifetime of the predecessor window.
            return JSONResponse(body)
        code = str(data.get("code", ""))
        info = shop.codes.pop(code, None)
        if not info or info["expires_at"] < now:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "The authorization code was not found or was already used",
                },
                status_code=400,
            )
        first_install = not shop.installed
        shop.installed = True
        shop.granted_scopes = info["scopes"]
        body = issue_tokens(shop, info["scopes"], expiring=expiring, online=info["online"])
    if first_install:
        on_install(shop)
    return JSONResponse(body)


async def access_scopes(request: Request, shop: Shop) -> Response:
    if not check_access_token(shop, request.headers.get("x-shopify-access-token")):
        return JSONResponse(
            {"errors": INVALID_TOKEN},
            status_code=401,
        )
    return JSONResponse({"access_scopes": [{"handle": x} for x in shop.granted_scopes]})
