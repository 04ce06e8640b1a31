"""What every mutation shares: userErrors, selector inputs and the write transaction.

Selectors are the small inputs that name one object (digest §1.5): exactly one field is given,
and `{externalId: "..."}` resolves through the calling integration's ID conversion table
(digest §7). An unresolvable reference is the userError "Could not find <Type> with ID <v>.".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.store import id_conversions


class UserErrors:
    """Collects userErrors and userWarnings of one mutation (digest §1.4)."""

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.warnings: list[dict] = []

    def error(self, message: str, *path: Any) -> None:
        self.errors.append({"message": message, "path": [str(part) for part in path]})

    def warn(self, message: str, *path: Any) -> None:
        self.warnings.append({"message": message, "path": [str(part) for part in path]})

    def payload(self, **fields: Any) -> dict:
        return {**fields, "userErrors": self.errors, "userWarnings": self.warnings}


@contextmanager
def transaction(ctx: RequestContext) -> Iterator[None]:
    """Commit what the block wrote; an exception rolls it back, so no half-write is announced."""
    try:
        yield
    except BaseException:
        ctx.db.rollback()
        raise
    ctx.db.commit()


@dataclass(frozen=True)
class Selectable:
    """How a selector input of one object type finds its row.

    `fields` maps selector fields to columns; `key` is the internal id the ID conversion table
    stores (the order number for orders). `converts` is False for types that Centra's
    IdConversionEntryObjectType does not list, whose selectors take no `externalId`.
    """

    table: str
    fields: dict[str, str]
    key: str = "id"
    converts: bool = True


SELECTABLES = {
    "Order": Selectable("orders", {"id": "id", "number": "number"}, key="number"),
    "Warehouse": Selectable("warehouses", {"id": "id"}),
    "Product": Selectable("products", {"id": "id"}),
    "ProductVariant": Selectable("productVariants", {"id": "id"}),
    "Shipment": Selectable("shipments", {"id": "id"}),
    "Return": Selectable("returns", {"id": "id"}),
    "Customer": Selectable("customers", {"id": "id"}),
    "Pricelist": Selectable("pricelists", {"id": "id"}),
    "Market": Selectable("markets", {"id": "id"}),
    "Display": Selectable("displays", {"id": "id"}, converts=False),
    "Language": Selectable("languages", {"id": "id", "code": "code"}, converts=False),
}


def find(
    ctx: RequestContext, object_type: str, selector: dict | None, errors: UserErrors, *path: Any
) -> dict | None:
    """The row a selector names, or None with a userError at `path`."""
    spec = SELECTABLES[object_type]
    given = {key: value for key, value in (selector or {}).items() if value is not None}
    if len(given) != 1:
        names = [*spec.fields, *(("externalId",) if spec.converts else ())]
        errors.error(f"{object_type}Input takes exactly one of {', '.join(names)}.", *path)
        return None
    field, value = next(iter(given.items()))
    if field == "externalId":
        return _by_external_id(ctx, object_type, value, errors, *path)
    row = ctx.db.one(f"SELECT * FROM {spec.table} WHERE {spec.fields[field]} = ?", (value,))
    if row is None:
        errors.error(f"Could not find {object_type} with ID {value}.", *path, field)
    return row


def find_by_key(ctx: RequestContext, object_type: str, key: Any) -> dict | None:
    spec = SELECTABLES[object_type]
    return ctx.db.one(f"SELECT * FROM {spec.table} WHERE {spec.key} = ?", (key,))


def _by_external_id(
    ctx: RequestContext, object_type: str, value: str, errors: UserErrors, *path: Any
) -> dict | None:
    internal = id_conversions.internal_id(ctx.db, ctx.integration_name, object_type, value)
    # A dangling entry (its object gone) resolves to nothing, as Centra purges those entries.
    row = None if internal is None else find_by_key(ctx, object_type, internal)
    if row is None:
        errors.error(f"Could not find {object_type} with ID {value}.", *path, "externalId")
    return row


def check_external_id(external: str | None, errors: UserErrors, *path: Any) -> None:
    """External ids are 1 to 255 characters (digest §7)."""
    limit = id_conversions.MAX_EXTERNAL_ID_LENGTH
    if external is not None and not 1 <= len(external) <= limit:
        errors.error(f"externalId must be 1 to {limit} characters; got {len(external)}.", *path)


def remember_external_id(
    ctx: RequestContext, object_type: str, internal: int, external: str | None
) -> None:
    """`externalId` on a write input: an entry in the caller's ID conversion table (§7)."""
    if external is not None:
        id_conversions.set_entry(ctx.db, ctx.integration_name, object_type, internal, external)


def external_id_of(ctx: RequestContext, object_type: str, internal: int) -> str | None:
    return id_conversions.external_id(ctx.db, ctx.integration_name, object_type, internal)
