"""The executable schema: SDL files from `centra_sandbox/schema` bound to the resolvers."""

from functools import cache
from importlib import resources

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

from centra_sandbox.graphql import (
    catalog,
    catalog_writes,
    customer_writes,
    events,
    fulfilment,
    id_conversions,
    mutations,
    order_writes,
    orders,
    price_writes,
)
from centra_sandbox.graphql.scalars import SCALARS


@cache
def build_schema() -> GraphQLSchema:
    schema_dir = resources.files("centra_sandbox").joinpath("schema")
    type_defs = load_schema_from_path(str(schema_dir))
    bindables = [
        *SCALARS,
        *catalog.BINDABLES,
        *orders.BINDABLES,
        *mutations.BINDABLES,
        *events.BINDABLES,
        *id_conversions.BINDABLES,
        *fulfilment.BINDABLES,
        *catalog_writes.BINDABLES,
        *customer_writes.BINDABLES,
        *price_writes.BINDABLES,
        *order_writes.BINDABLES,
    ]
    return make_executable_schema(type_defs, *bindables)
