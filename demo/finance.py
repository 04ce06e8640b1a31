"""The finance part of the demo report: sales per market and day, and their reconciliation."""

import duckdb

from centra_pipelines.finance import checks
from centra_pipelines.finance.currency import CurrencyError, resolve
from centra_pipelines.finance.settings import load_finance_config
from centra_pipelines.models.partitions import MarketDay
from centra_pipelines.warehouse import DuckDBWarehouse

SALES_BY_DAY = """
    SELECT partition_date, market_id, any_value(reporting_currency),
           SUM(orders), SUM(units),
           SUM(gross_revenue_reporting), SUM(net_revenue_reporting), SUM(refunded_reporting)
    FROM finance.sales_daily GROUP BY ALL ORDER BY ALL
"""


def print_finance(warehouse: DuckDBWarehouse) -> bool:
    """Print sales per day and market in the reporting currency; True when every partition
    reconciles with the raw order totals to the cent."""
    try:
        rows = warehouse.fetch(SALES_BY_DAY)
        with warehouse.connect() as connection:
            conversion = resolve(connection, load_finance_config().currency)
    except (CurrencyError, duckdb.CatalogException) as error:
        print(f"\nFinance: not built ({error})")
        return False

    print(f"\nSales per day and market ({conversion.reporting_currency}, incl. tax):")
    print(f"  {'day':<10} {'market':>6} {'orders':>6} {'units':>6} {'gross':>12} {'net':>12}")
    for day, market_id, _, orders, units, gross, net, _refunded in rows:
        print(f"  {day!s:<10} {market_id:>6} {orders:>6} {units:>6} {gross:>12.2f} {net:>12.2f}")

    market_days = [MarketDay(market_id=row[1], day=row[0]) for row in rows]
    wrong = checks.mismatches(warehouse, conversion, market_days)
    mark = "ok " if not wrong else "MISMATCH"
    print(
        f"  {mark} sales equal the raw order totals to the cent in "
        f"{len(market_days) - len(wrong)} of {len(market_days)} partitions"
    )
    return not wrong
