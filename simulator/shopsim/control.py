"""The JSON control API under `/_control` (README "Control API"): records, installs, faults."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shopsim import changes, install_access
from shopsim.config import Profile
from shopsim.forms import read_body
from shopsim.oauth import issue_tokens, revoke_all, token_summary
from shopsim.records import KINDS
from shopsim.store import SHOP_RE, Faults

RESOURCES = set(KINDS)


class ORJSONResponse(JSONResponse):
    def render(self, content) -> bytes:
        return orjson.dumps(content, default=str)


def _err(status: int, message: str) -> Response:
    return ORJSONResponse({"error": message}, status_code=status)


_body = read_body


def _shop(request: Request):
    shop = request.app.state.registry.get(request.path_params["shop"])
    return shop


def _kind_index(request: Request, shop):
    kind = request.path_params.get("resource") or request.path_params.get("kind")
    if kind not in RESOURCES:
        return None, None
    num = int(request.path_params["id"])
    idx = shop.tables[kind].index_of_num(num)
    return (kind, idx) if shop.tables[kind].exists(idx) else (kind, None)


def shop_route(fn):
    async def wrapper(request: Request):
        shop = _shop(request)
        if shop is None:
            return _err(
                404, "unknown shop (must match ^[a-zA-Z0-9][a-zA-Z0-9-]*\\.myshopify\\.com$)"
            )
        return await fn(request, shop)

    return wrapper


async def health(request: Request):
    return ORJSONResponse({"ok": True})


async def create_shop(request: Request):
    data = await _body(request)
    domain = str(data.get("domain", "")).lower()
    if not SHOP_RE.match(domain):
        return _err(400, "domain must be <name>.myshopify.com")
    d = request.app.state.settings.profile
    profile = Profile(
        **{
            k: int(data.get(k, getattr(d, k)))
            for k in ("customers", "orders", "products", "collections", "checkouts", "carts")
        }
    )
    shop = request.app.state.registry.replace(domain, profile, data)
    return ORJSONResponse(shop.summary(), status_code=201)


@shop_route
async def show_shop(request, shop):
    return ORJSONResponse(shop.summary())


@shop_route
async def list_records(request, shop):
    kind = request.path_params["resource"]
    if kind not in RESOURCES:
        return _err(404, f"unknown resource {kind}")
    limit = min(int(request.query_params.get("limit", 50)), 1000)
    offset = int(request.query_params.get("offset", 0))
    t = shop.tables[kind]
    out = []
    for n, i in enumerate(t.indexes(reverse=request.query_params.get("order") == "desc")):
        if n < offset:
            continue
        if len(out) >= limit:
            break
        out.append(changes.control_view(shop, kind, i))
    return ORJSONResponse(
        {"total": t.live_count(), "offset": offset, "limit": limit, "records": out}
    )


@shop_route
async def create_record(request, shop):
    kind = request.path_params["resource"]
    if kind not in RESOURCES:
        return _err(404, f"unknown resource {kind}")
    idx = changes.create(request.app.state.hub, shop, kind, await _body(request))
    return ORJSONResponse(changes.control_view(shop, kind, idx), status_code=201)


@shop_route
async def record(request, shop):
    kind, idx = _kind_index(request, shop)
    if kind is None:
        return _err(404, "unknown resource")
    if idx is None:
        return _err(404, "not found")
    hub = request.app.state.hub
    if request.method == "GET":
        return ORJSONResponse(changes.control_view(shop, kind, idx))
    if request.method == "DELETE":
        changes.delete(hub, shop, kind, idx)
        return ORJSONResponse({"deleted": True})
    changes.update(hub, shop, kind, idx, await _body(request))
    return ORJSONResponse(changes.control_view(shop, kind, idx))


@shop_route
async def export(request, shop):
    kind = request.path_params["resource"]
    if kind not in RESOURCES:
        return _err(404, f"unknown resource {kind}")
    t = shop.tables[kind]
    return ORJSONResponse(
        [{"id": str(t.num(i)), "updated_at": t.updated_at(i)} for i in t.indexes()]
    )


@shop_route
async def consent(request, shop):
    request.path_params["resource"] = "customers"
    _, idx = _kind_index(request, shop)
    if idx is None:
        return _err(404, "not found")
    data = await _body(request)
    channel = data.get("channel", "email")
    if channel not in ("email", "sms"):
        return _err(400, "channel must be email or sms")
    changes.set_consent(
        request.app.state.hub,
        shop,
        idx,
        channel,
        str(data.get("state", "SUBSCRIBED")),
        data.get("opt_in_level"),
        data.get("collected_from"),
    )
    return ORJSONResponse(changes.control_view(shop, "customers", idx))


def order_action(action):
    @shop_route
    async def handler(request, shop):
        request.path_params["resource"] = "orders"
        _, idx = _kind_index(request, shop)
        if idx is None:
            return _err(404, "not found")
        data = await _body(request)
        hub = request.app.state.hub
        extra = {}
        if action == "fulfillments":
            ful = changes.fulfill(
                hub,
                shop,
                idx,
                data.get("line_items", "all"),
                data.get("tracking_number"),
                data.get("shipment_status"),
            )
            extra = {"fulfillment_id": int(ful["id"].rsplit("/", 1)[-1])}
        elif action == "events":
            try:
                changes.fulfillment_event(
                    hub,
                    shop,
                    idx,
                    int(request.path_params["fid"]),
                    str(data.get("status", "in_transit")),
                )
            except KeyError:
                return _err(404, "fulfillment not found")
        elif action == "refunds":
            ref = changes.refund(hub, shop, idx, data.get("amount"))
            extra = {"refund_id": int(ref["id"].rsplit("/", 1)[-1])}
        elif action == "cancel":
            changes.cancel(hub, shop, idx, str(data.get("reason", "CUSTOMER")))
        elif action == "pay":
            changes.pay(hub, shop, idx)
        return ORJSONResponse({**changes.control_view(shop, "orders", idx), **extra})

    return handler


@shop_route
async def install(request, shop):
    """Install without the browser dance (tests and demos); returns the token response."""
    data = await _body(request)
    scopes = [s for s in data.get("scopes", []) if s not in shop.removed_scopes]
    first = not shop.installed
    shop.installed = True
    shop.granted_scopes = scopes
    body = issue_tokens(shop, scopes, expiring=str(data.get("expiring", "1")) == "1")
    if first:
        request.app.state.on_install(shop)
    return ORJSONResponse(body)


@shop_route
async def uninstall(request, shop):
    changes.uninstall(request.app.state.hub, shop)
    return ORJSONResponse(shop.summary())


@shop_route
async def revoke(request, shop):
    revoke_all(shop)
    return ORJSONResponse(token_summary(shop))


@shop_route
async def scopes(request, shop):
    data = await _body(request)
    sc = data.get("scopes", [])
    if isinstance(sc, str):
        sc = [s.strip() for s in sc.split(",") if s.strip()]
    changes.set_scopes(request.app.state.hub, shop, list(sc))
    return ORJSONResponse(shop.summary())


@shop_route
async def state(request, shop):
    data = await _body(request)
    st = data.get("state")
    if st not in ("active", "frozen", "locked"):
        return _err(400, "state must be active, frozen or locked")
    shop.state = st
    return ORJSONResponse(shop.summary())


@shop_route
async def compliance(request, shop):
    topic = request.path_params["topic"]
    if topic not in ("customers/data_request", "customers/redact", "shop/redact"):
        return _err(400, "topic must be customers/data_request, customers/redact or shop/redact")
    data = await _body(request)
    idx = None
    if data.get("customer_id"):
        idx = shop.tables["customers"].index_of_num(int(data["customer_id"]))
    ev = changes.compliance(request.app.state.hub, shop, topic, idx)
    return ORJSONResponse({"event_id": ev})


@shop_route
async def faults(request, shop):
    data = await _body(request)
    if data.get("reset"):
        shop.faults = Faults()
    f = shop.faults
    for key in ("error_rate", "latency_ms", "restore_rate", "rest_leak_rate"):
        if key in data:
            setattr(f, key, data[key])
    if "bulk" in data:
        f.bulk = dict(data["bulk"] or {})
    if "webhooks" in data:
        f.webhooks = dict(data["webhooks"] or {})
    if "restore_rate" in data:
        shop.bucket_available = None  # a new bucket size takes effect at once
    if "rest_leak_rate" in data:
        shop.rest_bucket_level = 0.0
    return ORJSONResponse(f.__dict__)


@shop_route
async def webhook_log(request, shop):
    return ORJSONResponse(shop.webhook_log)


@shop_route
async def tokens(request, shop):
    return ORJSONResponse(token_summary(shop))


P = "/_control/shops/{shop}"
routes = [
    Route("/_control/health", health),
    Route("/_control/shops", create_shop, methods=["POST"]),
    Route(P, show_shop),
    Route(P + "/install", install, methods=["POST"]),
    Route(P + "/uninstall", uninstall, methods=["POST"]),
    Route(P + "/revoke-tokens", revoke, methods=["POST"]),
    Route(P + "/scopes", scopes, methods=["POST"]),
    Route(P + "/state", state, methods=["POST"]),
    Route(P + "/install-permission", shop_route(install_access.control), methods=["POST"]),
    Route(P + "/faults", faults, methods=["POST"]),
    Route(P + "/compliance/{topic:path}", compliance, methods=["POST"]),
    Route(P + "/webhook-log", webhook_log),
    Route(P + "/tokens", tokens),
    Route(P + "/export/{resource}", export),
    Route(P + "/customers/{id:int}/consent", consent, methods=["POST"]),
    Route(P + "/orders/{id:int}/fulfillments", order_action("fulfillments"), methods=["POST"]),
    Route(
        P + "/orders/{id:int}/fulfillments/{fid:int}/events",
        order_action("events"),
        methods=["POST"],
    ),
    Route(P + "/orders/{id:int}/refunds", order_action("refunds"), methods=["POST"]),
    Route(P + "/orders/{id:int}/cancel", order_action("cancel"), methods=["POST"]),
    Route(P + "/orders/{id:int}/pay", order_action("pay"), methods=["POST"]),
    Route(P + "/{resource}", list_records, methods=["GET"]),
    Route(P + "/{resource}", create_record, methods=["POST"]),
    Route(P + "/{resource}/{id:int}", record, methods=["GET", "PATCH", "PUT", "DELETE"]),
]
