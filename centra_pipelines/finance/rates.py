"""finance.exchange_rates: daily rates from the CSV named in finance.yaml (currency.rates_csv).

A CSV the operator exports from their treasury or bank keeps the rates reviewable and versioned
beside the config; the table is rebuilt from it whole on every materialization, so a corrected
rate replaces the old one.
"""

import dagster as dg

from centra_pipelines.finance.currency import RATE_TYPE, RATES_TABLE
from centra_pipelines.finance.settings import load_finance_config
from centra_pipelines.models import metadata
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

exchange_rates_table = TableSpec(
    schema=RATES_TABLE.split(".")[0],
    name=RATES_TABLE.split(".")[1],
    description="Daily exchange rates: 1 unit of from_currency = rate units of to_currency.",
    columns=(
        Column("day", "DATE", "Day the rate applies from."),
        Column("from_currency", "VARCHAR", "ISO 4217 code converted from."),
        Column("to_currency", "VARCHAR", "ISO 4217 code converted into."),
        Column("rate", RATE_TYPE, "Units of to_currency per unit of from_currency."),
    ),
    key=("day", "from_currency", "to_currency"),
    preview_columns=("day", "from_currency", "to_currency", "rate"),
)

# Empty when no CSV is configured, so the document rates stay the only source.
EMPTY_SQL = f"SELECT NULL::DATE, NULL, NULL, NULL::{RATE_TYPE} WHERE FALSE"
CSV_SQL = f"""
    SELECT CAST(day AS DATE), upper(trim(from_currency)), upper(trim(to_currency)),
           CAST(rate AS {RATE_TYPE})
    FROM read_csv(?, header = true, all_varchar = true)
"""


class RatesFileError(ValueError):
    """The rates CSV is missing or malformed; the message says what to fix."""


@dg.asset(
    key=["finance", "exchange_rates"],
    pool="warehouse",
    group_name="finance",
    kinds={"duckdb"},
    owners=OWNERS,
    metadata=metadata.table_definition_metadata(exchange_rates_table),
)
def finance_exchange_rates(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    """Daily exchange rates loaded from the CSV named in finance.yaml, for external conversion."""
    path = load_finance_config().currency.rates_csv
    if path is None:
        context.log.warning(
            "currency.rates_csv is not set in finance.yaml: finance.exchange_rates is empty, "
            "so only Centra's document rates into its base currency can be used"
        )
    elif not path.is_file():
        raise RatesFileError(f"currency.rates_csv {path} does not exist; fix the path")

    report = warehouse.rebuild(
        exchange_rates_table,
        EMPTY_SQL if path is None else CSV_SQL,
        [] if path is None else [str(path)],
        run_id=context.run.run_id,
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"exchange_rates": "finance/exchange_rates"},
        ),
    )
    return dg.MaterializeResult(metadata=metadata.report_metadata(report))
