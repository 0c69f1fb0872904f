"""Reading a bulk query document: its fields, connections, and Shopify's restrictions (§4).

`check` turns the `query` argument of `bulkOperationRunQuery` into the root connection
field and the fragments, or the userError message Shopify answers for a document it
refuses: not one query, a top-level `node(s)`, no connection, more than five connections,
connections nested more than two deep, or no supported top-level connection.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError

from shopsim.resolvers import ROOT_CONNECTIONS
from shopsim.schema import get_schema


def fields_of(selection_set, fragments, typename=None):
    """The field nodes of a selection set, fragments expanded for `typename` (None: all)."""
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            yield sel
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            if cond is None or typename is None or cond == typename or not is_concrete(cond):
                yield from fields_of(sel.selection_set, fragments, typename)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            frag = fragments[sel.name.value]
            cond = frag.type_condition.name.value
            if typename is None or cond == typename or not is_concrete(cond):
                yield from fields_of(frag.selection_set, fragments, typename)


def is_concrete(name: str) -> bool:
    return hasattr(get_schema().get_type(name), "is_type_of")


def is_conn(t) -> bool:
    return t.name.endswith("Connection") and hasattr(t, "fields")


def shape(selection_set, parent, fragments, depth=0):
    """(number of connections, deepest connection nesting) of a selection."""
    count, deepest = 0, depth
    for node in fields_of(selection_set, fragments):
        f = getattr(parent, "fields", {}).get(node.name.value)
        if f is None:
            continue
        named = get_named_type(f.type)
        if is_leaf_type(named):
            continue
        lvl = depth + 1 if is_conn(named) else depth
        c, d = shape(node.selection_set, named, fragments, lvl)
        count += c + (1 if is_conn(named) else 0)
        deepest = max(deepest, d)
    return count, deepest


def node_selection(node: FieldNode, conn_type, fragments):
    """(selection set, node type) of a connection's `edges { node }` or `nodes`."""
    for f in fields_of(node.selection_set, fragments):
        if f.name.value == "edges":
            edge_t = get_named_type(conn_type.fields["edges"].type)
            for e in fields_of(f.selection_set, fragments):
                if e.name.value == "node":
                    return e.selection_set, get_named_type(edge_t.fields["node"].type)
        if f.name.value == "nodes":
            return f.selection_set, get_named_type(conn_type.fields["nodes"].type)
    return None, None


def literal_args(node: FieldNode) -> dict:
    """The literal (non-variable) arguments of a field node."""
    return {a.name.value: a.value.value for a in node.arguments or () if hasattr(a.value, "value")}


def first_arg(node: FieldNode):
    value = literal_args(node).get("first")
    return int(value) if value is not None else None


def check(text: str):
    """(root field node, fragments, None) for an acceptable document, else (None, None, message)."""
    schema = get_schema()
    try:
        doc = parse(text)
    except GraphQLSyntaxError as exc:
        return None, None, f"Invalid bulk query: {exc.message}"
    errors = validate(schema, doc)
    if errors:
        return None, None, "Invalid bulk query: " + "; ".join(e.message for e in errors)
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    if len(ops) != 1 or ops[0].operation.value != "query":
        return None, None, "Invalid bulk query: must be a single query operation"
    tops = list(fields_of(ops[0].selection_set, fragments))
    if any(t.name.value in ("node", "nodes") for t in tops):
        return None, None, "Bulk queries cannot contain a top level `node` or `nodes` field."
    count, depth = shape(ops[0].selection_set, schema.query_type, fragments)
    if count == 0:
        return None, None, "Bulk queries must contain at least one connection."
    if count > 5:
        return None, None, f"Bulk queries cannot contain more than 5 connections (found {count})."
    if depth > 2:
        return (
            None,
            None,
            "Bulk queries cannot contain connections with a nesting depth greater than 2.",
        )
    roots = [t for t in tops if t.name.value in ROOT_CONNECTIONS]
    if len(roots) != 1:
        return (
            None,
            None,
            "Bulk queries must select exactly one supported top level connection "
            "(customers, orders, abandonedCheckouts, products, collections).",
        )
    return roots[0], fragments, None
