"""Item master of the example ERP: the customs and logistics data of every item it sells.

Items are keyed by `item_number`, the product number Centra shows too. The ERP keeps net weights
in whole grams and customs tariff codes under its own column names; centra-pipelines' mapping
files (config/mappings/erp/products.*.yaml) translate them. `updated_at` moves with every change
of a row (a trigger), as the ERP's own screens would move it.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from sandbox_systems.erp.database import SCHEMA, touched_on_update, transaction

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};

CREATE TABLE IF NOT EXISTS {SCHEMA}.items (
    item_number TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    tariff_code TEXT,
    origin_country CHAR(2),
    net_weight_g INTEGER CHECK (net_weight_g >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""


def create(connection: Connection) -> None:
    """Create the item master unless it exists."""
    connection.execute(text(_DDL + touched_on_update("items")))


def seed(
    url: str,
    centra_products: Iterable[Mapping[str, Any]],
    *,
    reweighed: int = 2,
    left_out: int = 1,
    erp_only: Iterable[Mapping[str, Any]] = (),
) -> dict[str, list[str]]:
    """Fill the item master from Centra's products, with a few deliberate differences.

    Args:
        url: a `postgresql+psycopg2://` URL of a database `create_erp` prepared.
        centra_products: mappings with `product_number`, `name`, `harmonized_commodity_code`,
            `country_of_origin` and `weight_kg` (a Decimal or None).
        reweighed: how many items the ERP weighs 50 g heavier than Centra (the first by number).
        left_out: how many Centra products the ERP does not have yet (the last by number).
        erp_only: items only the ERP has, with the same keys.

    Returns:
        The differences, as `{"reweighed": [...], "left_out": [...], "erp_only": [...]}`.
    """
    rows = sorted((_row(product) for product in centra_products), key=lambda row: row["item"])
    missing = rows[len(rows) - left_out :] if left_out else []
    kept = rows[: len(rows) - len(missing)]
    for row in kept[:reweighed]:
        row["grams"] = (row["grams"] or 0) + 50
    extra = [_row(product) for product in erp_only]

    with transaction(url) as connection:
        _insert(connection, kept + extra)
    return {
        "reweighed": [row["item"] for row in kept[:reweighed]],
        "left_out": [row["item"] for row in missing],
        "erp_only": [row["item"] for row in extra],
    }


def update_item(connection: Connection, item_number: str, **columns: Any) -> None:
    """Change columns of one item as a person would in the ERP (its updated_at moves with it)."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns if name in _COLUMNS)
    connection.execute(
        text(f"UPDATE {SCHEMA}.items SET {assignments} WHERE item_number = :item_number"),
        {**columns, "item_number": item_number},
    )


def summary(connection: Connection) -> dict[str, Any]:
    """How many items the ERP holds and when the last one changed."""
    count, last = connection.execute(
        text(f"SELECT count(*), max(updated_at) FROM {SCHEMA}.items")
    ).one()
    return {"items": count, "last_change": last}


_COLUMNS = ("description", "tariff_code", "origin_country", "net_weight_g")


def _row(product: Mapping[str, Any]) -> dict[str, Any]:
    weight = product.get("weight_kg")
    return {
        "item": product["product_number"],
        "description": product["name"],
        "tariff": product.get("harmonized_commodity_code"),
        "origin": product.get("country_of_origin"),
        "grams": None if weight is None else int(Decimal(weight) * 1000),
    }


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection.execute(
        text(
            f"INSERT INTO {SCHEMA}.items "
            "(item_number, description, tariff_code, origin_country, net_weight_g) "
            "VALUES (:item, :description, :tariff, :origin, :grams) "
            "ON CONFLICT (item_number) DO NOTHING"
        ),
        rows,
    )
