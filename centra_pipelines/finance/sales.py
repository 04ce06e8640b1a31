"""Daily sales per market: orders placed, and what cancellations and refunds took back, by day.

Each movement is booked on the day it happened and never rewritten into an earlier day:

- `sale`: orders placed that day, valued as placed (the order total plus what was cancelled from
  it later, since Centra lowers `grand_total` when lines are cancelled).
- `cancellation`: units cancelled, on the day of the order's CANCEL payment entry when Centra
  recorded one (a whole-order cancel), else on the order's last update day (the raw tables keep no
  date per cancelled line; see docs/finance.md).
- `return`: units and value of returns created that day, shown in `units` and `returned` but
  not deducted from net revenue: the money goes back with the return's refund, and deducting
  both would count it twice.
- `refund`: money paid back that day (REFUND entries with status SUCCESS), deducted from net
  revenue on the day it is paid back, whatever day the order was placed: revenue is reduced
  when the money (or credit note) goes out, as an accountant books it. A refund is a payment
  entry of its order and is synced with the order's partition, so it is read from there by its
  own `created_at` day.

Amounts are converted per document (order, return, payment) and then summed, so a row's rate is
the one every document in it was converted with; documents with different rates get separate rows.
"""

from collections.abc import Generator, Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.finance import checks
from centra_pipelines.finance.currency import (
    AMOUNT_TYPE,
    RATE_TYPE,
    Conversion,
    CurrencyError,
    missing_rates_sql,
    resolve,
)
from centra_pipelines.finance.settings import load_finance_config
from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import MarketDay, market_day_partitions, market_days_by_day
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

FINANCE_SCHEMA = "finance"
GROUP = "finance"
KEY = dg.AssetKey(["finance", "sales_daily"])
MOVEMENTS = ("sale", "cancellation", "return", "refund")
CENT = Decimal("0.01")

sales_daily_table = TableSpec(
    schema=FINANCE_SCHEMA,
    name="sales_daily",
    description="Sales movements per market, store, currency and UTC day, in document and "
    "reporting currency.",
    columns=(
        Column("market_id", "BIGINT", "Centra market (partition dimension)."),
        Column("partition_date", "DATE", "UTC day the movement happened (partition dimension)."),
        Column("store_id", "BIGINT", "Store of the orders."),
        Column("currency", "VARCHAR", "Document currency."),
        Column("movement", "VARCHAR", "sale, cancellation, return or refund."),
        Column("orders", "INTEGER", "Orders placed (sale rows only)."),
        Column("units", "INTEGER", "Units: sold positive, cancelled and returned negative."),
        Column("gross_revenue", AMOUNT_TYPE, "Orders as placed, incl. tax (sale rows)."),
        Column("net_revenue", AMOUNT_TYPE, "Gross minus cancellations and refunds, incl. tax."),
        Column("refunded", AMOUNT_TYPE, "Money paid back (refund rows)."),
        Column("returned", AMOUNT_TYPE, "Value of returns created (return rows, not in net)."),
        Column("reporting_currency", "VARCHAR", "Currency of the *_reporting columns."),
        Column("rate", RATE_TYPE, "Rate every document of the row was converted with."),
        Column("rate_source", "VARCHAR", "document, external or document+external."),
        Column("gross_revenue_reporting", AMOUNT_TYPE, "gross_revenue, converted per document."),
        Column("net_revenue_reporting", AMOUNT_TYPE, "net_revenue, converted per document."),
        Column("refunded_reporting", AMOUNT_TYPE, "refunded, converted per document."),
        Column("returned_reporting", AMOUNT_TYPE, "returned, converted per document."),
    ),
    key=("market_id", "partition_date", "store_id", "currency", "movement", "rate"),
    partition_columns=("market_id", "partition_date"),
    preview_columns=(
        "movement",
        "currency",
        "orders",
        "units",
        "gross_revenue",
        "net_revenue",
        "refunded",
        "returned",
        "rate",
        "net_revenue_reporting",
    ),
)

_ORDERS = tables.orders.spec.qualified_name
_LINES = tables.order_lines.spec.qualified_name
_PAYMENTS = tables.payments.spec.qualified_name
_RETURNS = tables.returns.spec.qualified_name

# Per order of the market: what was cancelled from it, and on which day (see module docstring).
CANCELLED_SQL = f"""
    SELECT o.market_id, o.order_number, o.store_id, o.currency, o.currency_base_rate,
           o.partition_date AS order_day,
           COALESCE(c.units, 0) AS cancelled_units,
           COALESCE(c.value, 0) AS cancelled_value,
           COALESCE(
               (SELECT min(p.created_at)::DATE FROM {_PAYMENTS} p
                WHERE p.order_number = o.order_number AND p.entry_type = 'CANCEL'
                  AND p.status = 'SUCCESS'),
               o.updated_at::DATE
           ) AS cancel_day
    FROM {_ORDERS} o
    LEFT JOIN (
        SELECT order_number, SUM(cancelled_quantity) AS units,
               SUM(cancelled_quantity * unit_price) AS value
        FROM {_LINES} WHERE market_id IN (SELECT unnest($markets)) GROUP BY order_number
    ) c ON c.order_number = o.order_number
    WHERE o.market_id IN (SELECT unnest($markets))
"""

# One row per document that moved money on $day, signed as it affects revenue.
DOCUMENTS_SQL = f"""
    WITH cancelled AS ({CANCELLED_SQL})
    SELECT market_id, store_id, currency, 'sale' AS movement, 1 AS orders,
           units, amount AS gross, amount AS net, 0 AS refunded, 0 AS returned,
           document_rate, $day AS day
    FROM (
        SELECT o.market_id, o.store_id, o.currency, o.currency_base_rate AS document_rate,
               o.total_quantity + c.cancelled_units AS units,
               o.grand_total + c.cancelled_value AS amount
        FROM {_ORDERS} o JOIN cancelled c ON c.order_number = o.order_number
        WHERE o.market_id IN (SELECT unnest($markets)) AND o.partition_date = $day
    )
    UNION ALL
    SELECT market_id, store_id, currency, 'cancellation', 0, -cancelled_units, 0,
           -cancelled_value, 0, 0, currency_base_rate, $day
    FROM cancelled WHERE cancelled_units > 0 AND cancel_day = $day
    UNION ALL
    SELECT r.market_id, o.store_id, r.currency, 'return', 0, -r.total_quantity, 0, 0, 0,
           r.grand_total, r.currency_base_rate, $day
    FROM {_RETURNS} r JOIN {_ORDERS} o ON o.order_number = r.order_number
    WHERE r.market_id IN (SELECT unnest($markets)) AND r.created_at::DATE = $day
    UNION ALL
    SELECT p.market_id, o.store_id, p.currency, 'refund', 0, 0, 0, -p.amount, p.amount, 0,
           p.currency_base_rate, $day
    FROM {_PAYMENTS} p JOIN {_ORDERS} o ON o.order_number = p.order_number
    WHERE p.market_id IN (SELECT unnest($markets)) AND p.created_at::DATE = $day
      AND p.entry_type = 'REFUND' AND p.status = 'SUCCESS'
"""


def documents_sql(conversion: Conversion) -> str:
    """The day's documents with their rate and converted amounts (parameters $markets, $day)."""
    rate = conversion.rate_sql(currency="currency", document_rate="document_rate", day="day")
    columns = conversion.columns_sql(
        {
            "gross_reporting": "gross",
            "net_reporting": "net",
            "refunded_reporting": "refunded",
            "returned_reporting": "returned",
        },
        rate="rate",
    )
    return f"""
        SELECT d.*, {columns}
        FROM (SELECT *, {rate} AS rate FROM ({DOCUMENTS_SQL})) d
    """


def sales_sql(conversion: Conversion) -> str:
    """The sales_daily rows of one day for some markets (parameters $markets, $day)."""
    return f"""
        SELECT market_id, $day AS partition_date, store_id, currency, movement,
               SUM(orders), SUM(units), SUM(gross), SUM(net), SUM(refunded), SUM(returned),
               reporting_currency, rate, rate_source, SUM(gross_reporting),
               SUM(net_reporting), SUM(refunded_reporting), SUM(returned_reporting)
        FROM ({documents_sql(conversion)})
        GROUP BY market_id, store_id, currency, movement, reporting_currency, rate, rate_source
        ORDER BY market_id, store_id, currency, movement, rate
    """


def compute_day(
    warehouse: DuckDBWarehouse, conversion: Conversion, day: date, market_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The sales_daily rows of one day; CurrencyError when a document has no rate."""
    parameters = {"markets": list(market_ids), "day": day}
    with warehouse.connect() as connection:
        missing = connection.execute(
            missing_rates_sql(documents_sql(conversion)), parameters
        ).fetchall()
        if missing:
            pairs = ", ".join(f"{currency} on {when}" for currency, when in missing)
            raise CurrencyError(
                f"no rate into {conversion.reporting_currency} for {pairs}: add them to the "
                "rates CSV (currency.rates_csv) and rematerialize finance/exchange_rates"
            )
        cursor = connection.execute(sales_sql(conversion), parameters)
        names = sales_daily_table.column_names
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dg.multi_asset(
    name="finance_sales_daily",
    pool="warehouse",
    specs=[
        dg.AssetSpec(
            key=KEY,
            description="Gross and net revenue, units, orders and AOV per market, store, "
            "currency and day, with cancellations and refunds netted out on the day they "
            "happen and returns shown beside them.",
            group_name=GROUP,
            kinds={"duckdb"},
            owners=OWNERS,
            deps=[
                asset_key(tables.orders),
                asset_key(tables.order_lines),
                asset_key(tables.payments),
                asset_key(tables.returns),
                asset_key(tables.currencies),
            ],
            metadata=metadata.table_definition_metadata(sales_daily_table),
            skippable=True,
        )
    ],
    check_specs=[checks.reconciliation_spec(KEY)],
    partitions_def=market_day_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def finance_sales_daily(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
    """Sales movements per market and day, then a check that they add up to the raw orders."""
    config = load_finance_config()
    with warehouse.connect() as connection:
        conversion = resolve(connection, config.currency)
    context.log.info(
        "converting into %s with %s rates",
        conversion.reporting_currency,
        conversion.rate_source_label,
    )

    market_days: list[MarketDay] = []
    written = 0
    for day, days_markets in market_days_by_day(context.partition_keys).items():
        written += yield from _write_day(context, warehouse, conversion, day, days_markets)
        market_days.extend(days_markets)
    if not written:
        context.log.warning(
            "no order, cancellation, return or refund in %d partitions: sync the orders of "
            "these days first if there should be some",
            len(market_days),
        )

    yield checks.reconciliation_result(KEY, warehouse, conversion, market_days, config)


def _write_day(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    conversion: Conversion,
    day: date,
    market_days: list[MarketDay],
) -> Generator[dg.AssetMaterialization, None, int]:
    """Replace one day's partitions; yields their materializations, returns the rows written."""
    market_ids = [market_day.market_id for market_day in market_days]
    rows = compute_day(warehouse, conversion, day, market_ids)
    partitions = [{"market_id": m, "partition_date": day} for m in market_ids]
    warehouse.replace(
        sales_daily_table,
        rows,
        run_id=context.run.run_id,
        partitions=partitions,
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"sales_daily": "finance/sales_daily"},
        ),
    )
    context.log.info("%s: %d sales rows across %d markets", day, len(rows), len(market_ids))

    for market_day in market_days:
        own = [row for row in rows if row["market_id"] == market_day.market_id]
        yield dg.AssetMaterialization(
            asset_key=KEY,
            partition=market_day.key,
            metadata=metadata.merge(
                {metadata.ROW_COUNT: dg.MetadataValue.int(len(own))},
                metadata.window_metadata(market_day.window_start, market_day.window_end),
                figures_metadata(own, conversion.reporting_currency),
            ),
        )
    return len(rows)


def figures_metadata(rows: Sequence[dict[str, Any]], reporting_currency: str) -> dict[str, Any]:
    """A markdown table of the partition's figures per movement, in the reporting currency."""
    totals = {movement: [0, 0, 0, 0, 0, 0] for movement in MOVEMENTS}
    for row in rows:
        figures = totals[row["movement"]]
        figures[0] += row["orders"]
        figures[1] += row["units"]
        figures[2] += row["gross_revenue_reporting"]
        figures[3] += row["net_revenue_reporting"]
        figures[4] += row["refunded_reporting"]
        figures[5] += row["returned_reporting"]

    table = [[movement, *figures] for movement, figures in totals.items() if any(figures)]
    orders, gross = totals["sale"][0], totals["sale"][2]
    aov = (gross / orders).quantize(CENT, rounding=ROUND_HALF_EVEN) if orders else None
    units, net, refunded, returned = (
        sum(figures[i] for figures in totals.values()) for i in (1, 3, 4, 5)
    )
    table.append(["total", orders, units, gross, net, refunded, returned])
    columns = ["movement", "orders", "units", "gross", "net", "refunded", "returned"]
    return {
        "figures": dg.MetadataValue.md(
            f"Amounts in {reporting_currency}; AOV {aov if aov is not None else '-'}\n\n"
            + metadata.markdown_table(columns, table)
        ),
        "net_revenue_reporting": dg.MetadataValue.float(float(net)),
        "reporting_currency": reporting_currency,
    }


__all__ = ["compute_day", "finance_sales_daily", "sales_daily_table", "sales_sql"]
