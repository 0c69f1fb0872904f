"""The Admin GraphQL endpoint: auth, shop state, faults, validation, cost, execution.

Order of checks follows what a client sees from Shopify: unknown version → 404, bad token →
401, frozen → 402, locked → 423, then the document (parse/validate errors answered 200
with `errors`), then cost (MAX_COST_EXCEEDED, THROTTLED), then execution.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid

import orjson
from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import Response

from shopsim import cost, mutations
from shopsim.oauth import INVALID_TOKEN, check_access_token
from shopsim.resolvers import MUTATION_ROOT, QUERY_ROOT, field_resolver, type_resolver
from shopsim.schema import get_schema
from shopsim.versions import served_version

DOCS = "https://shopify.dev/api/usage/rate-limits"


def _json(body, status=200, headers=None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _shopify_error(err: GraphQLError) -> dict:
    """Reword graphql-core validation messages the way Shopify (graphql-ruby) words them."""
    msg = err.message
    out = {
        "message": msg,
        "locations": [{"line": loc.line, "column": loc.column} for loc in err.locations or []],
    }
    ext = {"code": "GRAPHQL_VALIDATION_FAILED"}
    if m := re.match(r"Cannot query field '(\w+)' on type '(\w+)'", msg):
        out["message"] = f"Field '{m.group(1)}' doesn't exist on type '{m.group(2)}'"
        ext = {"code": "undefinedField", "typeName": m.group(2), "fieldName": m.group(1)}
    elif m := re.match(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'", msg):
        out["message"] = f"Field '{m.group(3)}' doesn't accept argument '{m.group(1)}'"
        ext = {
            "code": "argumentNotAccepted",
            "name": m.group(3),
            "typeName": "Field",
            "argumentName": m.group(1),
        }
    elif m := re.match(r"Argument '\w+\.(\w+)\((\w+):\)' of type '.*' is required", msg):
        out["message"] = f"Field '{m.group(1)}' is missing required arguments: {m.group(2)}"
        ext = {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": m.group(1),
            "arguments": m.group(2),
        }
    elif m := re.match(r"Field '(\w+)' of type '(.+)' must have a selection of subfields", msg):
        out["message"] = (
            f"Field must have selections (field '{m.group(1)}' returns "
            f"{m.group(2).strip('!')} but has no selections.)"
        )
        ext = {
            "code": "selectionMismatch",
            "nodeName": f"field '{m.group(1)}'",
            "typeName": m.group(2).strip("!"),
        }
    elif "Variable '$" in msg:
        ext = {"code": "variableMismatch"}
    elif msg.startswith("Unknown type"):
        ext = {"code": "undefinedType"}
    out["extensions"] = ext
    return out


async def handle(request: Request, shop) -> Response:
    settings = request.app.state.settings
    served = served_version(request.path_params["version"], settings)
    if served is None:
        return _json({"errors": "Not Found"}, 404)
    # Shopify sends a request id with every Admin response; clients log it for support.
    headers = {"X-Shopify-API-Version": served, "X-Request-Id": str(uuid.uuid4())}
    f = shop.faults
    if f.latency_ms:
        await asyncio.sleep(float(f.latency_ms) / 1000)
    if not check_access_token(shop, request.headers.get("x-shopify-access-token")):
        return _json({"errors": INVALID_TOKEN}, 401, headers)
    if shop.state == "frozen":
        return _json({"errors": "Unavailable Shop"}, 402, headers)
    if shop.state == "locked":
        return _json({"errors": "Locked"}, 423, headers)
    if f.error_rate and random.random() < float(f.error_rate):
        status = random.choice((500, 503))
        return _json(
            {"errors": "Internal Server Error" if status == 500 else "Service Unavailable"},
            status,
            headers,
        )
    raw = await request.body()
    if "application/graphql" in request.headers.get("content-type", ""):
        body = {"query": raw.decode()}
    else:
        try:
            body = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            return _json(
                {
                    "errors": [
                        {
                            "message": "Invalid JSON in request body",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                400,
                headers,
            )
    query, variables = body.get("query") or "", body.get("variables") or {}
    schema = get_schema()
    status = cost.throttle_status(shop)
    no_cost = {"cost": {"requestedQueryCost": 0, "actualQueryCost": None, "throttleStatus": status}}
    try:
        doc = parse(query)
    except GraphQLSyntaxError as exc:
        loc = exc.locations[0] if exc.locations else None
        err = {
            "message": f"Parse error: {exc.message}",
            "locations": [{"line": loc.line, "column": loc.column}] if loc else [],
            "extensions": {"code": "syntaxError"},
        }
        return _json({"errors": [err], "extensions": no_cost}, 200, headers)
    errors = validate(schema, doc)
    if errors:
        return _json(
            {"errors": [_shopify_error(e) for e in errors], "extensions": no_cost}, 200, headers
        )
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if o.name and o.name.value == body.get("operationName")), ops[0])
    requested = cost.requested_cost(schema, op, fragments, variables)
    if requested > cost.MAX_COST:
        return _json(
            {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query "
                        f"max cost limit ({cost.MAX_COST}).",
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": cost.MAX_COST,
                            "documentation": DOCS,
                        },
                    }
                ],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": status,
                    }
                },
            },
            200,
            headers,
        )
    if not cost.charge(shop, requested):
        return _json(
            {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": DOCS},
                    }
                ],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": cost.throttle_status(shop),
                    }
                },
            },
            200,
            headers,
        )
    token = shop.tokens.get(request.headers.get("x-shopify-access-token"))
    app = request.app
    ctx = {
        "shop": shop,
        "scopes": token["scopes"],
        "hub": app.state.hub,
        "bulk": app.state.bulk,
        "version": served,
        "settings": settings,
        "base_url": str(request.base_url).rstrip("/"),
    }
    result = execute(
        schema,
        doc,
        root_value=MUTATION_ROOT if op.operation.value == "mutation" else QUERY_ROOT,
        context_value=ctx,
        variable_values=variables,
        operation_name=body.get("operationName"),
        field_resolver=field_resolver(app.state.mutations),
        type_resolver=type_resolver,
    )
    if asyncio.iscoroutine(result):
        result = await result
    # Actual cost counts what was returned; it never exceeds what was requested.
    actual = min(cost.actual_cost(schema, op, fragments, variables, result.data), requested)
    cost.refund(shop, requested - actual)
    out = {}
    if result.errors:
        out["errors"] = [e.formatted for e in result.errors]
    out["data"] = result.data
    out["extensions"] = {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": cost.throttle_status(shop),
        }
    }
    return _json(out, 200, headers)


def install(app) -> None:
    """Attach the bulk manager and mutation table to the app state."""
    from shopsim.bulk import BulkManager

    app.state.bulk = BulkManager(app.state.hub)
    app.state.mutations = mutations.build(app.state.bulk)
