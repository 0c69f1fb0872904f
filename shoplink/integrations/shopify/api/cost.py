"""Static analysis of GraphQL documents: Shopify's requested cost and bulk-query shape.

Owns two pure checks we run *before* Shopify does, so a document that would be refused
never ships:

* :func:`requested_cost` — Shopify's calculated (requested) query cost, PLATFORM.md §3:
  scalars and enums 0, objects 1, a connection ``2 + first × (cost of one node)``,
  mutations 10. The single-query cap is 1000 (§3, §9 trap 15). This is the same rule
  the simulator charges (simulator/README "Cost"), so our numbers and its agree.
* :func:`connection_shape` — how many connections a bulk query selects and how deep
  they nest; Shopify allows at most five connections, nested at most two deep (§4).

Both need a ``graphql-core`` schema. graphql-core is a test/simulator dependency, not a
runtime one, so it is imported inside the functions and nothing here runs at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_QUERY_COST = 1000  # §3 "Single query max cost 1000 points"
MUTATION_COST = 10  # §3 default mutation cost
CONNECTION_BASE_COST = 2  # the connection object and its pageInfo
MAX_BULK_CONNECTIONS = 5  # §4
MAX_BULK_NESTING = 2  # §4


def _is_connection(named_type: Any) -> bool:
    return named_type.name.endswith("Connection") and hasattr(named_type, "fields")


def _argument(field_node: Any, name: str, variables: Mapping[str, Any]) -> Any:
    from graphql import value_from_ast_untyped

    for argument in field_node.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, dict(variables))
    return None


def _field_selections(selection_set: Any, fragments: Mapping[str, Any]):
    """Yield field nodes, flattening inline fragments and fragment spreads."""
    from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _field_selections(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            yield from _field_selections(fragments[selection.name.value].selection_set, fragments)


class _Walker:
    def __init__(self, schema: Any, fragments: Mapping[str, Any], variables: Mapping[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _field_type(self, parent: Any, field_node: Any):
        from graphql import get_named_type, get_nullable_type, is_list_type

        name = field_node.name.value
        if name.startswith("__"):
            return None, False
        field_type = parent.fields[name].type
        return get_named_type(field_type), is_list_type(get_nullable_type(field_type))

    def cost(self, selection_set: Any, parent: Any) -> int:
        from graphql import is_leaf_type

        total = 0
        for field_node in _field_selections(selection_set, self.fragments):
            named, is_list = self._field_type(parent, field_node)
            if named is None or is_leaf_type(named):
                continue
            if _is_connection(named):
                first = _argument(field_node, "first", self.variables)
                last = _argument(field_node, "last", self.variables)
                size = int(first or last or 1)
                per_node = self._connection_node_cost(field_node.selection_set, named)
                total += CONNECTION_BASE_COST + size * per_node
                continue
            one = 1 + self.cost(field_node.selection_set, named)
            # A plain list of objects that takes ``first`` (Order.fulfillments, refunds)
            # is sized like a connection's nodes; an unbounded list costs one object.
            size = _argument(field_node, "first", self.variables) if is_list else None
            total += one * int(size or 1)
        return total

    def _connection_node_cost(self, selection_set: Any, connection: Any) -> int:
        """Cost of one node of a connection, whether selected via edges.node or nodes."""
        per_node = 0
        for field_node in _field_selections(selection_set, self.fragments):
            name = field_node.name.value
            named, _ = self._field_type(connection, field_node)
            if name == "edges":
                for edge_field in _field_selections(field_node.selection_set, self.fragments):
                    if edge_field.name.value == "node":
                        node_type, _ = self._field_type(named, edge_field)
                        per_node += 1 + self.cost(edge_field.selection_set, node_type)
            elif name == "nodes":
                per_node += 1 + self.cost(field_node.selection_set, named)
            elif name != "pageInfo" and named is not None:
                per_node += self.cost(field_node.selection_set, named)
        return per_node

    def shape(self, selection_set: Any, parent: Any, depth: int) -> tuple[int, int]:
        """Return (connections selected, deepest connection nesting) below ``parent``."""
        from graphql import is_leaf_type

        count, deepest = 0, depth
        for field_node in _field_selections(selection_set, self.fragments):
            named, _ = self._field_type(parent, field_node)
            if named is None or is_leaf_type(named):
                continue
            level = depth + 1 if _is_connection(named) else depth
            sub_count, sub_deepest = self.shape(field_node.selection_set, named, level)
            count += sub_count + (1 if _is_connection(named) else 0)
            deepest = max(deepest, sub_deepest)
        return count, deepest


def _prepare(schema: Any, document: str, variables: Mapping[str, Any] | None):
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    ast = parse(document)
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise ValueError("expected exactly one operation")
    return _Walker(schema, fragments, variables or {}), operations[0]


def requested_cost(schema: Any, document: str, variables: Mapping[str, Any] | None = None) -> int:
    """Return Shopify's requested cost of ``document`` with ``variables`` (sizes for ``first``)."""
    walker, operation = _prepare(schema, document, variables)
    if operation.operation.value == "mutation":
        return MUTATION_COST
    return walker.cost(operation.selection_set, schema.query_type)


def connection_shape(schema: Any, document: str) -> tuple[int, int]:
    """Return ``(connection count, max connection nesting depth)`` of a query document."""
    walker, operation = _prepare(schema, document, None)
    return walker.shape(operation.selection_set, schema.query_type, 0)
