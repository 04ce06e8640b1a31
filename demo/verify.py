"""Compare the warehouse with the sandbox's own ground truth after a full sync."""

from dataclasses import dataclass
from decimal import Decimal

from centra_pipelines.warehouse import DuckDBWarehouse

# Sandbox entity counts are named after the warehouse tables that must hold that many records.
TABLES = (
    "stores",
    "markets",
    "countries",
    "currencies",
    "languages",
    "pricelists",
    "prices",
    "warehouses",
    "stock",
    "products",
    "product_variants",
    "product_sizes",
    "size_charts",
    "categories",
    "brands",
    "collections",
    "displays",
    "product_media",
    "bundles",
    "mapped_attributes",
    "catalog_attribute_values",
    "customer_attribute_values",
    "order_attribute_values",
    "translations",
    "customers",
    "customer_addresses",
    "orders",
    "order_lines",
    "order_discounts",
    "payments",
    "shipments",
    "shipment_lines",
    "returns",
    "return_lines",
)


@dataclass
class Comparison:
    name: str
    expected: object
    actual: object

    @property
    def matches(self) -> bool:
        return self.expected == self.actual


def compare_counts(warehouse: DuckDBWarehouse, sandbox_counts: dict[str, int]) -> list[Comparison]:
    """Rows stored plus records quarantined must equal what the sandbox holds: nothing is lost."""
    comparisons = []
    for table in TABLES:
        actual = stored(warehouse, table) + quarantined(warehouse, table)
        comparisons.append(Comparison(table, sandbox_counts.get(table), actual))

    return comparisons


def stored(warehouse: DuckDBWarehouse, table: str) -> int:
    return warehouse.fetch(f"SELECT count(*) FROM centra_raw.{table}")[0][0]


def quarantined(warehouse: DuckDBWarehouse, table: str) -> int:
    """Records in the table's rejects (a record breaking two rules has two reject rows).

    A repeated copy of a record that was stored is not a record of its own: Centra served the
    same record twice, so it is not counted again.
    """
    found = warehouse.fetch(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'centra_raw' AND table_name = ?",
        [f"{table}_rejects"],
    )[0][0]
    if not found:
        return 0
    return warehouse.fetch(
        f"SELECT count(DISTINCT (record_key, position)) FROM centra_raw.{table}_rejects "
        "WHERE (record_key, position) NOT IN (SELECT (record_key, position) "
        f"FROM centra_raw.{table}_rejects WHERE rule = 'duplicate_key')"
    )[0][0]


def rejects_summary(warehouse: DuckDBWarehouse) -> list[tuple]:
    """Every quarantined rule break: table, record, field, rule, expectation, value found."""
    tables = warehouse.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'centra_raw' AND table_name LIKE '%\\_rejects' ESCAPE '\\' "
        "ORDER BY table_name"
    )
    rows = []
    for (table,) in tables:
        rows += warehouse.fetch(
            f"SELECT '{table}', record_key, column_name, rule, expected, offending_value "
            f"FROM centra_raw.{table} ORDER BY record_key, column_name"
        )
    return rows


def compare_order_totals(
    warehouse: DuckDBWarehouse, sandbox_totals: list[dict]
) -> list[Comparison]:
    stored = {
        (market_id, currency): (orders, total)
        for market_id, currency, orders, total in warehouse.fetch(
            "SELECT market_id, currency, count(*), sum(grand_total) "
            "FROM centra_raw.orders GROUP BY market_id, currency"
        )
    }
    comparisons = []
    for expected in sandbox_totals:
        key = (expected["market_id"], expected["currency"])
        orders, total = stored.pop(key, (0, Decimal(0)))
        comparisons.append(
            Comparison(
                f"market {key[0]} {key[1]}",
                (expected["orders"], Decimal(expected["grand_total"])),
                (orders, total),
            )
        )

    for key, (orders, total) in stored.items():
        comparisons.append(Comparison(f"market {key[0]} {key[1]}", None, (orders, total)))

    return comparisons
