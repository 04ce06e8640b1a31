"""createCustomer and updateCustomer (digest §4.9, §5.2), as a support tool writes them back.

Centra's names are inferred from CustomerCreateInput / CustomerUpdateInput (digest §11.10).
One e-mail may belong to two customers of a store, a registered and an unregistered one
(§4.9), so the pair (email, registered) is unique per store. Writes record Customer CREATED or
UPDATED, which the Integration API webhook sends as `customer` create/update.
"""

import re
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.writes import (
    UserErrors,
    check_external_id,
    remember_external_id,
    transaction,
)
from centra_sandbox.store.database import bump_updated_at

mutation = MutationType()

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COLUMNS = (
    "email", "firstName", "lastName", "status", "gender", "birthdate", "newsletter", "registered",
)  # fmt: skip
_DEFAULT_STORE_ID = 1


@mutation.field("createCustomer")
def resolve_create_customer(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    store_id = _store_id(ctx, input.get("store"), errors)
    country_id = _country_id(ctx, input.get("country"), store_id, errors)
    _check_email(ctx, input["email"], input["registered"], store_id, None, errors)
    check_external_id(input.get("externalId"), errors, "input", "externalId")
    if errors.errors:
        return errors.payload(customer=None)

    values = _stored({**{column: input.get(column) for column in _COLUMNS}})
    with transaction(ctx):
        customer_id = ctx.db.execute(
            f"INSERT INTO customers ({', '.join(values)}, createdAt, updatedAt, storeId, "
            f"countryId) VALUES ({', '.join('?' for _ in values)}, ?, ?, ?, ?)",
            (*values.values(), ctx.now, ctx.now, store_id, country_id),
        )
        remember_external_id(ctx, "Customer", customer_id, input.get("externalId"))
        ctx.changes.customer(customer_id, "CREATED")
    return errors.payload(customer=_customer(ctx, customer_id))


@mutation.field("updateCustomer")
def resolve_update_customer(_: Any, info: GraphQLResolveInfo, id: int, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    customer = _customer(ctx, id)
    if customer is None:
        errors.error(f"Could not find Customer with ID {id}.", "id")
        return errors.payload(customer=None)
    if input.get("email") is not None or input.get("registered") is not None:
        email = input.get("email") or customer["email"]
        registered = input.get("registered")
        registered = bool(customer["registered"]) if registered is None else registered
        _check_email(ctx, email, registered, customer["storeId"], id, errors)
    country_id = None
    if input.get("country") is not None:
        country_id = _country_id(ctx, input["country"], customer["storeId"], errors)
    if errors.errors:
        return errors.payload(customer=customer)

    values = _stored(
        {column: input[column] for column in _COLUMNS if input.get(column) is not None}
    )
    if country_id is not None:
        values["countryId"] = country_id
    with transaction(ctx):
        for column, value in values.items():
            ctx.db.execute(f"UPDATE customers SET {column} = ? WHERE id = ?", (value, id))
        bump_updated_at(ctx.db, "customers", "id", id)
        ctx.changes.customer(id, "UPDATED")
    return errors.payload(customer=_customer(ctx, id))


def _stored(values: dict) -> dict:
    """Column values as SQLite keeps them: booleans as 0/1, dates as Y-m-d text."""
    stored = {}
    for column, value in values.items():
        if isinstance(value, bool):
            value = int(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        stored[column] = value
    return stored


def _store_id(ctx: RequestContext, store: dict | None, errors: UserErrors) -> int | None:
    if store is None:
        return _DEFAULT_STORE_ID
    row = ctx.db.one("SELECT * FROM stores WHERE id = ?", (store["id"],))
    if row is None:
        errors.error(f"Could not find Store with ID {store['id']}.", "input", "store", "id")
        return None
    if row["type"] != "DIRECT_TO_CONSUMER":
        errors.error(
            f"Store {row['id']} is {row['type']}; customers belong to direct-to-consumer stores "
            "(wholesale has accounts and buyers).",
            "input",
            "store",
        )
        return None
    return row["id"]


def _country_id(
    ctx: RequestContext, country: dict | None, store_id: int | None, errors: UserErrors
) -> int | None:
    if country is None:
        return ctx.db.scalar(
            "SELECT c.id FROM countries c JOIN markets m ON m.id = c.marketId "
            "WHERE m.storeId = ? ORDER BY m.id, c.id LIMIT 1",
            (store_id,),
        )
    given = {key: value for key, value in country.items() if value is not None}
    if len(given) != 1:
        errors.error("CountryInput takes exactly one of id, code.", "input", "country")
        return None
    field, value = next(iter(given.items()))
    found = ctx.db.scalar(f"SELECT id FROM countries WHERE {field} = ?", (value,))
    if found is None:
        errors.error(f"Could not find Country with ID {value}.", "input", "country", field)
    return found


def _check_email(
    ctx: RequestContext,
    email: str,
    registered: bool,
    store_id: int | None,
    own_id: int | None,
    errors: UserErrors,
) -> None:
    if not _EMAIL.match(email):
        errors.error(f"{email!r} is not an e-mail address.", "input", "email")
        return
    taken = ctx.db.scalar(
        "SELECT id FROM customers WHERE storeId = ? AND lower(email) = lower(?) "
        "AND registered = ? AND id != ?",
        (store_id, email, int(registered), own_id or 0),
    )
    if taken is not None:
        kind = "registered" if registered else "unregistered"
        errors.error(
            f"Customer {taken} is already the {kind} customer with e-mail {email} in store "
            f"{store_id}.",
            "input",
            "email",
        )


def _customer(ctx: RequestContext, customer_id: int) -> dict | None:
    return ctx.db.one("SELECT * FROM customers WHERE id = ?", (customer_id,))


BINDABLES = [mutation]
