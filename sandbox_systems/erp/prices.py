"""Price lists of the example ERP: one price per item and price list, in the list's currency.

The ERP names its price lists by code (`RET-SE`); centra-pipelines' mapping file
(config/mappings/erp/prices.*.yaml) translates a code into a Centra pricelist id and back. A row's
`updated_at` is the ERP's own modification time: a trigger moves it whenever the row changes,
however it was changed, as the ERP's own screens would.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from sandbox_systems.erp.database import SCHEMA, touched_on_update, transaction

# The codes the example ERP gives the sandbox's retail pricelists (by Centra pricelist id).
PRICE_LIST_CODES = {1: "RET-SE", 2: "RET-EU", 3: "RET-NO", 4: "RET-GB", 5: "RET-US"}

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};

CREATE TABLE IF NOT EXISTS {SCHEMA}.price_lists (
    code TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    currency CHAR(3) NOT NULL
);

CREATE TABLE IF NOT EXISTS {SCHEMA}.price_list_prices (
    price_list_code TEXT NOT NULL REFERENCES {SCHEMA}.price_lists (code),
    item_number TEXT NOT NULL,
    currency CHAR(3) NOT NULL,
    unit_price NUMERIC(18, 2) NOT NULL CHECK (unit_price >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (price_list_code, item_number)
);
"""


def create(connection: Connection) -> None:
    """Create the price list tables unless they exist."""
    connection.execute(text(_DDL + touched_on_update("price_list_prices")))


def seed(
    url: str,
    centra_prices: Iterable[Mapping[str, Any]],
    *,
    raised: int = 3,
    left_out: int = 1,
) -> dict[str, list[str]]:
    """Fill the price lists from Centra's prices, with a few deliberate differences.

    Args:
        url: a `postgresql+psycopg2://` URL of a database `create_erp` prepared.
        centra_prices: one mapping per Centra pricelist and product, with `pricelist_id`,
            `pricelist_name`, `currency`, `product_number` and `price` (a Decimal); pricelists
            without a code in PRICE_LIST_CODES are skipped.
        raised: how many prices the ERP holds 10 % higher than Centra (the first by code, item).
        left_out: how many Centra prices the ERP does not have yet (the last by code, item).

    Returns:
        The differences, as `{"raised": ["RET-SE|P1001", ...], "left_out": [...]}`.
    """
    rows = sorted(_rows(centra_prices), key=lambda row: (row["code"], row["item"]))
    missing = rows[len(rows) - left_out :] if left_out else []
    kept = rows[: len(rows) - len(missing)]
    for row in kept[:raised]:
        row["price"] = (row["price"] * Decimal("1.1")).quantize(Decimal("0.01"))

    with transaction(url) as connection:
        _insert(connection, kept)
    return {
        "raised": [f"{row['code']}|{row['item']}" for row in kept[:raised]],
        "left_out": [f"{row['code']}|{row['item']}" for row in missing],
    }


def set_price(connection: Connection, code: str, item_number: str, price: Decimal) -> None:
    """Change one price as a person would in the ERP (its updated_at moves with it)."""
    connection.execute(
        text(
            f"UPDATE {SCHEMA}.price_list_prices SET unit_price = :price "
            "WHERE price_list_code = :code AND item_number = :item"
        ),
        {"price": price, "code": code, "item": item_number},
    )


def summary(connection: Connection) -> dict[str, Any]:
    """Price lists with how many prices each holds and when the last one changed."""
    rows = connection.execute(
        text(
            f"SELECT l.code, l.currency, count(p.item_number), max(p.updated_at) "
            f"FROM {SCHEMA}.price_lists l LEFT JOIN {SCHEMA}.price_list_prices p "
            "ON p.price_list_code = l.code GROUP BY l.code, l.currency ORDER BY l.code"
        )
    ).all()
    return {
        code: {"currency": currency, "prices": count, "last_change": last}
        for code, currency, count, last in rows
    }


def _rows(centra_prices: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for price in centra_prices:
        code = PRICE_LIST_CODES.get(price["pricelist_id"])
        if code is not None:
            rows.append(
                {
                    "code": code,
                    "description": price["pricelist_name"],
                    "currency": price["currency"],
                    "item": price["product_number"],
                    "price": Decimal(price["price"]).quantize(Decimal("0.01")),
                }
            )
    return rows


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    lists = {row["code"]: row for row in rows}
    for code, row in lists.items():
        connection.execute(
            text(
                f"INSERT INTO {SCHEMA}.price_lists (code, description, currency) "
                "VALUES (:code, :description, :currency) ON CONFLICT (code) DO NOTHING"
            ),
            {"code": code, "description": row["description"], "currency": row["currency"]},
        )
    if rows:
        connection.execute(
            text(
                f"INSERT INTO {SCHEMA}.price_list_prices "
                "(price_list_code, item_number, currency, unit_price) "
                "VALUES (:code, :item, :currency, :price) "
                "ON CONFLICT (price_list_code, item_number) DO UPDATE "
                "SET unit_price = EXCLUDED.unit_price"
            ),
            rows,
        )
