"""The REST Admin API endpoint: `/admin/api/<version>/<path>.json` of a shop.

Checks in the order a client meets them on Shopify: unknown version → 404, a format other
than JSON → 406, bad token → 401, frozen → 402, locked → 423, the request bucket → 429,
injected faults (latency, 500/503), then the resource: missing scope → 403, unknown path or
record → 404, bad parameter → 400, bad write → 422. Every response carries `X-Request-Id`;
versioned ones `X-Shopify-API-Version` (the version that answered) and, once the token is
known, `X-Shopify-Shop-Api-Call-Limit`.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response

from shopsim import payloads
from shopsim.hosts import PREFIX_KEY
from shopsim.oauth import INVALID_TOKEN, check_access_token
from shopsim.rest_admin import bucket, errors, resources
from shopsim.rest_admin.paging import ParamError, only_fields, parse_fields, request_filters
from shopsim.versions import served_version

# The scope a path's first segment needs (write_X grants read_X); others need none.
SCOPES = {
    "customers": "read_customers",
    "orders": "read_orders",
    "checkouts": "read_orders",
    "products": "read_products",
    "custom_collections": "read_products",
    "smart_collections": "read_products",
    "collects": "read_products",
}
LISTS = {
    "collects": resources.collects_source,
    "events": resources.events_source,
    "webhooks": resources.webhooks_source,
}


@dataclass
class Req:
    method: str
    params: dict
    scopes: set
    version: str
    page_url: str = ""
    filters: dict | None = None
    direction: str = "next"
    last_key: list | None = None
    body: bytes = b""


def _page_url(request: Request, shop, path: str) -> str:
    """Absolute URL of this list as the client addressed it (for the `Link` header)."""
    h = request.headers
    proto = (h.get("x-forwarded-proto") or request.url.scheme).split(",")[0].strip()
    host = (h.get("x-forwarded-host") or h.get("host") or "").split(",")[0].strip()
    prefix = request.scope.get(PREFIX_KEY, f"/{shop.domain}")
    return f"{proto}://{host}{prefix}/admin/api/{request.path_params['version']}/{path}.json"


def _granted(scopes) -> set:
    out = set(scopes)
    out |= {"read_" + s[len("write_") :] for s in scopes if s.startswith("write_")}
    return out


async def handle(request: Request, shop) -> Response:
    response = await _answer(request, shop)
    # Starlette writes header names in lower case; clients written against Shopify look
    # some up case-sensitively (ShopifyAPI's `Limits` wants `X-Shopify-Shop-Api-Call-Limit`),
    # so send them the way Shopify spells them.
    response.raw_headers = [(_spelled(k), v) for k, v in response.raw_headers]
    return response


async def _answer(request: Request, shop) -> Response:
    served = served_version(request.path_params["version"], request.app.state.settings)
    headers = {"X-Request-Id": str(uuid.uuid4())}
    if served is None:
        return errors.not_found(headers)
    headers["X-Shopify-API-Version"] = served
    path = request.path_params["path"]
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        return errors.not_found(headers)
    if ext != "json":
        return errors.not_acceptable(headers)
    token = request.headers.get("x-shopify-access-token")
    if not check_access_token(shop, token):
        return errors.json_response({"errors": INVALID_TOKEN}, 401, headers)
    if shop.state == "frozen":
        return errors.json_response({"errors": "Unavailable Shop"}, 402, headers)
    if shop.state == "locked":
        return errors.json_response({"errors": "Locked"}, 423, headers)
    allowed, used, wait = bucket.take(shop)
    headers["X-Shopify-Shop-Api-Call-Limit"] = used
    if not allowed:
        return errors.too_many_requests(bucket.leak_rate(shop), wait, headers)
    f = shop.faults
    if f.latency_ms:
        await asyncio.sleep(float(f.latency_ms) / 1000)
    if f.error_rate and random.random() < float(f.error_rate):
        return errors.server_error(random.choice((500, 503)), headers)
    req = Req(
        method=request.method,
        params=dict(request.query_params),
        scopes=_granted(shop.tokens[token]["scopes"]),
        version=served,
        page_url=_page_url(request, shop, stem),
        body=await request.body() if request.method in ("POST", "PUT") else b"",
    )
    try:
        response = route(req, shop, stem.split("/"))
    except ParamError as e:
        if e.conflict:
            return errors.page_info_conflict(e.field, headers)
        return errors.bad_request(e.field, e.message, headers)
    response.headers.update(headers)
    return response


def _spelled(name: bytes) -> bytes:
    if name == b"x-shopify-api-version":
        return b"X-Shopify-API-Version"
    return name.decode("latin-1").title().encode("latin-1")


def _num(segment: str) -> int | None:
    return int(segment) if segment.isdigit() else None


def route(req: Req, shop, seg: list[str]) -> Response:
    """Dispatch one REST path (without `.json`, split on `/`)."""
    head = seg[0]
    scope = SCOPES.get(head)
    if scope and scope not in req.scopes:
        return errors.forbidden(scope)
    if head == "shop" and len(seg) == 1:
        return _get(req) or _ok({"shop": only_fields(payloads.shop(shop), _fields(req))})
    if head == "webhooks":
        return _webhooks(req, shop, seg)
    if req.method != "GET":
        return _not_allowed()
    if head in resources.TABLES or head in LISTS:
        return _collection(req, shop, seg)
    return errors.not_found()


def _collection(req: Req, shop, seg: list[str]) -> Response:
    head = seg[0]
    if len(seg) == 1:
        req.filters, req.direction, req.last_key = request_filters(req.params)
        if head in LISTS:
            body, link = resources.paged(req, head, LISTS[head](shop, req.filters))
        else:
            body, link = resources.table_list(req, shop, head)
        response = _ok(body)
        if link:
            response.headers["Link"] = link
        return response
    if seg[1:] == ["count"]:
        filters = {k: v for k, v in req.params.items() if k != "page_info"}
        if head in LISTS:
            return _ok({"count": LISTS[head](shop, filters).count()})
        req.filters = filters
        return _ok(resources.table_count(req, shop, head))
    num = _num(seg[1])
    if num is None:
        return errors.not_found()
    if head in LISTS:
        singular = {"collects": "collect", "events": "event", "webhooks": "webhook"}[head]
        items = [item for key, item in LISTS[head](shop, {}).items if item["id"] == num]
        return _ok({singular: only_fields(items[0], _fields(req))}) if items else errors.not_found()
    if len(seg) == 2:
        body = resources.table_one(req, shop, head, num)
        return _ok(body) if body is not None else errors.not_found()
    return _nested(req, shop, head, num, seg[2:])


def _nested(req: Req, shop, head: str, num: int, rest: list[str]) -> Response:
    found = resources.table_record(shop, head, num) if head in resources.TABLES else None
    if found is None:
        return errors.not_found()
    rec = found[1]
    child, tail = rest[0], rest[1:]
    if head == "customers" and child == "addresses":
        items, singular = resources.customer_addresses(shop, rec), "customer_address"
    elif head == "orders" and child in ("transactions", "refunds", "fulfillments"):
        items, singular = resources.order_children(rec, child), child[:-1]
    elif head == "products" and child in ("variants", "images"):
        items, singular = resources.product_children(rec, child), child[:-1]
    else:
        return errors.not_found()
    if tail == ["count"]:
        return _ok({"count": len(items)})
    if tail:
        wanted = _num(tail[0])
        hit = [i for i in items if i.get("id") == wanted] if len(tail) == 1 else []
        return _ok({singular: only_fields(hit[0], _fields(req))}) if hit else errors.not_found()
    limit = req.params.get("limit")
    if limit and limit.isdigit():
        items = items[: min(int(limit), 250)]
    return _ok({child: [only_fields(i, _fields(req)) for i in items]})


def _webhooks(req: Req, shop, seg: list[str]) -> Response:
    if len(seg) == 1 and req.method == "POST":
        try:
            body = orjson.loads(req.body or b"{}")
        except orjson.JSONDecodeError:
            return errors.json_response({"errors": "Bad Request"}, 400)
        with shop.lock:
            return resources.webhook_create(shop, req.version, body)
    if len(seg) == 2 and req.method == "DELETE":
        num = _num(seg[1])
        sub = resources.find_webhook(shop, num) if num is not None else None
        if sub is None:
            return errors.not_found()
        shop.subscriptions.pop(sub["_key"], None)
        return _ok({})
    if req.method != "GET":
        return _not_allowed()
    return _collection(req, shop, seg)


def _fields(req: Req):
    return parse_fields(req.params)


def _get(req: Req) -> Response | None:
    return None if req.method == "GET" else _not_allowed()


def _ok(body) -> Response:
    return errors.json_response(body)


def _not_allowed() -> Response:
    # The simulator serves the REST API read-only (plus webhooks); Shopify would accept the
    # write. 405 says plainly that this simulator does not, instead of a misleading 404.
    return errors.json_response({"errors": "Method Not Allowed"}, 405)
