"""The finance part of the demo report: sales per market and day, and their reconciliation."""

from datetime import UTC, datetime
from decimal import Decimal

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


REFUND_AMOUNT = Decimal("12.34")

REFUNDABLE_ORDER = """
    SELECT o.order_number, o.market_id, o.partition_date FROM centra_raw.orders o
    WHERE o.status = 'SHIPPED' AND NOT EXISTS (SELECT 1 FROM centra_raw.payments p
        WHERE p.order_number = o.order_number AND p.entry_type = 'REFUND')
    ORDER BY o.order_number LIMIT 1
"""

NET_BY_PARTITION = """
    SELECT market_id, partition_date, SUM(net_revenue_reporting) FROM finance.sales_daily
    GROUP BY ALL
"""


def show_a_refund(sandbox, warehouse: DuckDBWarehouse, run_partition) -> bool:
    """Refund part of a past order today: today's net revenue drops, every earlier day stays.

    `run_partition(job_name, partition_key)` runs a job for one partition in this process.
    Returns whether only today's figure moved, and by the refund converted at its rate.
    """
    number, market_id, order_day = warehouse.fetch(REFUNDABLE_ORDER)[0]
    today = datetime.now(UTC).date()
    today_key, order_key = f"{today}|{market_id}", f"{order_day}|{market_id}"
    run_partition("finance_build", today_key)
    before = _net_by_partition(warehouse)

    sandbox.control.refund(number, REFUND_AMOUNT)
    print(f"\nOrder {number} of {order_day} refunded {REFUND_AMOUNT} today ({today}); syncing:")
    run_partition("centra_orders_sync", order_key)
    for key in (order_key, today_key):
        run_partition("finance_build", key)

    after = _net_by_partition(warehouse)
    moved = {key: (before.get(key, Decimal(0)), value) for key, value in after.items()}
    moved = {key: pair for key, pair in moved.items() if pair[0] != pair[1]}
    for (market, day), (was, now) in sorted(moved.items()):
        print(f"  net revenue {day} market {market}: {was:.2f} -> {now:.2f}")
    print(f"  {len(after) - len(moved)} other market-days unchanged, {order_day} among them")
    today_was, today_now = moved.get((market_id, today), (Decimal(0), Decimal(0)))
    return list(moved) == [(market_id, today)] and today_now < today_was


def _net_by_partition(warehouse: DuckDBWarehouse) -> dict[tuple, Decimal]:
    return {(market, day): net for market, day, net in warehouse.fetch(NET_BY_PARTITION)}
