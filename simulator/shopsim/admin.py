"""The small HTML admin page: `/_admin` lists shops, `/_admin/<shop>` shows and changes one.

Plain HTML forms (no JS); every POST calls the same `changes` functions as the control
API, so the webhooks fire exactly as they would from any other change.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from shopsim import changes, install_access
from shopsim.forms import read_body
from shopsim.oauth import revoke_all, token_summary
from shopsim.records import KINDS
from shopsim.templating import esc, render
from shopsim.webhooks import deliveries_by_subscription


def _cells(values) -> str:
    return "".join(f"<td>{esc(str(v if v is not None else ''))}</td>" for v in values)


async def index(request: Request):
    shops = sorted(request.app.state.registry.shops)
    items = (
        "".join(f'<li><a href="/_admin/{esc(s)}">{esc(s)}</a></li>' for s in shops)
        or "<li>none yet</li>"
    )
    return HTMLResponse(render("admin_index.html", raw={"items": items}))


async def open_shop(request: Request):
    return RedirectResponse(
        f"/_admin/{quote(request.query_params.get('shop', ''))}", status_code=303
    )


def _recent(shop, kind, n=10):
    t = shop.tables[kind]
    out = []
    for i in t.indexes(reverse=True):
        out.append((t.num(i), t.get(i)))
        if len(out) >= n:
            break
    return out


async def page(request: Request):
    shop = request.app.state.registry.get(request.path_params["shop"])
    if shop is None:
        return HTMLResponse("unknown shop", status_code=404)
    customers = "".join(
        "<tr>"
        + _cells(
            [
                num,
                c.get("displayName"),
                c.get("email"),
                (c.get("emailMarketingConsent") or {}).get("marketingState"),
                (c.get("smsMarketingConsent") or {}).get("marketingState"),
                c.get("updatedAt"),
            ]
        )
        + "</tr>"
        for num, c in _recent(shop, "customers")
    )
    orders = "".join(
        "<tr>"
        + _cells(
            [
                num,
                o.get("name"),
                o.get("displayFinancialStatus"),
                o.get("displayFulfillmentStatus"),
                o["currentTotalPriceSet"]["shopMoney"]["amount"],
                o.get("updatedAt"),
            ]
        )
        + "</tr>"
        for num, o in _recent(shop, "orders")
    )
    log = "".join(
        "<tr>" + _cells([e["topic"], e["attempt"], e["status"], e["outcome"], e["url"]]) + "</tr>"
        for e in shop.webhook_log[-20:][::-1]
    )
    f = shop.faults
    wf = f.webhooks or {}
    subscriptions = _subscription_log(shop)
    flash = request.query_params.get("done")
    return HTMLResponse(
        render(
            "admin_shop.html",
            raw={
                "count_heads": "".join(f"<th>{k}</th>" for k in KINDS),
                "count_cells": _cells(shop.tables[k].live_count() for k in KINDS),
                "customers": customers,
                "orders": orders,
                "log": log,
                "subscriptions": subscriptions,
                "flash": f'<p class="flash">{esc(flash)}</p>' if flash else "",
                "reorder": "checked" if wf.get("reorder") else "",
            },
            domain=shop.domain,
            name=shop.props["name"],
            installed=shop.installed,
            state=shop.state,
            installer="store owner" if install_access.allowed(shop) else "staff without permission",
            scopes=",".join(shop.granted_scopes),
            tokens=token_summary(shop)["active"],
            error_rate=f.error_rate,
            latency_ms=f.latency_ms,
            restore_rate=f.restore_rate or "",
            duplicate_rate=wf.get("duplicate_rate", 0),
            drop_rate=wf.get("drop_rate", 0),
            delay_ms=wf.get("delay_ms", 0),
        )
    )


def _when(ts) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts)) + " UTC" if ts else "—"


def _subscription_log(shop) -> str:
    """Shopify's Settings → Notifications → Webhooks: deliveries per subscription."""
    blocks = []
    for sub in deliveries_by_subscription(shop):
        rows = (
            "".join(
                f'<tr data-webhook-id="{esc(d["webhook_id"])}" data-state="{d["state"]}">'
                + _cells(
                    [
                        d["webhook_id"][:8],
                        d["state"],
                        d["tries"],
                        d["status"] if d["status"] is not None else "—",
                        _when(d["at"]),
                        _when(d.get("next_retry_at")),
                    ]
                )
                + "</tr>"
                for d in sub["deliveries"]
            )
            or '<tr><td colspan="6">No deliveries yet.</td></tr>'
        )
        removed = " (removed after failed retries)" if sub.get("removed") else ""
        blocks.append(
            f'<details class="subscription" data-topic="{esc(sub["topic"])}"'
            f"{' open' if sub['deliveries'] else ''}>"
            f"<summary><code>{esc(sub['topic'])}</code> → {esc(sub['uri'])}{removed}</summary>"
            "<table><tr><th>delivery</th><th>state</th><th>attempts</th><th>response</th>"
            f"<th>last attempt</th><th>next retry</th></tr>{rows}</table></details>"
        )
    return "".join(blocks) or "<p>No webhook subscriptions.</p>"


def _float(v, default=0.0):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


async def act(request: Request):
    shop = request.app.state.registry.get(request.path_params["shop"])
    if shop is None:
        return HTMLResponse("unknown shop", status_code=404)
    action = request.path_params["action"]
    form = await read_body(request)
    hub = request.app.state.hub
    done = action
    num = form.get("customer_id") or form.get("order_id")
    idx = None
    if num and str(num).strip().isdigit():
        table = shop.tables["orders" if form.get("order_id") else "customers"]
        idx = table.index_of_num(int(num))
        if not table.exists(idx):
            idx = None
    if action == "customers/create":
        fields = {k: v for k, v in form.items() if v}
        created = changes.create(hub, shop, "customers", fields)
        done = f"created customer {shop.tables['customers'].num(created)}"
    elif action == "orders/create":
        fields = {"customer_id": int(num)} if idx is not None else {}
        created = changes.create(hub, shop, "orders", fields)
        done = f"placed order {shop.tables['orders'].num(created)}"
    elif action == "consent" and idx is not None:
        changes.set_consent(
            hub, shop, idx, form.get("channel", "email"), form.get("state", "SUBSCRIBED")
        )
    elif action == "orders/action" and idx is not None:
        what = form.get("action")
        if what == "fulfill":
            changes.fulfill(
                hub, shop, idx, "all", form.get("tracking_number") or None, "IN_TRANSIT"
            )
        elif what == "refund":
            changes.refund(hub, shop, idx, 10.0)
        elif what == "cancel":
            changes.cancel(hub, shop, idx)
        elif what == "pay":
            changes.pay(hub, shop, idx)
        done = f"{what} order {num}"
    elif action == "scopes":
        changes.set_scopes(
            hub, shop, [s.strip() for s in str(form.get("scopes", "")).split(",") if s.strip()]
        )
    elif action == "install-permission":
        install_access.set_allowed(shop, form.get("allowed") == "yes")
    elif action == "state" and form.get("state") in ("active", "frozen", "locked"):
        shop.state = form["state"]
    elif action == "revoke":
        revoke_all(shop)
    elif action == "uninstall":
        changes.uninstall(hub, shop)
    elif action == "compliance" and form.get("topic") in (
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    ):
        changes.compliance(hub, shop, form["topic"], idx)
    elif action == "faults":
        f = shop.faults
        f.error_rate = _float(form.get("error_rate"))
        f.latency_ms = int(_float(form.get("latency_ms")))
        f.restore_rate = _float(form.get("restore_rate")) or None
        shop.bucket_available = None
        f.bulk = {"mode": form["bulk_mode"]} if form.get("bulk_mode") else {}
        f.webhooks = {
            "duplicate_rate": _float(form.get("duplicate_rate")),
            "drop_rate": _float(form.get("drop_rate")),
            "delay_ms": _float(form.get("delay_ms")),
            "reorder": bool(form.get("reorder")),
        }
    else:
        done = f"nothing to do for {action} (check the id)"
    return RedirectResponse(f"/_admin/{shop.domain}?done={quote(done)}", status_code=303)


routes = [
    Route("/_admin", index),
    Route("/_admin/open", open_shop),
    Route("/_admin/{shop}", page),
    Route("/_admin/{shop}/{action:path}", act, methods=["POST"]),
]
