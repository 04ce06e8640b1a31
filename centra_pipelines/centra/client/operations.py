"""What the client needs to know about a GraphQL document before sending it, and path lookups.

The document is parsed locally (graphql-core's parser only, no schema): the kind of operation
decides the retry rules, and the number of mutation fields is what Centra's MUTATION_COUNT bucket
charges (a request with eight aliased mutations costs eight), so both must be known before the
request leaves.
"""

import dataclasses
import functools
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.language import FieldNode

from centra_pipelines.centra.client.errors import CentraQueryError, CentraResponseError


@dataclasses.dataclass(frozen=True)
class Operation:
    """The facts about one GraphQL document that pacing, retries and logs depend on."""

    name: str
    is_mutation: bool
    mutation_count: int
    variable_names: frozenset[str]


@functools.lru_cache(maxsize=256)
def describe_operation(query: str, operation_name: str | None = None) -> Operation:
    """Parse `query` and describe the operation that Centra would run.

    Raises:
        CentraQueryError: The document does not parse or names no such operation; sending it
            would only spend rate-limit tokens on a certain error.
    """
    try:
        document = parse(query)
    except GraphQLError as error:
        raise _local_query_error(str(error.message), operation_name or "query") from error

    definition = _pick_definition(document.definitions, operation_name)
    is_mutation = definition.operation == OperationType.MUTATION
    selections = definition.selection_set.selections
    fields = [selection for selection in selections if isinstance(selection, FieldNode)]
    label = operation_name or (definition.name.value if definition.name else None)
    if label is None:
        label = "+".join(field.name.value for field in fields) or "anonymous operation"
    return Operation(
        name=label,
        is_mutation=is_mutation,
        mutation_count=max(1, len(selections)) if is_mutation else 0,
        variable_names=frozenset(
            variable.variable.name.value for variable in definition.variable_definitions or ()
        ),
    )


def resolve_path(data: Any, path: str) -> Any:
    """Follow a dotted path into response data; integer segments index lists (`warehouses.0.stock`).

    Raises:
        CentraResponseError: A segment is missing, so the query and the path disagree.
    """
    current = data
    for segment in path.split("."):
        if isinstance(current, list) and segment.lstrip("-").isdigit():
            index = int(segment)
            if not -len(current) <= index < len(current):
                raise _path_error(path, segment, f"the list there has {len(current)} item(s)")
            current = current[index]
        elif isinstance(current, Mapping) and segment in current:
            current = current[segment]
        else:
            raise _path_error(path, segment, f"found {type(current).__name__} without it")
    return current


def key_function(key: str | Callable[[Mapping[str, Any]], Hashable]) -> Callable[[Any], Hashable]:
    """Turn a field name or a callable into a function that returns an item's identity."""
    if callable(key):
        return key

    def by_field(item: Mapping[str, Any]) -> Hashable:
        if not isinstance(item, Mapping) or key not in item:
            raise CentraResponseError(
                f"An item has no {key!r} field to deduplicate pages by; select {key!r} in the "
                "query or pass `key=` naming a field or a callable that identifies an item."
            )
        return _hashable(item[key])

    return by_field


def _hashable(value: Any) -> Hashable:
    # A key field may be an object (`productSize { id }`); its JSON text identifies it as well.
    if isinstance(value, Mapping | list):
        return json.dumps(value, sort_keys=True)
    return value


def _pick_definition(definitions: Sequence[Any], name: str | None) -> OperationDefinitionNode:
    operations = [node for node in definitions if isinstance(node, OperationDefinitionNode)]
    if name is not None:
        operations = [node for node in operations if node.name and node.name.value == name]
    if len(operations) != 1:
        wanted = f"named {name!r}" if name else "(pass operation_name to pick one)"
        raise _local_query_error(
            f"expected exactly one operation {wanted}, found {len(operations)}", name or "query"
        )
    return operations[0]


def _local_query_error(message: str, operation: str) -> CentraQueryError:
    return CentraQueryError(
        errors=[{"message": f"not sent, rejected locally: {message}"}],
        operation=operation,
        partial_data=False,
    )


def _path_error(path: str, segment: str, found: str) -> CentraResponseError:
    return CentraResponseError(
        f"The response has no {segment!r} on the path {path!r} ({found}); make the path match "
        "the fields the query selects."
    )
