"""Shared plumbing of the market x day finance tables: SQL over the partitions of one run.

A single-run backfill hands an asset many partitions; each finance asset reads all of them with
one query, streams the result into the warehouse and replaces exactly those partitions in one
transaction, so a rerun never duplicates a day and a failure leaves the previous figures.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg

from centra_pipelines.finance.currency import (
    RATE_TYPE,
    Conversion,
    CurrencyError,
    missing_rates_sql,
    resolve,
)
from centra_pipelines.finance.settings import FinanceConfig
from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import MarketDay, market_day_partitions, parse_market_day
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec

# The rates table the conversions read when the config asks for external rates.
EXCHANGE_RATES_KEY = dg.AssetKey(["finance", "exchange_rates"])

# The first and last columns of a daily finance table built from order partitions.
ORDER_DAY_COLUMNS = (
    Column("market_id", "BIGINT", "Centra market (partition)."),
    Column("partition_date", "DATE", "UTC order day (partition)."),
)
CONVERSION_COLUMNS = (
    Column("reporting_currency", "VARCHAR", "Currency of the *_reporting columns."),
    Column("rate", RATE_TYPE, "Rate used: reporting amount = amount x rate."),
    Column("rate_source", "VARCHAR", "document, external or document+external."),
)

# Rows fetched from DuckDB at a time while streaming a result into the warehouse.
FETCH_ROWS = 2000


def daily_table_asset(
    key: dg.AssetKey,
    table: TableSpec,
    deps: Sequence[dg.AssetKey],
    check_name: str,
    check_description: str,
):
    """A market x day finance table built from raw tables, with a blocking check on its figures.

    Single-run backfills, so a run over many partitions reads them with one query per asset.
    """
    return dg.asset(
        key=key,
        pool="warehouse",
        group_name="finance",
        kinds={"duckdb"},
        owners=OWNERS,
        partitions_def=market_day_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[*deps, EXCHANGE_RATES_KEY],
        metadata=metadata.table_definition_metadata(table),
        check_specs=[
            dg.AssetCheckSpec(check_name, asset=key, blocking=True, description=check_description)
        ],
    )


def run_market_days(context: dg.AssetExecutionContext) -> list[MarketDay]:
    """The market x day partitions this run materializes, in key order."""
    return [parse_market_day(key) for key in sorted(context.partition_keys)]


def partition_filter(alias: str, market_days: Sequence[MarketDay]) -> tuple[str, list[Any]]:
    """A predicate selecting the rows of `alias` in the given partitions, and its parameters."""
    clauses = " OR ".join(
        f"({alias}.market_id = ? AND {alias}.partition_date = ?)" for _ in market_days
    )
    parameters = [value for day in market_days for value in (day.market_id, day.day)]
    return f"({clauses or 'FALSE'})", parameters


def reconciliation_check(
    warehouse: DuckDBWarehouse,
    market_days: Sequence[MarketDay],
    *,
    check_name: str,
    asset_key: dg.AssetKey,
    mismatch_sql: str,
    raw_alias: str,
    columns: Sequence[str],
) -> dg.AssetCheckResult:
    """Passes when `mismatch_sql` finds no partition whose stored figures differ from the raw.

    The query reads the stored table as `t` filtered by `{stored_where}`, and the raw table as
    `raw_alias` filtered by `{raw_where}`; each row it returns is one difference.
    """
    stored_where, stored_parameters = partition_filter("t", market_days)
    raw_where, raw_parameters = partition_filter(raw_alias, market_days)
    mismatches = warehouse.fetch(
        mismatch_sql.format(stored_where=stored_where, raw_where=raw_where),
        [*stored_parameters, *raw_parameters],
    )
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=not mismatches,
        metadata={
            "partitions_checked": len(market_days),
            "mismatches": len(mismatches),
            "first_mismatches": dg.MetadataValue.md(
                metadata.markdown_table(columns, mismatches[:20])
            ),
        },
    )


def partition_values(market_days: Sequence[MarketDay]) -> list[dict[str, Any]]:
    """The partition values `DuckDBWarehouse.replace` deletes before writing."""
    return [{"market_id": day.market_id, "partition_date": day.day} for day in market_days]


def stream(
    warehouse: DuckDBWarehouse, sql: str, parameters: Sequence[Any]
) -> Iterator[dict[str, Any]]:
    """The rows of a query as dicts, fetched in batches so no table is held in memory whole."""
    with warehouse.connect() as connection:
        result = connection.execute(sql, list(parameters))
        names = [column[0] for column in result.description]
        while batch := result.fetchmany(FETCH_ROWS):
            for row in batch:
                yield dict(zip(names, row, strict=True))


def conversion_for(warehouse: DuckDBWarehouse, config: FinanceConfig) -> Conversion:
    """The configured conversion, or a dg.Failure whose message says what to change."""
    with warehouse.connect() as connection:
        try:
            return resolve(connection, config.currency)
        except CurrencyError as error:
            raise dg.Failure(description=str(error)) from error


def require_rates(
    warehouse: DuckDBWarehouse, rows_sql: str, parameters: Sequence[Any], what: str
) -> None:
    """Fail before writing when a row has no rate: it would drop out of every converted sum."""
    missing = warehouse.fetch(missing_rates_sql(rows_sql), parameters)
    if missing:
        pairs = ", ".join(f"{currency} on {day}" for currency, day in missing)
        raise dg.Failure(
            description=f"no exchange rate for {what}: {pairs}; add those days to the rates "
            "CSV (currency.rates_csv in finance.yaml) and rematerialize finance/exchange_rates"
        )
