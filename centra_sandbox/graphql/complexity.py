"""Deterministic query-complexity heuristic computed from the query AST (digest §1.3, §11.3).

Centra does not publish its algorithm, only example totals between 10 and about 230 for
everyday queries. Ours lands in that range: every object field costs 1 plus its selections; a
paged list multiplies that by its page size in tens (`limit`, `first`/`last` or the declared
default, rounded up: a page of 100 costs ten times a page of 10); lists without paging count
once; scalars are free except the stock quantities that Centra calls expensive, which cost 1
each; `rateLimits` costs a flat 10 as in the digest's example.
"""

import math
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

EXPENSIVE_SCALARS = frozenset(
    {
        "availableQuantity",
        "availableNowQuantity",
        "physicalQuantity",
        "demandQuantity",
        "allocatedQuantity",
        "unshippedQuantity",
        "onDeliveryQuantity",
        "incomingQuantity",
        "linkedIncomingQuantity",
        "unlinkedIncomingQuantity",
    }
)
EXPENSIVE_SCALAR_COST = 1
FIXED_COSTS = {("Query", "rateLimits"): 10}
DEFAULT_PAGE_SIZE = 20
UNPAGED_LIST_SIZE = 1
PAGE_UNIT = 10


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            node.name.value: node
            for node in document.definitions
            if isinstance(node, FragmentDefinitionNode)
        }

    def selections(self, parent: Any, selection_set: SelectionSetNode, page: int | None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(target, selection.selection_set, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(target, fragment.selection_set, page)
        return total

    def field(self, parent: Any, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        fixed = FIXED_COSTS.get((parent.name, name))
        definition = getattr(parent, "fields", {}).get(name)
        if fixed is not None or definition is None:
            return fixed or 0
        if node.selection_set is None:
            return EXPENSIVE_SCALAR_COST if name in EXPENSIVE_SCALARS else 0
        args = {
            arg.name.value: value_from_ast_untyped(arg.value, self.variables)
            for arg in node.arguments
        }
        child_page = args.get("first") or args.get("last")
        if child_page is None and name.endswith("Connection"):
            child_page = DEFAULT_PAGE_SIZE
        inner = self.selections(get_named_type(definition.type), node.selection_set, child_page)
        return self._multiplier(definition, args, name, page) * (1 + inner)

    @staticmethod
    def _multiplier(definition: Any, args: dict, name: str, page: int | None) -> int:
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if not isinstance(field_type, GraphQLList):
            return 1
        if isinstance(args.get("limit"), int):
            return _in_tens(args["limit"])
        if name == "edges" and page:
            return _in_tens(page)
        declared = definition.args.get("limit")
        if declared is not None and isinstance(declared.default_value, int):
            return _in_tens(declared.default_value)
        return UNPAGED_LIST_SIZE


def _in_tens(page_size: int) -> int:
    return max(1, math.ceil(page_size / PAGE_UNIT))


def query_complexity(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict | None,
) -> int:
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    return _Walker(schema, document, variables or {}).selections(
        root, operation.selection_set, None
    )


def mutation_count(operation: OperationDefinitionNode) -> int:
    """Top-level mutation fields, aliases included: each one costs a MUTATION_COUNT token."""
    if operation.operation.value != "mutation":
        return 0
    return sum(
        1
        for selection in operation.selection_set.selections
        if isinstance(selection, FieldNode) and not selection.name.value.startswith("__")
    )
