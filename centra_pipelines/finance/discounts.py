"""Vouchers, campaigns and line discounts used per market and day: their cost and the revenue.

Order-level discounts (vouchers and other discount types Centra lists on the order) come from
`order_discounts`; line discounts are what a line was sold below its original price,
`(unit_original_price - unit_price) x quantity`, cancelled units excluded. Every amount includes
tax, as Centra's totals do. Revenue "with" a discount is the grand total of the orders that used
it; "without" adds its cost back: what those orders would have paid at full price.
"""

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.finance import partition_sql
from centra_pipelines.finance.currency import AMOUNT_TYPE, Conversion, convert_sql
from centra_pipelines.finance.settings import load_finance_config
from centra_pipelines.finance.tax import FINANCE_SCHEMA
from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import MarketDay
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

DISCOUNTS_DAILY_KEY = dg.AssetKey(["finance", "discounts_daily"])
VOUCHER_CHECK = "order_discounts_equal_order_totals"
LINE_DISCOUNT = "line_discount"

discounts_daily_table = TableSpec(
    schema=FINANCE_SCHEMA,
    name="discounts_daily",
    description="Discounts used per market, day, kind, name and code, with the revenue.",
    columns=(
        *partition_sql.ORDER_DAY_COLUMNS,
        Column("kind", "VARCHAR", "Centra's discount type in lower case, or line_discount."),
        Column("name", "VARCHAR", "Voucher or campaign name; `line discounts` for lines."),
        Column("code", "VARCHAR", "Voucher code; empty when there is none."),
        Column("currency", "VARCHAR", "Document currency."),
        Column("orders", "INTEGER", "Orders that used the discount."),
        Column("cost", AMOUNT_TYPE, "Amount discounted incl. tax, document currency."),
        Column("revenue_with", AMOUNT_TYPE, "Grand total of those orders."),
        Column("revenue_without", AMOUNT_TYPE, "Grand total plus the discount's cost."),
        Column("cost_reporting", AMOUNT_TYPE, "Cost, reporting currency."),
        Column("revenue_with_reporting", AMOUNT_TYPE, "Revenue with, reporting currency."),
        Column("revenue_without_reporting", AMOUNT_TYPE, "Revenue without, reporting currency."),
        *partition_sql.CONVERSION_COLUMNS,
    ),
    key=("market_id", "partition_date", "kind", "name", "code", "currency", "rate"),
    partition_columns=("market_id", "partition_date"),
    preview_columns=("kind", "name", "code", "currency", "orders", "cost"),
)


def discount_uses_sql(conversion: Conversion, order_where: str, line_where: str) -> str:
    """One row per order and discount used, with the order's grand total and rate."""
    rate = conversion.rate_sql(
        currency="o.currency", document_rate="o.currency_base_rate", day="u.partition_date"
    )
    return f"""
        WITH uses AS (
            SELECT d.market_id, d.partition_date, lower(coalesce(d.type, 'discount')) AS kind,
                   coalesce(d.name, '') AS name, coalesce(d.code, '') AS code,
                   d.order_number, sum(d.value) AS cost
            FROM {tables.order_discounts.spec.qualified_name} d
            WHERE {order_where}
            GROUP BY ALL
            UNION ALL
            SELECT l.market_id, l.partition_date, '{LINE_DISCOUNT}', 'line discounts', '',
                   l.order_number, sum((l.unit_original_price - l.unit_price) * l.quantity)
            FROM {tables.order_lines.spec.qualified_name} l
            WHERE {line_where} AND l.unit_original_price > l.unit_price
            GROUP BY ALL
        )
        SELECT u.*, o.currency, o.grand_total, u.partition_date AS day, {rate} AS rate
        FROM uses u JOIN {tables.orders.spec.qualified_name} o ON o.order_number = u.order_number
    """


def discounts_daily_sql(conversion: Conversion, order_where: str, line_where: str) -> str:
    """The discounts_daily rows of the selected partitions, in the table's column order."""
    return f"""
        SELECT market_id, partition_date, kind, name, code, currency,
               count(*) AS orders, sum(cost) AS cost, sum(grand_total) AS revenue_with,
               sum(grand_total + cost) AS revenue_without,
               sum({convert_sql("cost", "rate")}) AS cost_reporting,
               sum({convert_sql("grand_total", "rate")}) AS revenue_with_reporting,
               sum({convert_sql("grand_total", "rate")} + {convert_sql("cost", "rate")})
                   AS revenue_without_reporting,
               '{conversion.reporting_currency}' AS reporting_currency, rate,
               '{conversion.rate_source_label}' AS rate_source
        FROM ({discount_uses_sql(conversion, order_where, line_where)})
        GROUP BY ALL
        ORDER BY ALL
    """


# Order-level discounts stored per partition against the orders' own discount totals.
VOUCHER_MISMATCH_SQL = f"""
    WITH stored AS (
        SELECT market_id, partition_date, sum(cost) AS cost
        FROM {discounts_daily_table.qualified_name} t
        WHERE {{stored_where}} AND kind <> '{LINE_DISCOUNT}' GROUP BY ALL
    ), raw AS (
        SELECT market_id, partition_date, sum(discounts) AS cost
        FROM {tables.orders.spec.qualified_name} o
        WHERE {{raw_where}} AND discounts <> 0 GROUP BY ALL
    )
    SELECT coalesce(s.market_id, r.market_id), coalesce(s.partition_date, r.partition_date),
           s.cost, r.cost
    FROM stored s FULL OUTER JOIN raw r
      ON s.market_id = r.market_id AND s.partition_date = r.partition_date
    WHERE s.cost IS DISTINCT FROM r.cost
    ORDER BY ALL
"""

REVENUE_SQL = f"""
    SELECT o.currency, count(*), sum(o.grand_total), sum(o.grand_total + o.discounts)
    FROM {tables.orders.spec.qualified_name} o WHERE {{where}}
    GROUP BY ALL ORDER BY ALL
"""

SUMMARY_SQL = f"""
    SELECT kind, name, code, currency, sum(orders), sum(cost), sum(cost_reporting),
           reporting_currency
    FROM {discounts_daily_table.qualified_name} t WHERE {{where}}
    GROUP BY ALL ORDER BY ALL LIMIT 30
"""


@partition_sql.daily_table_asset(
    DISCOUNTS_DAILY_KEY,
    discounts_daily_table,
    deps=[
        asset_key(tables.orders),
        asset_key(tables.order_lines),
        asset_key(tables.order_discounts),
        asset_key(tables.currencies),
    ],
    check_name=VOUCHER_CHECK,
    check_description="Order-level discounts per partition equal the orders' discount totals.",
)
def discounts_daily(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    """Vouchers, campaigns and line discounts used per market and day, with their cost."""
    market_days = partition_sql.run_market_days(context)
    conversion = partition_sql.conversion_for(warehouse, load_finance_config())
    order_where, parameters = partition_sql.partition_filter("d", market_days)
    line_where, _ = partition_sql.partition_filter("l", market_days)
    uses_sql = discount_uses_sql(conversion, order_where, line_where)
    partition_sql.require_rates(warehouse, uses_sql, [*parameters, *parameters], "discounts")

    report = warehouse.replace(
        discounts_daily_table,
        partition_sql.stream(
            warehouse,
            discounts_daily_sql(conversion, order_where, line_where),
            [*parameters, *parameters],
        ),
        run_id=context.run.run_id,
        partitions=partition_sql.partition_values(market_days),
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"discounts_daily": "finance/discounts_daily"},
        ),
    )
    if not report.rows_written:
        context.log.warning("no discounts used in the %d partitions of this run", len(market_days))
    context.log.info(
        "wrote %d discount rows for %d partitions", report.rows_written, len(market_days)
    )

    return dg.MaterializeResult(
        metadata=metadata.merge(
            metadata.write_metadata(rows=report.rows_written, rows_replaced=report.rows_deleted),
            _discount_summary(warehouse, market_days),
        ),
        check_results=[check_vouchers_against_orders(warehouse, market_days)],
    )


def check_vouchers_against_orders(
    warehouse: DuckDBWarehouse, market_days: list[MarketDay]
) -> dg.AssetCheckResult:
    """Passes when each partition's order-level discounts equal its orders' discount totals."""
    return partition_sql.reconciliation_check(
        warehouse,
        market_days,
        check_name=VOUCHER_CHECK,
        asset_key=DISCOUNTS_DAILY_KEY,
        mismatch_sql=VOUCHER_MISMATCH_SQL,
        raw_alias="o",
        columns=("market", "day", "stored discounts", "order discounts"),
    )


def _discount_summary(warehouse: DuckDBWarehouse, market_days: list[MarketDay]) -> dict:
    where, parameters = partition_sql.partition_filter("t", market_days)
    discounts = warehouse.fetch(SUMMARY_SQL.format(where=where), parameters)
    order_where, order_parameters = partition_sql.partition_filter("o", market_days)
    revenue = warehouse.fetch(REVENUE_SQL.format(where=order_where), order_parameters)
    discount_columns = ("kind", "name", "code", "currency", "orders", "cost", "cost (rep.)", "rep.")
    revenue_columns = ("currency", "orders", "revenue with", "revenue without order discounts")
    return {
        metadata.PREVIEW: dg.MetadataValue.md(metadata.markdown_table(discount_columns, discounts)),
        "revenue": dg.MetadataValue.md(metadata.markdown_table(revenue_columns, revenue)),
    }


discount_assets = [discounts_daily]
