"""Generic field resolution over GraphQL-shaped dicts, plus the root query fields.

Records are dicts keyed by schema field names, so one resolver serves every type: it
looks the field up by name, turns lists into connections where the schema says
`...Connection`, applies `first` to plain lists, follows `Ref`s lazily, and answers a
missing non-null field with a type-correct default so any valid query resolves.
"""

from __future__ import annotations

import base64

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from shopsim import store
from shopsim.records import KIND_OF_TYPENAME, Ref

QUERY_ROOT = object()
MUTATION_ROOT = object()
MAX_PAGE = 250
_MISSING = object()
SCALAR_DEFAULTS = {
    "String": "",
    "ID": "",
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
    "URL": "https://example.com",
    "DateTime": "1970-01-01T00:00:00Z",
    "Date": "1970-01-01",
    "Money": "0.0",
    "Decimal": "0.0",
    "UnsignedInt64": "0",
    "HTML": "",
    "JSON": {},
    "FormattedString": "",
    "ARN": "",
    "Color": "#000000",
    "UtcOffset": "+00:00",
    "StorefrontID": "",
    "BigInt": "0",
}
# Root connection field → (resource kind, scope needed to read it).
ROOT_CONNECTIONS = {
    "customers": ("customers", "read_customers"),
    "orders": ("orders", "read_orders"),
    "abandonedCheckouts": ("checkouts", "read_orders"),
    "products": ("products", "read_products"),
    "collections": ("collections", "read_products"),
}
ROOT_SINGLE = {
    "customer": "customers",
    "order": "orders",
    "product": "products",
    "collection": "collections",
    "abandonedCheckout": "checkouts",
}
ROOT_COUNTS = {
    "customersCount": "customers",
    "ordersCount": "orders",
    "productsCount": "products",
    "collectionsCount": "collections",
    "abandonedCheckoutsCount": "checkouts",
}
SCOPE_OF_KIND = {
    "customers": "read_customers",
    "orders": "read_orders",
    "checkouts": "read_orders",
    "products": "read_products",
    "collections": "read_products",
}


def has_scope(ctx, scope: str) -> bool:
    granted = ctx["scopes"]
    # write_X implies read_X, as on Shopify.
    return scope in granted or (scope.startswith("read_") and "write_" + scope[5:] in granted)


def access_denied(field: str, scope: str) -> GraphQLError:
    return GraphQLError(
        f"Access denied for {field} field. Required access: `{scope}` access scope.",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": f"`{scope}` access scope.",
        },
    )


def default_for(t):
    """A type-correct placeholder for a non-null field the record does not carry."""
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
        if isinstance(t, GraphQLList):
            return []
        if isinstance(t, GraphQLScalarType):
            return SCALAR_DEFAULTS.get(t.name, "")
        if isinstance(t, GraphQLEnumType):
            return next(iter(t.values))
        if isinstance(t, GraphQLObjectType) and t.name.endswith("Connection"):
            return list_connection([], {"first": 0})
        if isinstance(t, GraphQLObjectType):
            return {"__typename": t.name}
        return None
    return None


def derived_count(value, name: str):
    """A count field (`variantsCount`, `mediaCount`, `fulfillmentsCount`...) the record does
    not store, counted from the list it counts; None when there is no such list."""
    if name.endswith("Count"):
        items = value.get(name[:-5])
        if isinstance(items, list):
            return {"__typename": "Count", "count": len(items), "precision": "EXACT"}
    return None


def enum_value(named: GraphQLEnumType, value):
    """A stored enum value, or the closest legal one when the field's enum lacks it.

    e.g. REDACTED exists on CustomerEmailMarketingState but not on
    CustomerEmailAddressMarketingState.
    """
    if not isinstance(value, str) or value in named.values:
        return value
    return next(
        (v for v in ("INVALID", "NOT_SUBSCRIBED", "UNKNOWN") if v in named.values),
        next(iter(named.values)),
    )


def _cursor(pos: int) -> str:
    return base64.b64encode(f'{{"last_id":{pos},"last_value":"{pos}"}}'.encode()).decode()


def _check_page(args) -> None:
    for k in ("first", "last"):
        if args.get(k) is not None and (args[k] < 0 or args[k] > MAX_PAGE):
            raise GraphQLError(
                f"The {k} argument must be between 0 and {MAX_PAGE}.",
                extensions={"code": "BAD_REQUEST"},
            )


def connection(rows: list[tuple[str, object]], has_next: bool, has_prev: bool) -> dict:
    edges = [{"cursor": c, "node": n} for c, n in rows]
    return {
        "edges": edges,
        "nodes": [n for _, n in rows],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": rows[0][0] if rows else None,
            "endCursor": rows[-1][0] if rows else None,
        },
    }


def list_connection(items: list, args: dict) -> dict:
    """Paginate an in-record list (lineItems, variants, collection products...)."""
    _check_page(args)
    start = 0
    if args.get("after") and (c := store.decode_cursor(args["after"])):
        start = c[1] + 1
    end = len(items)
    if args.get("before") and (c := store.decode_cursor(args["before"])):
        end = min(end, c[1])
    idx = list(range(start, end))
    if args.get("reverse"):
        idx.reverse()
    if args.get("first") is not None:
        sel = idx[: args["first"]]
        has_next = len(idx) > len(sel)
    elif args.get("last") is not None:
        sel = idx[-args["last"] :] if args["last"] else []
        has_next = False
    else:
        sel, has_next = idx, False
    return connection([(_cursor(i), items[i]) for i in sel], has_next, start > 0)


def table_connection(ctx, kind: str, args: dict) -> dict:
    """Paginate one resource table with search, sort and cursors."""
    _check_page(args)
    if args.get("first") is None and args.get("last") is None:
        raise GraphQLError(
            "you must provide one of first or last", extensions={"code": "BAD_REQUEST"}
        )
    shop = ctx["shop"]
    t = shop.tables[kind]
    sort = args.get("sortKey") or "ID"
    if kind == "orders":
        args = dict(args, query=store.order_window_query(shop, args.get("query"), ctx["scopes"]))
    if args.get("first") is not None:
        n = args["first"]
        rows = list(
            store.select(
                t,
                query=args.get("query"),
                sort_key=sort,
                reverse=bool(args.get("reverse")),
                after=args.get("after"),
                before=args.get("before"),
                limit=n + 1,
            )
        )
        has_next = len(rows) > n
        rows = rows[:n]
        has_prev = bool(args.get("after"))
    else:
        n = args["last"]
        rows = list(
            store.select(
                t,
                query=args.get("query"),
                sort_key=sort,
                reverse=not args.get("reverse"),
                after=args.get("before"),
                limit=n + 1,
            )
        )
        has_prev = len(rows) > n
        rows = list(reversed(rows[:n]))
        has_next = bool(args.get("before"))
    return connection([(c, t.get(i)) for c, i in rows], has_next, has_prev)


def lookup_gid(ctx, gid_value: str):
    shop = ctx["shop"]
    found = shop.find_gid(gid_value)
    if found:
        kind, idx = found
        scope = SCOPE_OF_KIND.get(kind)
        if scope and not has_scope(ctx, scope):
            raise access_denied(kind, scope)
        return shop.tables[kind].get(idx)
    for sub in shop.subscriptions.values():
        if sub["id"] == gid_value:
            return sub
    bulk = ctx.get("bulk")
    if bulk:
        return bulk.lookup(shop, gid_value)
    return None


def resolve_root_query(ctx, info, name: str, args: dict):
    shop = ctx["shop"]
    if name in ROOT_CONNECTIONS:
        kind, scope = ROOT_CONNECTIONS[name]
        if not has_scope(ctx, scope):
            raise access_denied(name, scope)
        return table_connection(ctx, kind, args)
    if name in ROOT_SINGLE:
        rec = lookup_gid(ctx, args.get("id", ""))
        return rec if rec is not None and rec.get("__typename") == info.return_type.name else None
    if name in ROOT_COUNTS:
        t = shop.tables[ROOT_COUNTS[name]]
        query = args.get("query")
        if t.kind == "orders":
            query = store.order_window_query(shop, query, ctx["scopes"])
        n = t.live_count() if not query else sum(1 for _ in store.select(t, query=query))
        limit = args.get("limit")
        if limit is not None and n > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": n, "precision": "EXACT"}
    if name == "shop":
        return shop.shop_record()
    if name == "currentAppInstallation":
        return {
            "__typename": "AppInstallation",
            "id": f"gid://shopify/AppInstallation/{shop.numeric_id}",
            "accessScopes": [
                {"handle": s, "description": s.replace("_", " ")} for s in ctx["scopes"]
            ],
            "app": {
                "__typename": "App",
                "id": "gid://shopify/App/1",
                "title": "Shoplink",
                "handle": "shoplink",
                "apiKey": shop.settings.client_id,
            },
            "launchUrl": f"https://admin.shopify.com/store/{shop.handle}/apps/shoplink",
            "activeSubscriptions": [],
        }
    if name == "node":
        return lookup_gid(ctx, args.get("id", ""))
    if name == "nodes":
        ids = args.get("ids") or []
        if len(ids) > MAX_PAGE:
            raise GraphQLError(
                f"The ids argument must have at most {MAX_PAGE} items.",
                extensions={"code": "BAD_REQUEST"},
            )
        return [lookup_gid(ctx, i) for i in ids]
    if name == "webhookSubscriptions":
        subs = list(shop.subscriptions.values())
        if args.get("topics"):
            subs = [s for s in subs if s["topic"] in args["topics"]]
        if args.get("callbackUrl"):
            subs = [s for s in subs if s["uri"] == args["callbackUrl"]]
        if args.get("first") is None and args.get("last") is None:
            raise GraphQLError(
                "you must provide one of first or last", extensions={"code": "BAD_REQUEST"}
            )
        return list_connection(subs, args)
    if name == "webhookSubscription":
        return next((s for s in shop.subscriptions.values() if s["id"] == args.get("id")), None)
    if name in ("bulkOperation", "currentBulkOperation", "bulkOperations"):
        return ctx["bulk"].query_field(ctx, name, args)
    return default_for(info.return_type)


def field_resolver(mutations):
    """Build the resolver graphql-core calls for every field."""

    def resolve(parent, info, **args):
        name = info.field_name
        ctx = info.context
        if parent is QUERY_ROOT:
            return resolve_root_query(ctx, info, name, args)
        if parent is MUTATION_ROOT:
            fn = mutations.get(name)
            return fn(ctx, args) if fn else default_for(info.return_type)
        if not isinstance(parent, dict | Ref):
            return None
        if name == "metafield" and "key" in args:
            return ctx["shop"].metafields.get(
                (parent.get("id"), args.get("namespace") or "app", args["key"])
            )
        if name == "metafields" and isinstance(parent, dict) and "id" in parent:
            pid = parent.get("id")
            value = [m for (owner, _, _), m in ctx["shop"].metafields.items() if owner == pid]
        else:
            value = parent.get(name, _MISSING)
        rt = info.return_type
        if value is _MISSING or value is None:
            if value is _MISSING and name == "legacyResourceId" and parent.get("id"):
                return str(parent.get("id")).rsplit("/", 1)[-1]
            counted = derived_count(parent, name)
            if counted is not None:
                return counted
            return default_for(rt) if isinstance(rt, GraphQLNonNull) else None
        if isinstance(value, Ref):
            scope = SCOPE_OF_KIND.get(value.kind)
            if (
                scope
                and not has_scope(ctx, scope)
                and any(
                    f.name.value not in ("id", "__typename", "legacyResourceId")
                    for n in info.field_nodes
                    for f in (n.selection_set.selections if n.selection_set else ())
                    if hasattr(f, "name")
                )
            ):
                raise access_denied(
                    KIND_OF_TYPENAME.get(value.get("__typename"), value.kind), scope
                )
            return value
        named = get_named_type(rt)
        if isinstance(named, GraphQLEnumType):
            return enum_value(named, value)
        if isinstance(value, list):
            if named.name.endswith("Connection") and not is_list_type(get_nullable_type(rt)):
                return list_connection(value, args)
            if args.get("first") is not None:
                return value[: args["first"]]
        return value

    return resolve


def type_resolver(value, info, abstract_type):
    if isinstance(value, dict | Ref):
        return value.get("__typename")
    return None
