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

from shopsim import changes, install_access, status
from shopsim.forms import read_body
from shopsim.oauth import revoke_all, token_summary
from shopsim.records import KINDS
from shopsim.templating import esc, render
from shopsim.webhooks import deliveries_by_subscription


def _cells(values) -> str:
    return "".join(f"<td>{esc(str(v if v is not None else ''))}</td>" for v in values)


def _active_list(shop) -> str:
    lines = status.active(shop)
    if not lines:
        return '<p class="calm">No faults are active: the shop behaves like Shopify.</p>'
    return (
        '<ul class="active-faults">' + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"
    )


async def index(request: Request):
    registry = request.app.state.registry
    items = "".join(
        f'<li><a href="/_admin/{esc(d)}">{esc(d)}</a>'
        f"{' (app installed)' if registry.shops[d].installed else ''}"
        f"{_active_list(registry.shops[d])}</li>"
        for d in sorted(registry.shops)
    )
    return HTMLResponse(render("admin_index.html", raw={"items": items or "<li>None yet.</li>"}))


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
                "active": _active_list(shop),
                "bulk_options": _bulk_options((f.bulk or {}).get("mode")),
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


def _bulk_options(current: str | None) -> str:
    modes = [("", "none"), *((m, m) for m in status.BULK_OUTCOME)]
    return "".join(
        f'<option value="{m}"{" selected" if (m or None) == current else ""}>{label}</option>'
        for m, label in modes
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
    done = "Nothing was done: check the customer or order id."
    num = form.get("customer_id") or form.get("order_id")
    idx = None
    if num and str(num).strip().isdigit():
        table = shop.tables["orders" if form.get("order_id") else "customers"]
        idx = table.index_of_num(int(num))
        if not table.exists(idx):
            idx = None
    name = shop.handle
    if action == "customers/create":
        fields = {k: v for k, v in form.items() if v}
        created = changes.create(hub, shop, "customers", fields)
        done = f"Customer {shop.tables['customers'].num(created)} was created in {name}."
    elif action == "orders/create":
        fields = {"customer_id": int(num)} if idx is not None else {}
        created = changes.create(hub, shop, "orders", fields)
        done = f"Order {shop.tables['orders'].num(created)} was placed in {name}."
    elif action == "consent" and idx is not None:
        channel, state = form.get("channel", "email"), form.get("state", "SUBSCRIBED")
        changes.set_consent(hub, shop, idx, channel, state)
        what = "SMS" if channel == "sms" else "Email"
        done = f"{what} marketing consent of customer {num} is now {state}."
    elif action == "orders/action" and idx is not None:
        what = form.get("action")
        if what == "fulfill":
            changes.fulfill(
                hub, shop, idx, "all", form.get("tracking_number") or None, "IN_TRANSIT"
            )
            done = f"Order {num} was fulfilled."
        elif what == "refund":
            changes.refund(hub, shop, idx, 10.0)
            done = f"10.00 of order {num} was refunded."
        elif what == "cancel":
            changes.cancel(hub, shop, idx)
            done = f"Order {num} was cancelled."
        elif what == "pay":
            changes.pay(hub, shop, idx)
            done = f"Order {num} was marked as paid."
    elif action == "scopes":
        changes.set_scopes(
            hub, shop, [s.strip() for s in str(form.get("scopes", "")).split(",") if s.strip()]
        )
        granted = ", ".join(shop.granted_scopes)
        done = (
            f"The app's granted scopes on {name} are now: {granted}."
            if granted
            else f"The app now has no granted scopes on {name}."
        )
    elif action == "install-permission":
        install_access.set_allowed(shop, form.get("allowed") == "yes")
        done = (
            f"The install page of {name} is now opened by the store owner, who can install apps."
            if install_access.allowed(shop)
            else f"The install page of {name} is now opened by a staff member without "
            "permission to install apps: installing and reconnecting will be refused."
        )
    elif action == "state" and form.get("state") in ("active", "frozen", "locked"):
        shop.state = form["state"]
        done = {
            "active": f"{name} is active: the Admin API answers normally.",
            "frozen": f"{name} is now frozen: the Admin API answers 402 Payment Required "
            "until you set it active again.",
            "locked": f"{name} is now locked: the Admin API answers 423 Locked until you "
            "set it active again.",
        }[shop.state]
    elif action == "revoke":
        revoke_all(shop)
        done = f"Every access token for {name} was revoked: the app's next call gets 401."
    elif action == "uninstall":
        changes.uninstall(hub, shop)
        done = f"The app was uninstalled from {name} and its tokens no longer work."
    elif action == "compliance" and form.get("topic") in (
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    ):
        changes.compliance(hub, shop, form["topic"], idx)
        done = f"The {form['topic']} compliance webhook was sent to the app."
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
        lines = [line for line in status.active(shop) if not line.startswith("Bulk")]
        done = " ".join(
            [status.bulk_sentence(shop, f.bulk)]
            + (lines or [f"No other faults are active on {name}."])
        )
    return RedirectResponse(f"/_admin/{shop.domain}?done={quote(done)}", status_code=303)


routes = [
    Route("/_admin", index),
    Route("/_admin/open", open_shop),
    Route("/_admin/{shop}", page),
    Route("/_admin/{shop}/{action:path}", act, methods=["POST"]),
]
