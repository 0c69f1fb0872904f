"""Bulk query operations (PLATFORM §4): validation, lifecycle thread, JSONL streaming, failures.

An operation snapshots the resource table (a shallow copy of its overrides), runs in a
background thread that walks every matching record, advancing `objectCount`,
`rootObjectCount` and `fileSize`, then COMPLETES and fires `bulk_operations/finish`.
`GET /_files/<token>.jsonl` re-generates the same lines from the snapshot as a stream, so
no result is ever held in memory. Nested connection nodes become their own lines with
`__parentId`; for every seventh parent the children are written *before* it, because
with `groupObjects: false` Shopify does not promise parents first (PLATFORM §4, trap 17).
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from shopsim import store
from shopsim.resolvers import ROOT_CONNECTIONS, SCOPE_OF_KIND, default_for, has_scope
from shopsim.schema import get_schema

MAX_RUNNING = 5  # API 2026-01+: five bulk queries at a time per app and shop
URL_TTL = 7 * 86400
IN_PROGRESS = "A bulk query operation for this app and shop is already in progress: "
RUNNING = ("CREATED", "RUNNING", "CANCELING")


class BulkOp:
    def __init__(
        self, shop, num: int, query: str, kind: str, root, fragments, snapshot, mode, base_url
    ):
        self.shop, self.num, self.query, self.kind = shop, num, query, kind
        self.root, self.fragments, self.snapshot, self.mode = root, fragments, snapshot, mode
        self.gid = f"gid://shopify/BulkOperation/{num}"
        self.status, self.error_code = "CREATED", None
        self.created_at, self.completed_at = store.now_iso(), None
        self.object_count = self.root_count = self.file_size = 0
        self.token = secrets.token_urlsafe(18)
        self.base_url = base_url
        self.url = self.partial_url = None
        self.partial_roots: int | None = None
        self.cancel_requested = False
        self.expires_at = None
        self.root_args: dict = {}

    def record(self) -> dict:
        return {
            "__typename": "BulkOperation",
            "id": self.gid,
            "status": self.status,
            "errorCode": self.error_code,
            "createdAt": self.created_at,
            "completedAt": self.completed_at,
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_count),
            "fileSize": str(self.file_size) if self.url or self.partial_url else None,
            "url": self.url,
            "partialDataUrl": self.partial_url,
            "query": self.query,
            "type": "QUERY",
        }


def _fields(selection_set, fragments, typename=None):
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            yield sel
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            if cond is None or typename is None or cond == typename or not _is_concrete(cond):
                yield from _fields(sel.selection_set, fragments, typename)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            frag = fragments[sel.name.value]
            cond = frag.type_condition.name.value
            if typename is None or cond == typename or not _is_concrete(cond):
                yield from _fields(frag.selection_set, fragments, typename)


def _is_concrete(name: str) -> bool:
    return hasattr(get_schema().get_type(name), "is_type_of")


def _is_conn(t) -> bool:
    return t.name.endswith("Connection") and hasattr(t, "fields")


def _shape(selection_set, parent, fragments, depth=0):
    count, deepest = 0, depth
    for node in _fields(selection_set, fragments):
        f = getattr(parent, "fields", {}).get(node.name.value)
        if f is None:
            continue
        named = get_named_type(f.type)
        if is_leaf_type(named):
            continue
        lvl = depth + 1 if _is_conn(named) else depth
        c, d = _shape(node.selection_set, named, fragments, lvl)
        count += c + (1 if _is_conn(named) else 0)
        deepest = max(deepest, d)
    return count, deepest


def _node_selection(node: FieldNode, conn_type, fragments):
    """(selection set, node type) of a connection's `edges { node }` or `nodes`."""
    for f in _fields(node.selection_set, fragments):
        if f.name.value == "edges":
            edge_t = get_named_type(conn_type.fields["edges"].type)
            for e in _fields(f.selection_set, fragments):
                if e.name.value == "node":
                    return e.selection_set, get_named_type(edge_t.fields["node"].type)
        if f.name.value == "nodes":
            return f.selection_set, get_named_type(conn_type.fields["nodes"].type)
    return None, None


class Projector:
    """Turns one record into its JSONL objects following a bulk query's selection.

    Each (selection set, type) is compiled once into a flat plan, because a million-order
    export runs the same projection a million times.
    """

    LEAF, CONN, LIST, OBJ, TYPENAME = range(5)

    def __init__(self, fragments):
        self.fragments = fragments
        self.schema = get_schema()
        self.plans: dict = {}

    def plan(self, sel, ptype):
        key = (id(sel), ptype.name)
        got = self.plans.get(key)
        if got is not None:
            return got
        steps = []
        for node in _fields(sel, self.fragments, ptype.name):
            name = node.name.value
            out = node.alias.value if node.alias else name
            if name == "__typename":
                steps.append((self.TYPENAME, out, name, None, None, None))
                continue
            fdef = ptype.fields.get(name)
            if fdef is None:
                continue
            named = get_named_type(fdef.type)
            default = default_for(fdef.type)
            if _is_conn(named):
                csel, ctype = _node_selection(node, named, self.fragments)
                steps.append((self.CONN, out, name, (csel, ctype), default, None))
            elif is_leaf_type(named):
                steps.append((self.LEAF, out, name, None, default, None))
            elif is_list_type(get_nullable_type(fdef.type)):
                steps.append(
                    (self.LIST, out, name, (node.selection_set, named), default, _first(node))
                )
            else:
                steps.append((self.OBJ, out, name, (node.selection_set, named), default, None))
        self.plans[key] = steps
        return steps

    def _type_of(self, value, parent_type):
        tn = value.get("__typename")
        if tn and tn != parent_type.name:
            t = self.schema.get_type(tn)
            if hasattr(t, "fields"):
                return t
        return parent_type

    def project(self, value, sel, parent_type, children: list) -> dict:
        ptype = self._type_of(value, parent_type)
        obj = {}
        get = value.get
        for kind, out, name, sub, default, first in self.plan(sel, ptype):
            if kind == 0:  # LEAF
                v = get(name)
                if v is None and name == "legacyResourceId" and get("id"):
                    v = str(get("id")).rsplit("/", 1)[-1]
                obj[out] = default if v is None else v
            elif kind == 1:  # CONN: children become their own lines
                parent_id = get("id")
                for child in get(name) or ():
                    cobj = self.project(child, sub[0], sub[1], children)
                    cobj["__parentId"] = parent_id
                    children.append(cobj)
            elif kind == 4:
                obj[out] = get("__typename") or ptype.name
            else:
                v = get(name)
                if v is None:
                    obj[out] = default
                elif kind == 2 and isinstance(v, list):  # LIST of objects stays inline
                    items = v[:first] if first is not None else v
                    obj[out] = [self.project(x, sub[0], sub[1], children) for x in items]
                else:
                    obj[out] = self.project(v, sub[0], sub[1], children)
        return obj


def _first(node: FieldNode):
    for a in node.arguments or ():
        if a.name.value == "first" and hasattr(a.value, "value"):
            return int(a.value.value)
    return None


def root_indexes(op: BulkOp):
    """Indexes of the root records, in result order."""
    args = op.root_args
    for _, i in store.select(
        op.snapshot,
        query=args.get("query"),
        sort_key=args.get("sortKey"),
        reverse=bool(args.get("reverse")),
    ):
        yield i


def iter_lines(op: BulkOp, max_roots: int | None = None):
    """Yield (line bytes, is_root) for the operation's result, deterministic for its snapshot."""
    schema = get_schema()
    root = op.root
    proj = Projector(op.fragments)
    ctype = get_named_type(schema.query_type.fields[root.name.value].type)
    sel, ntype = _node_selection(root, ctype, op.fragments)
    roots = 0
    for i in root_indexes(op):
        if max_roots is not None and roots >= max_roots:
            return
        rec = op.snapshot.get(i)
        if rec is None:
            continue
        roots += 1
        children: list = []
        parent = proj.project(rec, sel, ntype, children)
        lines = [(orjson.dumps(c) + b"\n", False) for c in children]
        first = (orjson.dumps(parent) + b"\n", True)
        if i % 7 == 3 and lines:
            yield from lines
            yield first
        else:
            yield first
            yield from lines


class BulkManager:
    def __init__(self, hub):
        self.hub = hub
        self.next_num = 4100000000

    # GraphQL fields -------------------------------------------------------------------
    def lookup(self, shop, gid_value):
        for op in shop.bulk_ops.values():
            if op.gid == gid_value:
                return op.record()
        return None

    def query_field(self, ctx, name, args):
        shop = ctx["shop"]
        if name == "bulkOperation":
            return self.lookup(shop, args.get("id"))
        ops = sorted(shop.bulk_ops.values(), key=lambda o: o.num)
        if name == "currentBulkOperation":
            if args.get("type", "QUERY") != "QUERY" or not ops:
                return None
            return ops[-1].record()
        from shopsim.resolvers import list_connection

        return list_connection([o.record() for o in reversed(ops)], args)

    def _error(self, message, code="INVALID"):
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["query"], "message": message, "code": code}],
        }

    def run_query(self, ctx, args):
        shop = ctx["shop"]
        text = args.get("query") or ""
        schema = get_schema()
        try:
            doc = parse(text)
        except GraphQLSyntaxError as exc:
            return self._error(f"Invalid bulk query: {exc.message}")
        errors = validate(schema, doc)
        if errors:
            return self._error("Invalid bulk query: " + "; ".join(e.message for e in errors))
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        if len(ops) != 1 or ops[0].operation.value != "query":
            return self._error("Invalid bulk query: must be a single query operation")
        tops = list(_fields(ops[0].selection_set, fragments))
        if any(t.name.value in ("node", "nodes") for t in tops):
            return self._error("Bulk queries cannot contain a top level `node` or `nodes` field.")
        count, depth = _shape(ops[0].selection_set, schema.query_type, fragments)
        if count == 0:
            return self._error("Bulk queries must contain at least one connection.")
        if count > 5:
            return self._error(
                f"Bulk queries cannot contain more than 5 connections (found {count})."
            )
        if depth > 2:
            return self._error(
                "Bulk queries cannot contain connections with a nesting depth greater than 2."
            )
        roots = [t for t in tops if t.name.value in ROOT_CONNECTIONS]
        if len(roots) != 1:
            return self._error(
                "Bulk queries must select exactly one supported top level connection "
                "(customers, orders, abandonedCheckouts, products, collections)."
            )
        root = roots[0]
        kind = ROOT_CONNECTIONS[root.name.value][0]
        with shop.lock:
            running = [o for o in shop.bulk_ops.values() if o.status in RUNNING]
            if len(running) >= MAX_RUNNING:
                return {
                    "bulkOperation": None,
                    "userErrors": [
                        {
                            "field": None,
                            "code": "OPERATION_IN_PROGRESS",
                            "message": IN_PROGRESS + f"{running[0].gid}.",
                        }
                    ],
                }
            mode = self._take_fault(shop, root.name.value, kind)
            if mode is None and not has_scope(ctx, SCOPE_OF_KIND[kind]):
                mode = "access_denied"  # Shopify fails the operation rather than the mutation
            t = shop.tables[kind]
            snap = store.Table(shop, kind, t.count)
            snap.next_index, snap.overrides = t.next_index, dict(t.overrides)
            self.next_num += 1
            op = BulkOp(
                shop, self.next_num, text, kind, root, fragments, snap, mode, ctx["base_url"]
            )
            args = {
                a.name.value: a.value.value
                for a in root.arguments or ()
                if hasattr(a.value, "value")
            }
            if kind == "orders":  # fixed once, so the run and the download agree
                args["query"] = store.order_window_query(shop, args.get("query"), ctx["scopes"])
            op.root_args = args
            shop.bulk_ops[op.num] = op
        threading.Thread(target=self._run, args=(op,), daemon=True, name=f"bulk-{op.num}").start()
        return {"bulkOperation": op.record(), "userErrors": []}

    def _take_fault(self, shop, root_name, kind):
        f = shop.faults.bulk or {}
        mode = f.get("mode")
        if not mode or (f.get("entity") and f["entity"] not in (root_name, kind)):
            return None
        if f.get("times") is not None:
            f["times"] = int(f["times"]) - 1
            if f["times"] <= 0:
                shop.faults.bulk = {}
        return mode

    def cancel(self, ctx, args):
        shop = ctx["shop"]
        op = next((o for o in shop.bulk_ops.values() if o.gid == args.get("id")), None)
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        if op.status not in RUNNING:
            return {
                "bulkOperation": op.record(),
                "userErrors": [
                    {
                        "field": ["id"],
                        "message": "A bulk operation cannot be canceled when it is "
                        + op.status.lower(),
                    }
                ],
            }
        op.cancel_requested = True
        op.status = "CANCELING"
        return {"bulkOperation": op.record(), "userErrors": []}

    # lifecycle -----------------------------------------------------------------------
    def _sleep(self, op, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if op.cancel_requested:
                return
            time.sleep(0.01)

    def _run(self, op: BulkOp) -> None:
        try:
            self._lifecycle(op)
        except Exception:  # a bug must not leave the operation RUNNING forever
            traceback.print_exc()
            self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR")

    def _lifecycle(self, op: BulkOp) -> None:
        # CREATED for a moment (0.5 s × time scale, at least 50 ms) so pollers can see it.
        self._sleep(op, max(0.05, 0.5 * op.shop.settings.time_scale))
        if op.mode == "stuck":
            while not op.cancel_requested:  # stays CREATED until cancelled
                time.sleep(0.02)
        if op.cancel_requested:
            return self._finish(op, "CANCELED")
        op.status = "RUNNING"
        if op.mode == "access_denied":
            return self._finish(op, "FAILED", "ACCESS_DENIED")
        total_roots = sum(1 for _ in root_indexes(op)) if op.mode in ("fail", "timeout") else None
        limit = total_roots // 2 if total_roots is not None else None
        for n, (line, is_root) in enumerate(iter_lines(op, limit)):
            op.object_count += 1
            op.root_count += is_root
            op.file_size += len(line)
            if n % 500 == 0:
                time.sleep(0)  # let the event loop serve polls while we work
                if op.cancel_requested:
                    return self._finish(op, "CANCELED")
        if op.mode in ("fail", "timeout"):
            op.partial_roots = limit
            op.partial_url = f"{op.base_url}/_files/{op.token}.jsonl" if op.object_count else None
            return self._finish(
                op, "FAILED", "INTERNAL_SERVER_ERROR" if op.mode == "fail" else "TIMEOUT"
            )
        # Like Shopify, an operation that found nothing completes with url null.
        op.url = f"{op.base_url}/_files/{op.token}.jsonl" if op.object_count else None
        self._finish(op, "COMPLETED")

    def _finish(self, op: BulkOp, status: str, error: str | None = None) -> None:
        op.status, op.error_code = status, error
        op.completed_at = store.now_iso()
        op.expires_at = time.time() + URL_TTL
        if self.hub is not None:
            self.hub.emit(
                op.shop,
                "bulk_operations/finish",
                {
                    "admin_graphql_api_id": op.gid,
                    "completed_at": op.completed_at,
                    "created_at": op.created_at,
                    "error_code": error.lower() if error else None,
                    "status": status.lower(),
                    "type": "query",
                },
            )


async def serve_file(request: Request) -> Response:
    token = request.path_params["token"]
    for shop in list(request.app.state.registry.shops.values()):
        for op in list(shop.bulk_ops.values()):
            if op.token == token and (op.url or op.partial_url):
                if op.expires_at and time.time() > op.expires_at:
                    return PlainTextResponse("Request has expired", status_code=403)
                return StreamingResponse(_chunks(op), media_type="application/jsonl")
    return PlainTextResponse("The specified key does not exist.", status_code=404)


def _chunks(op: BulkOp, size: int = 256 * 1024):
    buf, n = [], 0
    for line, _ in iter_lines(op, op.partial_roots):
        buf.append(line)
        n += len(line)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)
