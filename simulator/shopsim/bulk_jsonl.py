"""The JSONL lines of a bulk query: each record projected as normal GraphQL would resolve it.

Every connection node becomes its own line with `__parentId` (the id of the object that
holds the connection); other fields stay inline, resolved with the same rules as
`resolvers.field_resolver`: type defaults for missing non-null fields (projected through
their selection, so `seo { title }` keeps `title`), count fields counted from their list,
enums coerced, `legacyResourceId` from the id, `metafield(s)` from the shop. So a bulk line
equals the node of the same query run as normal GraphQL, minus its connections.

Order (PLATFORM §4): with `groupObjects: true` each parent line is followed by its
children, each child by its own children. With `false` Shopify promises no order; for
every seventh parent the children are written *before* it, so clients that assume
grouping fail here as they would on Shopify.

Each (selection set, type) is turned once into a plan (the steps below) and the plan into a
Python function (`bulk_compile`), because a million-order export runs the same projection a
million times.
"""

from __future__ import annotations

from itertools import islice

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)

from shopsim import store
from shopsim.bulk_compile import (
    CONN,
    LEAF,
    LIST,
    METAFIELD,
    METAFIELDS,
    OBJ,
    TYPENAME,
    compile_plan,
)
from shopsim.bulk_query import (
    fields_of,
    first_arg,
    is_concrete,
    is_conn,
    literal_args,
    node_selection,
)
from shopsim.resolvers import default_for
from shopsim.schema import get_schema


class Projector:
    """Turns one record into its JSONL objects following a bulk query's selection."""

    def __init__(self, fragments, shop=None):
        self.fragments = fragments
        self.shop = shop
        self.schema = get_schema()
        self.plans: dict = {}
        self.fns: dict = {}
        self.dispatchers: dict = {}

    def plan(self, sel, ptype):
        key = (id(sel), ptype.name)
        got = self.plans.get(key)
        if got is not None:
            return got
        steps = []
        for node in fields_of(sel, self.fragments, ptype.name):
            name = node.name.value
            out = node.alias.value if node.alias else name
            if name == "__typename":
                steps.append((TYPENAME, out, name, None, None, None))
                continue
            fdef = ptype.fields.get(name)
            if fdef is None:
                continue
            named = get_named_type(fdef.type)
            default = default_for(fdef.type)
            if name == "metafield":
                args = literal_args(node)
                mkey = (args.get("namespace") or "app", args.get("key"))
                steps.append((METAFIELD, out, name, (node.selection_set, named), None, mkey))
            elif is_conn(named):
                csel, ctype = node_selection(node, named, self.fragments)
                kind = METAFIELDS if name == "metafields" else CONN
                steps.append((kind, out, name, (csel, ctype), default, None))
            elif is_leaf_type(named):
                enum = named if isinstance(named, GraphQLEnumType) else None
                steps.append((LEAF, out, name, None, default, enum))
            elif is_list_type(get_nullable_type(fdef.type)):
                sub = (node.selection_set, named)
                steps.append((LIST, out, name, sub, default, first_arg(node)))
            else:
                nonnull = isinstance(fdef.type, GraphQLNonNull)
                steps.append((OBJ, out, name, (node.selection_set, named), default, nonnull))
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
        """The line of `value`; its connection nodes are appended to `children` (pre-order)."""
        return self.compiled(sel, self._type_of(value, parent_type))(value, children)

    def compiled(self, sel, ptype):
        """The projection of `sel` on the concrete type `ptype`, compiled once."""
        key = (id(sel), ptype.name)
        fn = self.fns.get(key)
        if fn is None:
            fn = self.fns[key] = compile_plan(self, self.plan(sel, ptype), ptype)
        return fn

    def dispatcher(self, sel, ptype):
        """A projection for values declared as `ptype` (the record's own type may differ)."""
        key = (id(sel), ptype.name)
        got = self.dispatchers.get(key)
        if got is not None:
            return got
        if not is_concrete(ptype.name):

            def dispatch(value, children):
                return self.project(value, sel, ptype, children)

        else:
            fn, name, project = self.compiled(sel, ptype), ptype.name, self.project

            def dispatch(value, children):
                tn = value.get("__typename")
                if tn is None or tn == name:
                    return fn(value, children)
                return project(value, sel, ptype, children)

        self.dispatchers[key] = dispatch
        return dispatch

    def metafield(self, owner, key):
        return self.shop.metafields.get((owner, *key)) if self.shop else None

    def _metafields(self, owner):
        if self.shop is None:
            return ()
        return [m for (o, _, _), m in self.shop.metafields.items() if o == owner]


def _in_index_order(op) -> bool:
    """No search and a sort `store.select` answers in index order (every key but UPDATED_AT)."""
    args = op.root_args
    return not args.get("query") and (args.get("sortKey") or "ID").upper() != "UPDATED_AT"


def root_indexes(op, start: int = 0, stop: int | None = None):
    """Indexes of the root records at result positions `start`..`stop`, in result order.

    Without a search the result is the live indexes in order, so a worker jumps to its
    first position instead of walking (and encoding a cursor for) every root before it.
    """
    args = op.root_args
    reverse = bool(args.get("reverse"))
    table = op.snapshot
    if _in_index_order(op):
        if not any(v is None for v in table.overrides.values()):  # nothing deleted
            n = table.next_index
            yield from (range(n - 1, -1, -1) if reverse else range(n))[start:stop]
        else:
            yield from islice(table.indexes(reverse=reverse), start, stop)
        return
    rows = store.select(
        table, query=args.get("query"), sort_key=args.get("sortKey"), reverse=reverse
    )
    for _, i in islice(rows, start, stop):
        yield i


def root_count(op) -> int:
    """How many roots the result has."""
    if _in_index_order(op):
        return op.snapshot.live_count()
    return sum(1 for _ in root_indexes(op))


def iter_roots(op, start: int = 0, stop: int | None = None):
    """Yield (bytes, objects) per root of roots `start`..`stop`: its line and its children's.

    One chunk per root, in file order (deterministic), so the writer makes one call per
    root rather than per line.
    """
    schema = get_schema()
    root = op.root
    proj = Projector(op.fragments, op.shop)
    ctype = get_named_type(schema.query_type.fields[root.name.value].type)
    sel, ntype = node_selection(root, ctype, op.fragments)
    dumps, nl = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    grouped = op.group_objects
    project = proj.dispatcher(sel, ntype)
    get = op.snapshot.get
    for i in root_indexes(op, start, stop):
        rec = get(i)
        if rec is None:
            continue
        children: list = []
        parent = dumps(project(rec, children), option=nl)
        if not children:
            yield parent, 1
        elif not grouped and i % 7 == 3:
            yield b"".join([*(dumps(c, option=nl) for c in children), parent]), 1 + len(children)
        else:
            yield b"".join([parent, *(dumps(c, option=nl) for c in children)]), 1 + len(children)
