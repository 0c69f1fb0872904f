"""The REST Admin read resources: which path serves what, built from the shop's records.

Each handler gets `(req, shop, ids)` where `req` carries the request's params, scopes and
page base URL (see `endpoint`), and answers Shopify's bodies: a list under the plural name,
one record under the singular, `{"count": n}` for counts (PLATFORM §10). Record shapes come
from `shopsim.payloads` (the webhook payloads) and `shapes` (what REST adds).
"""

from __future__ import annotations

from shopsim import payloads
from shopsim.rest_admin import errors, shapes
from shopsim.rest_admin.paging import link_header, only_fields, parse_fields, parse_limit, walk
from shopsim.rest_admin.sources import ListSource, TableSource, parse_order


def _customer(shop, i, rec):
    return shapes.customer(rec, shop.props["currency"])


def _checkout(shop, i, rec):
    return shapes.checkout(rec, shop.tables["checkouts"].num(i))


# resource → (table kind, scope needed to read, singular name, serializer)
TABLES = {
    "customers": ("customers", "read_customers", "customer", _customer),
    "orders": ("orders", "read_orders", "order", lambda s, i, r: payloads.order(r)),
    "products": ("products", "read_products", "product", lambda s, i, r: payloads.product(r)),
    "custom_collections": (
        "collections",
        "read_products",
        "custom_collection",
        lambda s, i, r: shapes.collection(r),
    ),
    "smart_collections": (
        "collections",
        "read_products",
        "smart_collection",
        lambda s, i, r: shapes.collection(r),
    ),
    "checkouts": ("checkouts", "read_orders", "checkout", _checkout),
}


def paged(req, plural: str, source) -> tuple[dict, str | None]:
    """The body and `Link` header of one page of `source`."""
    limit, fields = parse_limit(req.params), parse_fields(req.params)
    page = walk(source.rows, limit, req.direction, req.last_key)
    body = {plural: [only_fields(item, fields) for item in page.items]}
    return body, link_header(req.page_url, page, req.filters, limit, fields)


def table_list(req, shop, resource: str):
    kind, _, _, ser = TABLES[resource]
    return paged(req, resource, TableSource(shop, kind, resource, req.filters, req.scopes, ser))


def table_count(req, shop, resource: str):
    kind, _, _, ser = TABLES[resource]
    return {"count": TableSource(shop, kind, resource, req.filters, req.scopes, ser).count()}


def table_record(shop, resource: str, num: int):
    """(index, record) of `num` in the resource's table, or None (also when another kind)."""
    kind = TABLES[resource][0]
    table = shop.tables[kind]
    index = table.index_of_num(num)
    rec = table.get(index) if table.exists(index) else None
    if rec is None:
        return None
    if kind == "collections" and bool(rec.get("ruleSet")) != (resource == "smart_collections"):
        return None
    return index, rec


def table_one(req, shop, resource: str, num: int):
    found = table_record(shop, resource, num)
    if found is None:
        return None
    _, _, singular, ser = TABLES[resource]
    return {singular: only_fields(ser(shop, found[0], found[1]), parse_fields(req.params))}


# nested lists (no paging: Shopify serves them whole or with `limit` only) -------------------
def customer_addresses(shop, rec) -> list[dict]:
    return shapes.customer(rec, shop.props["currency"])["addresses"]


def order_children(rec: dict, child: str) -> list[dict]:
    if child == "transactions":
        return [shapes.transaction(rec, t) for t in rec.get("transactions") or []]
    if child == "refunds":
        return [payloads.refund(rec, r) for r in rec.get("refunds") or []]
    return [payloads.fulfillment(rec, f) for f in rec.get("fulfillments") or []]


def product_children(rec: dict, child: str) -> list[dict]:
    return payloads.product(rec)[child]


# derived lists -----------------------------------------------------------------------------
def collects_source(shop, filters: dict) -> ListSource:
    """Every (collection, product) membership, in collection then position order."""
    table = shop.tables["collections"]
    want_c, want_p = filters.get("collection_id"), filters.get("product_id")
    items = []
    for i in table.indexes():
        rec = table.get(i)
        if rec is None or rec.get("ruleSet"):
            continue  # smart collections have no collects
        cnum = table.num(i)
        if want_c and str(cnum) != str(want_c):
            continue
        for pos, prod in enumerate(rec.get("products") or [], start=1):
            pnum = payloads.num(prod.get("id"))
            if want_p and str(pnum) != str(want_p):
                continue
            items.append(([i, pos], shapes.collect(rec, cnum, pnum, pos)))
    return ListSource(items, parse_order({"order": filters.get("order")})[1])


def events_source(shop, filters: dict) -> ListSource:
    subjects = {s.strip().lower() for s in (filters.get("filter") or "").split(",") if s.strip()}
    verbs = {v.strip().lower() for v in (filters.get("verb") or "").split(",") if v.strip()}
    since = int(filters["since_id"]) if str(filters.get("since_id") or "").isdigit() else None
    lo, hi = filters.get("created_at_min"), filters.get("created_at_max")
    with shop.lock:
        log = list(shop.events)
    items = []
    for ev in log:
        if subjects and ev["subject_type"].lower() not in subjects:
            continue
        if verbs and ev["verb"] not in verbs:
            continue
        if since is not None and ev["id"] <= since:
            continue
        if (lo and ev["created_at"] < lo) or (hi and ev["created_at"] > hi):
            continue
        items.append(([ev["id"]], ev))
    return ListSource(items)


def webhooks_source(shop, filters: dict) -> ListSource:
    topic, address = filters.get("topic"), filters.get("address")
    items = []
    for sub in sorted(shop.subscriptions.values(), key=lambda s: int(s["legacyResourceId"])):
        w = shapes.webhook(sub)
        if (topic and w["topic"] != topic) or (address and w["address"] != address):
            continue
        items.append(([w["id"]], w))
    return ListSource(items)


def find_webhook(shop, num: int):
    return next((s for s in shop.subscriptions.values() if int(s["legacyResourceId"]) == num), None)


def webhook_create(shop, version: str, body: dict):
    """POST webhooks.json through the same code as `webhookSubscriptionCreate`."""
    from shopsim import mutations
    from shopsim.schema import get_schema
    from shopsim.webhooks import topic_enum

    data = body.get("webhook") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return errors.unprocessable({"webhook": ["Required parameter missing or invalid"]})
    topic = str(data.get("topic") or "")
    topics = get_schema().get_type("WebhookSubscriptionTopic").values
    if topic_enum(topic) not in topics:
        return errors.unprocessable(
            {
                "topic": [
                    f"Invalid topic specified: {topic}. "
                    "Do you have all the required scopes for this topic?"
                ]
            }
        )
    result = mutations.webhook_create(
        {"shop": shop, "version": version},
        {
            "topic": topic_enum(topic),
            "webhookSubscription": {
                "callbackUrl": data.get("address"),
                "format": str(data.get("format") or "json").upper(),
                "includeFields": data.get("fields") or [],
                "metafieldNamespaces": data.get("metafield_namespaces") or [],
            },
        },
    )
    if result["userErrors"]:
        msgs: dict[str, list[str]] = {}
        for e in result["userErrors"]:
            field = e["field"][-1] if e.get("field") else "base"
            field = "address" if field == "callbackUrl" else field
            text = e["message"]
            if text.lower().startswith(field + " "):
                text = text[len(field) + 1 :]
            msgs.setdefault(field, []).append(text)
        return errors.unprocessable(msgs)
    return errors.json_response({"webhook": shapes.webhook(result["webhookSubscription"])}, 201)
