"""Tax collected per destination country and rate, per market and day, and the OSS filing view.

Tax is read from order lines: `line_value - line_value_ex_tax` is the tax of a line whether the
shop prices include tax (`tax_included` on the order) or add it on top (`tax_added`), because
Centra reports `lineValue` with and without tax in both cases; the pricing mode is kept as a
column so the two are never summed unknowingly. Order-level amounts (shipping, handling and
order vouchers) carry tax too but have no rate of their own in the raw tables, so the order tax
totals differ from the line taxes by that much; the materialization shows both.
"""

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.finance import partition_sql
from centra_pipelines.finance.currency import AMOUNT_TYPE, Conversion, convert_sql
from centra_pipelines.finance.settings import load_finance_config
from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import MarketDay
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

FINANCE_SCHEMA = "finance"
TAX_DAILY_KEY = dg.AssetKey(["finance", "tax_daily"])
OSS_REPORT_KEY = dg.AssetKey(["finance", "oss_report"])
TAX_CHECK = "tax_equals_line_taxes"

tax_daily_table = TableSpec(
    schema=FINANCE_SCHEMA,
    name="tax_daily",
    description="Tax from order lines per market, day, destination country, rate and currency.",
    columns=(
        *partition_sql.ORDER_DAY_COLUMNS,
        Column("country_code", "VARCHAR", "Destination country of the orders."),
        Column("tax_percent", "DECIMAL(9,4)", "VAT rate in percent."),
        Column("pricing", "VARCHAR", "tax_included (prices include tax) or tax_added."),
        Column("currency", "VARCHAR", "Document currency."),
        Column("orders", "INTEGER", "Orders with lines at this rate."),
        Column("units", "INTEGER", "Units sold, cancelled units excluded."),
        Column("gross", AMOUNT_TYPE, "Line values including tax, document currency."),
        Column("taxable_base", AMOUNT_TYPE, "Line values excluding tax, document currency."),
        Column("tax", AMOUNT_TYPE, "Tax of the lines, document currency."),
        Column("taxable_base_reporting", AMOUNT_TYPE, "Taxable base, reporting currency."),
        Column("tax_reporting", AMOUNT_TYPE, "Tax, reporting currency (rounded per line)."),
        *partition_sql.CONVERSION_COLUMNS,
    ),
    key=(
        "market_id",
        "partition_date",
        "country_code",
        "tax_percent",
        "pricing",
        "currency",
        "rate",
    ),
    partition_columns=("market_id", "partition_date"),
    preview_columns=("country_code", "tax_percent", "currency", "taxable_base", "tax"),
)

oss_report_table = TableSpec(
    schema=FINANCE_SCHEMA,
    name="oss_report",
    description="EU One-Stop-Shop view: tax per month, destination country and rate.",
    columns=(
        Column("month", "DATE", "First day of the calendar month (UTC order days)."),
        Column("country_code", "VARCHAR", "EU member state of destination."),
        Column("country_name", "VARCHAR", "Its name."),
        Column("tax_percent", "DECIMAL(9,4)", "VAT rate in percent."),
        Column("orders", "INTEGER", "Orders with lines at this rate, summed over the days."),
        Column("taxable_base", AMOUNT_TYPE, "Taxable base, reporting currency."),
        Column("tax", AMOUNT_TYPE, "VAT, reporting currency."),
        Column("reporting_currency", "VARCHAR", "Currency of the amounts."),
    ),
    key=("month", "country_code", "tax_percent", "reporting_currency"),
    preview_columns=("month", "country_code", "tax_percent", "taxable_base", "tax"),
)


def tax_lines_sql(conversion: Conversion, where: str) -> str:
    """One row per order line of the selected partitions, with its tax and its rate."""
    rate = conversion.rate_sql(
        currency="o.currency", document_rate="o.currency_base_rate", day="l.partition_date"
    )
    return f"""
        SELECT l.market_id, l.partition_date, l.partition_date AS day, o.country_code,
               l.tax_percent,
               CASE WHEN o.tax_added > 0 THEN 'tax_added' ELSE 'tax_included' END AS pricing,
               o.currency, o.order_number, l.quantity, l.line_value, l.line_value_ex_tax,
               l.line_value - l.line_value_ex_tax AS line_tax, {rate} AS rate
        FROM {tables.order_lines.spec.qualified_name} l
        JOIN {tables.orders.spec.qualified_name} o ON o.order_number = l.order_number
        WHERE {where}
    """


def tax_daily_sql(conversion: Conversion, where: str) -> str:
    """The tax_daily rows of the selected partitions, in the table's column order."""
    return f"""
        SELECT market_id, partition_date, country_code, tax_percent, pricing, currency,
               count(DISTINCT order_number) AS orders, sum(quantity) AS units,
               sum(line_value) AS gross, sum(line_value_ex_tax) AS taxable_base,
               sum(line_tax) AS tax,
               sum({convert_sql("line_value_ex_tax", "rate")}) AS taxable_base_reporting,
               sum({convert_sql("line_tax", "rate")}) AS tax_reporting,
               '{conversion.reporting_currency}' AS reporting_currency, rate,
               '{conversion.rate_source_label}' AS rate_source
        FROM ({tax_lines_sql(conversion, where)})
        GROUP BY ALL
        ORDER BY ALL
    """


# Stored tax per partition, country and rate against the line taxes of the raw tables.
TAX_MISMATCH_SQL = f"""
    WITH stored AS (
        SELECT market_id, partition_date, country_code, tax_percent, sum(tax) AS tax
        FROM {tax_daily_table.qualified_name} t WHERE {{stored_where}} GROUP BY ALL
    ), raw AS (
        SELECT l.market_id, l.partition_date, o.country_code, l.tax_percent,
               sum(l.line_value - l.line_value_ex_tax) AS tax
        FROM {tables.order_lines.spec.qualified_name} l
        JOIN {tables.orders.spec.qualified_name} o ON o.order_number = l.order_number
        WHERE {{raw_where}} GROUP BY ALL
    )
    SELECT coalesce(s.market_id, r.market_id), coalesce(s.partition_date, r.partition_date),
           coalesce(s.country_code, r.country_code), coalesce(s.tax_percent, r.tax_percent),
           s.tax, r.tax
    FROM stored s FULL OUTER JOIN raw r
      ON s.market_id = r.market_id AND s.partition_date = r.partition_date
     AND s.country_code IS NOT DISTINCT FROM r.country_code AND s.tax_percent = r.tax_percent
    WHERE s.tax IS DISTINCT FROM r.tax
    ORDER BY ALL
"""

ORDER_TAX_SQL = f"""
    SELECT coalesce(sum(o.tax_included + o.tax_added), 0)
    FROM {tables.orders.spec.qualified_name} o WHERE {{where}}
"""

SUMMARY_SQL = f"""
    SELECT country_code, tax_percent, pricing, currency, sum(taxable_base), sum(tax),
           sum(tax_reporting), reporting_currency
    FROM {tax_daily_table.qualified_name} t WHERE {{where}}
    GROUP BY ALL ORDER BY ALL LIMIT 30
"""


@partition_sql.daily_table_asset(
    TAX_DAILY_KEY,
    tax_daily_table,
    deps=[asset_key(tables.orders), asset_key(tables.order_lines), asset_key(tables.currencies)],
    check_name=TAX_CHECK,
    check_description="Tax per partition, country and rate equals the sum of the line taxes.",
)
def tax_daily(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    """Tax collected per destination country and rate, from order lines, per market and day."""
    market_days = partition_sql.run_market_days(context)
    conversion = partition_sql.conversion_for(warehouse, load_finance_config())
    where, parameters = partition_sql.partition_filter("l", market_days)
    partition_sql.require_rates(
        warehouse, tax_lines_sql(conversion, where), parameters, "order lines"
    )

    report = warehouse.replace(
        tax_daily_table,
        partition_sql.stream(warehouse, tax_daily_sql(conversion, where), parameters),
        run_id=context.run.run_id,
        partitions=partition_sql.partition_values(market_days),
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"tax_daily": "finance/tax_daily"},
        ),
    )
    if not report.rows_written:
        context.log.warning("no order lines in the %d partitions of this run", len(market_days))
    context.log.info(
        "wrote %d tax rows for %d partitions in %s",
        report.rows_written,
        len(market_days),
        conversion.reporting_currency,
    )

    return dg.MaterializeResult(
        metadata=metadata.merge(
            metadata.write_metadata(rows=report.rows_written, rows_replaced=report.rows_deleted),
            _tax_summary(warehouse, market_days),
        ),
        check_results=[check_tax_against_lines(warehouse, market_days)],
    )


def check_tax_against_lines(
    warehouse: DuckDBWarehouse, market_days: list[MarketDay]
) -> dg.AssetCheckResult:
    """Passes when every partition's tax per country and rate equals its raw line taxes."""
    return partition_sql.reconciliation_check(
        warehouse,
        market_days,
        check_name=TAX_CHECK,
        asset_key=TAX_DAILY_KEY,
        mismatch_sql=TAX_MISMATCH_SQL,
        raw_alias="l",
        columns=("market", "day", "country", "rate %", "stored tax", "line tax"),
    )


def _tax_summary(warehouse: DuckDBWarehouse, market_days: list[MarketDay]) -> dict:
    where, parameters = partition_sql.partition_filter("t", market_days)
    rows = warehouse.fetch(SUMMARY_SQL.format(where=where), parameters)
    order_where, order_parameters = partition_sql.partition_filter("o", market_days)
    (order_tax,) = warehouse.fetch(ORDER_TAX_SQL.format(where=order_where), order_parameters)[0]
    columns = ("country", "rate %", "pricing", "currency", "base", "tax", "tax (rep.)", "rep.")
    return {
        metadata.PREVIEW: dg.MetadataValue.md(metadata.markdown_table(columns, rows)),
        # Shipping, handling and order vouchers carry tax that order lines do not show.
        "line_tax_total": dg.MetadataValue.text(str(sum(row[5] for row in rows))),
        "order_tax_total": dg.MetadataValue.text(str(order_tax)),
    }


OSS_SQL = f"""
    SELECT date_trunc('month', t.partition_date)::DATE, t.country_code, c.name, t.tax_percent,
           sum(t.orders), sum(t.taxable_base_reporting), sum(t.tax_reporting),
           t.reporting_currency
    FROM {tax_daily_table.qualified_name} t
    JOIN {tables.countries.spec.qualified_name} c ON c.code = t.country_code
    WHERE c.is_eu
    GROUP BY ALL
    ORDER BY ALL
"""


@dg.asset(
    key=OSS_REPORT_KEY,
    pool="warehouse",
    group_name="finance",
    kinds={"duckdb"},
    owners=OWNERS,
    deps=[TAX_DAILY_KEY, asset_key(tables.countries)],
    metadata=metadata.table_definition_metadata(oss_report_table),
)
def oss_report(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    """EU OSS view: taxable base and VAT per month, destination member state and rate."""
    if not warehouse.table_exists(tax_daily_table):
        context.log.warning(
            "%s does not exist yet: materialize finance/tax_daily, then this report",
            tax_daily_table.qualified_name,
        )
        return dg.MaterializeResult(metadata=metadata.write_metadata(rows=0, rows_replaced=0))

    report = warehouse.rebuild(
        oss_report_table,
        OSS_SQL,
        run_id=context.run.run_id,
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"oss_report": "finance/oss_report"},
        ),
    )
    if not report.rows_written:
        context.log.warning("no EU tax rows yet: materialize finance/tax_daily first")

    rows = warehouse.fetch(
        f"SELECT * EXCLUDE (_run_id, _synced_at) FROM {oss_report_table.qualified_name} "
        "ORDER BY month DESC, country_code, tax_percent LIMIT 40"
    )
    return dg.MaterializeResult(
        metadata=metadata.merge(
            metadata.write_metadata(rows=report.rows_written, rows_replaced=report.rows_deleted),
            {
                metadata.PREVIEW: dg.MetadataValue.md(
                    metadata.markdown_table(oss_report_table.column_names, rows)
                )
            },
        )
    )


tax_assets = [tax_daily, oss_report]
