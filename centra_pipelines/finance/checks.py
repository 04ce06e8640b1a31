"""The check that sales figures add up to the raw order totals, to the cent, per partition."""

from collections.abc import Sequence

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.finance.currency import Conversion, convert_sql
from centra_pipelines.finance.settings import FinanceConfig
from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import MarketDay
from centra_pipelines.warehouse import DuckDBWarehouse

RECONCILIATION = "sales_match_order_totals"
_ORDERS = tables.orders.spec.qualified_name
_LINES = tables.order_lines.spec.qualified_name
_SALES = "finance.sales_daily"


def reconciliation_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        RECONCILIATION,
        asset=key,
        blocking=True,
        description="Per partition: orders, gross revenue and gross revenue in the reporting "
        "currency of the sale rows equal the raw orders as placed, to the cent.",
    )


def reconciliation_sql(conversion: Conversion) -> str:
    """(market_id, day, raw orders, raw amount, raw converted, sales orders, amount, converted)
    per partition in $partitions (a list of {market_id, partition_date} structs)."""
    rate = conversion.rate_sql(
        currency="o.currency", document_rate="o.currency_base_rate", day="o.partition_date"
    )
    # As placed: Centra lowers grand_total by what is cancelled later (see finance/sales.py).
    placed = "o.grand_total + COALESCE(c.value, 0)"
    return f"""
        WITH wanted AS (
            SELECT w.market_id, w.partition_date FROM (SELECT unnest($partitions) AS w)
        ),
        raw AS (
            SELECT o.market_id, o.partition_date, count(*) AS orders, SUM({placed}) AS amount,
                   SUM({convert_sql(placed, rate)}) AS converted
            FROM {_ORDERS} o
            LEFT JOIN (
                SELECT order_number, SUM(cancelled_quantity * unit_price) AS value
                FROM {_LINES} JOIN wanted USING (market_id, partition_date)
                GROUP BY order_number
            ) c ON c.order_number = o.order_number
            JOIN wanted USING (market_id, partition_date)
            GROUP BY ALL
        ),
        sales AS (
            SELECT market_id, partition_date, SUM(orders) AS orders,
                   SUM(gross_revenue) AS amount, SUM(gross_revenue_reporting) AS converted
            FROM {_SALES} JOIN wanted USING (market_id, partition_date)
            WHERE movement = 'sale'
            GROUP BY ALL
        )
        SELECT w.market_id, w.partition_date,
               COALESCE(r.orders, 0), COALESCE(r.amount, 0), COALESCE(r.converted, 0),
               COALESCE(s.orders, 0), COALESCE(s.amount, 0), COALESCE(s.converted, 0)
        FROM wanted w
        LEFT JOIN raw r USING (market_id, partition_date)
        LEFT JOIN sales s USING (market_id, partition_date)
        ORDER BY w.partition_date, w.market_id
    """


def mismatches(
    warehouse: DuckDBWarehouse, conversion: Conversion, market_days: Sequence[MarketDay]
) -> list[tuple]:
    """Partitions whose sales figures differ from the raw orders, with both sides' figures."""
    partitions = [{"market_id": m.market_id, "partition_date": m.day} for m in market_days]
    if not partitions:
        return []
    with warehouse.connect() as connection:
        rows = connection.execute(
            reconciliation_sql(conversion), {"partitions": partitions}
        ).fetchall()
    return [row for row in rows if tuple(row[2:5]) != tuple(row[5:8])]


def reconciliation_result(
    key: dg.AssetKey,
    warehouse: DuckDBWarehouse,
    conversion: Conversion,
    market_days: Sequence[MarketDay],
    config: FinanceConfig,
) -> dg.AssetCheckResult:
    """The check's result; severity WARN when finance.yaml says `reconciliation: warn`."""
    wrong = mismatches(warehouse, conversion, market_days)
    severity = (
        dg.AssetCheckSeverity.ERROR
        if config.sales.reconciliation == "blocking"
        else dg.AssetCheckSeverity.WARN
    )
    columns = ["market", "day", "raw orders", "raw", "raw conv.", "orders", "sales", "conv."]
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=RECONCILIATION,
        passed=not wrong,
        severity=severity,
        metadata={
            "partitions_checked": dg.MetadataValue.int(len(market_days)),
            "partitions_wrong": dg.MetadataValue.int(len(wrong)),
            "mismatches": dg.MetadataValue.md(metadata.markdown_table(columns, wrong[:20])),
        },
    )
