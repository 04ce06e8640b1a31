"""ID conversion resolvers (digest §7): set, unset and list the caller's integration's entries.

The table is not an EventObjectType, so these writes record nothing in the change feed.
"""

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.listing import ListSpec, fetch_page, in_list, string_match
from centra_sandbox.graphql.writes import (
    SELECTABLES,
    UserErrors,
    check_external_id,
    find_by_key,
    transaction,
)
from centra_sandbox.store import id_conversions

ID_CONVERSION_SPEC = ListSpec(
    source="idConversions",
    filters={
        "id": in_list("id"),
        "objectType": in_list("objectType"),
        "internalId": in_list("internalId"),
        "externalId": string_match("externalId"),
    },
    sorts={"id": "id"},
)

query = QueryType()
mutation = MutationType()


@query.field("idConversions")
def resolve_id_conversions(
    _: Any, info: GraphQLResolveInfo, where=None, limit: int = 20, page: int = 1
) -> list[dict]:
    ctx = info.context
    scope = ("integrationName = ?", [ctx.integration_name])
    return fetch_page(ctx, ID_CONVERSION_SPEC, where, None, limit, page, scope)


@mutation.field("setIdConversions")
def resolve_set_id_conversions(_: Any, info: GraphQLResolveInfo, input: list[dict]) -> dict:
    ctx, errors = info.context, UserErrors()
    entries = []
    with transaction(ctx):
        for index, item in enumerate(input):
            if _valid_entry(ctx, item, errors, index):
                entries.append(
                    id_conversions.set_entry(
                        ctx.db,
                        ctx.integration_name,
                        item["objectType"],
                        item["internalId"],
                        item["externalId"],
                    )
                )
    return errors.payload(entries=entries)


def _valid_entry(ctx: RequestContext, item: dict, errors: UserErrors, index: int) -> bool:
    if item["internalId"] < 1:
        errors.error(
            f"internalId must be a positive integer; got {item['internalId']}.",
            "input",
            index,
            "internalId",
        )
        return False
    before = len(errors.errors)
    check_external_id(item["externalId"], errors, "input", index, "externalId")
    if len(errors.errors) > before:
        return False
    object_type = item["objectType"]
    # Centra accepts ids it cannot resolve and purges such entries later; say so, do not refuse.
    if object_type in SELECTABLES and find_by_key(ctx, object_type, item["internalId"]) is None:
        errors.warn(
            f"No {object_type} with ID {item['internalId']} exists; the entry is kept, but Centra "
            "purges entries whose object is gone.",
            "input",
            index,
            "internalId",
        )
    return True


@mutation.field("unsetIdConversions")
def resolve_unset_id_conversions(_: Any, info: GraphQLResolveInfo, input: list[dict]) -> dict:
    ctx, errors = info.context, UserErrors()
    removed = []
    with transaction(ctx):
        for index, item in enumerate(input):
            found = _entry_of(ctx, item, errors, index)
            if found is not None and found["id"] not in {row["id"] for row in removed}:
                id_conversions.remove_entry(ctx.db, found["id"])
                removed.append(found)
    return errors.payload(entries=removed)


def _entry_of(ctx: RequestContext, item: dict, errors: UserErrors, index: int) -> dict | None:
    path = ("input", index, "idConversion")
    given = {key: value for key, value in item["idConversion"].items() if value is not None}
    if len(given) != 1:
        errors.error("IdConversionInput takes exactly one of id, internalId, externalId.", *path)
        return None
    column, value = next(iter(given.items()))
    found = id_conversions.find_entry(
        ctx.db, ctx.integration_name, item["objectType"], column, value
    )
    if found is None:
        errors.error(
            f"Could not find IdConversionEntry with ID {value} for {item['objectType']}.",
            *path,
            column,
        )
    return found


BINDABLES = [query, mutation]
