"""Query cost (PLATFORM §3) and the per-shop leaky bucket.

Requested cost: scalars/enums 0, objects 1, a connection `2 + first × (cost of one node)`,
a plain list with `first` sized like nodes, mutations 10. Actual cost walks the result
and counts the nodes really returned. The bucket holds 20 × the restore rate, is charged
the requested cost up front and refunded the difference.
"""

from __future__ import annotations

import time

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)

MAX_COST = 1000
MUTATION_COST = 10


def _fields(selection_set, fragments):
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            yield sel
        elif isinstance(sel, InlineFragmentNode):
            yield from _fields(sel.selection_set, fragments)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            yield from _fields(fragments[sel.name.value].selection_set, fragments)


def _arg(node: FieldNode, name: str, variables):
    for a in node.arguments or ():
        if a.name.value == name:
            return value_from_ast_untyped(a.value, variables)
    return None


def _is_connection(t) -> bool:
    return t.name.endswith("Connection") and hasattr(t, "fields")


class CostWalker:
    """Computes requested (no data) or actual (with data) cost of one operation."""

    def __init__(self, schema, fragments, variables):
        self.schema, self.fragments, self.variables = schema, fragments, variables or {}

    def _ftype(self, parent, node):
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return None, False
        t = fields[name].type
        return get_named_type(t), is_list_type(get_nullable_type(t))

    def cost(self, selection_set, parent, data=None, actual=False) -> int:
        total = 0
        for node in _fields(selection_set, self.fragments):
            named, is_list = self._ftype(parent, node)
            if named is None or is_leaf_type(named):
                continue
            key = node.alias.value if node.alias else node.name.value
            value = data.get(key) if isinstance(data, dict) else None
            if actual and value is None:
                continue
            if _is_connection(named):
                if actual:
                    total += 2 + self._conn_actual(node.selection_set, named, value)
                else:
                    size = int(
                        _arg(node, "first", self.variables)
                        or _arg(node, "last", self.variables)
                        or 1
                    )
                    total += 2 + size * self._node_cost(node.selection_set, named)
                continue
            if actual:
                items = value if isinstance(value, list) else [value]
                total += sum(1 + self.cost(node.selection_set, named, v, True) for v in items)
            else:
                size = _arg(node, "first", self.variables) if is_list else None
                total += (1 + self.cost(node.selection_set, named)) * int(size or 1)
        return total

    def _node_cost(self, selection_set, conn) -> int:
        per = 0
        for node in _fields(selection_set, self.fragments):
            named, _ = self._ftype(conn, node)
            if node.name.value == "edges":
                for e in _fields(node.selection_set, self.fragments):
                    if e.name.value == "node":
                        nt, _ = self._ftype(named, e)
                        per += 1 + self.cost(e.selection_set, nt)
            elif node.name.value == "nodes":
                per += 1 + self.cost(node.selection_set, named)
            elif node.name.value != "pageInfo" and named is not None and not is_leaf_type(named):
                per += self.cost(node.selection_set, named)
        return per

    def _conn_actual(self, selection_set, conn, value) -> int:
        total = 0
        for node in _fields(selection_set, self.fragments):
            key = node.alias.value if node.alias else node.name.value
            named, _ = self._ftype(conn, node)
            if node.name.value == "edges":
                for edge in value.get(key) or []:
                    for e in _fields(node.selection_set, self.fragments):
                        if e.name.value == "node":
                            nt, _ = self._ftype(named, e)
                            ek = e.alias.value if e.alias else "node"
                            total += 1 + self.cost(e.selection_set, nt, (edge or {}).get(ek), True)
            elif node.name.value == "nodes":
                for n in value.get(key) or []:
                    total += 1 + self.cost(node.selection_set, named, n, True)
        return total


def requested_cost(schema, operation, fragments, variables) -> int:
    if operation.operation.value == "mutation":
        return MUTATION_COST
    return CostWalker(schema, fragments, variables).cost(operation.selection_set, schema.query_type)


def actual_cost(schema, operation, fragments, variables, data) -> int:
    if operation.operation.value == "mutation":
        return MUTATION_COST
    if data is None:
        return 0
    return CostWalker(schema, fragments, variables).cost(
        operation.selection_set, schema.query_type, data, True
    )


def _refill(shop) -> None:
    now = time.monotonic()
    maximum = 20 * shop.restore_rate
    if shop.bucket_available is None:
        shop.bucket_available = maximum
    else:
        shop.bucket_available = min(
            maximum, shop.bucket_available + (now - shop.bucket_at) * shop.restore_rate
        )
    shop.bucket_at = now


def charge(shop, requested: int) -> bool:
    """Take `requested` points if available; False means THROTTLED."""
    with shop.lock:
        _refill(shop)
        if requested > shop.bucket_available:
            return False
        shop.bucket_available -= requested
        return True


def refund(shop, points: float) -> None:
    with shop.lock:
        _refill(shop)
        shop.bucket_available = min(20 * shop.restore_rate, shop.bucket_available + max(points, 0))


def throttle_status(shop) -> dict:
    with shop.lock:
        _refill(shop)
        return {
            "maximumAvailable": 20 * shop.restore_rate,
            "currentlyAvailable": int(shop.bucket_available),
            "restoreRate": shop.restore_rate,
        }
