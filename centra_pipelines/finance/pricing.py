"""The same product's price across pricelists and currencies, side by side in one currency.

Each price is converted with the rate Centra recorded on it (`conversion_rate`, to the base
currency) or, by config, the external rates of the day it was synced. Per product variant the
table shows the spread of the converted prices and flags a price stale when either:
- it differs from the median of that variant's converted prices by more than
  `pricing.outlier_percent` (a pricelist someone forgot to update after a price change), or
- it was synced more than `pricing.max_sync_age_hours` before the newest price (its market's
  prices were not synced since, so it may no longer be what shoppers see).
"""

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.finance import partition_sql
from centra_pipelines.finance.currency import AMOUNT_TYPE, RATE_TYPE, Conversion, convert_sql
from centra_pipelines.finance.partition_sql import EXCHANGE_RATES_KEY
from centra_pipelines.finance.settings import PricingSettings, load_finance_config
from centra_pipelines.finance.tax import FINANCE_SCHEMA
from centra_pipelines.models import metadata
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

PRICE_COMPARISON_KEY = dg.AssetKey(["finance", "price_comparison"])
PERCENT_TYPE = "DECIMAL(9,2)"

price_comparison_table = TableSpec(
    schema=FINANCE_SCHEMA,
    name="price_comparison",
    description="Each variant's price per pricelist, converted, with spread and stale flags.",
    columns=(
        Column("product_id", "BIGINT", "Product."),
        Column("variant_id", "BIGINT", "Variant, when the price is per variant."),
        Column("pricelist_id", "BIGINT", "Pricelist."),
        Column("pricelist", "VARCHAR", "Pricelist name."),
        Column("currency", "VARCHAR", "Currency of the pricelist."),
        Column("price", AMOUNT_TYPE, "Price incl. tax in the pricelist's currency."),
        Column("price_reporting", AMOUNT_TYPE, "The price in the reporting currency."),
        Column("reporting_currency", "VARCHAR", "Currency of the *_reporting columns."),
        Column("rate", RATE_TYPE, "Rate used: reporting amount = amount x rate."),
        Column("rate_source", "VARCHAR", "document, external or document+external."),
        Column("pricelists", "INTEGER", "Pricelists holding a price for this variant."),
        Column("min_reporting", AMOUNT_TYPE, "Lowest converted price of the variant."),
        Column("max_reporting", AMOUNT_TYPE, "Highest converted price of the variant."),
        Column("median_reporting", AMOUNT_TYPE, "Median converted price of the variant."),
        Column("spread", AMOUNT_TYPE, "max - min, reporting currency."),
        Column("spread_percent", PERCENT_TYPE, "(max - min) / min x 100."),
        Column("deviation_percent", PERCENT_TYPE, "(price - median) / median x 100."),
        Column("synced_at", "TIMESTAMPTZ", "When this price was last synced (UTC)."),
        Column("stale_outlier", "BOOLEAN", "Deviation beyond pricing.outlier_percent."),
        Column(
            "stale_sync", "BOOLEAN", "Synced over pricing.max_sync_age_hours before the newest."
        ),
        Column("stale", "BOOLEAN", "Either flag."),
    ),
    key=("product_id", "variant_id", "pricelist_id"),
    preview_columns=("product_id", "variant_id", "pricelist", "price", "price_reporting"),
)


def price_rows_sql(conversion: Conversion) -> str:
    """One price per variant and pricelist (the latest synced when displays repeat it)."""
    rate = conversion.rate_sql(
        currency="currency", document_rate="conversion_rate", day="CAST(synced_at AS DATE)"
    )
    return f"""
        WITH latest AS (
            SELECT p.product_id, p.variant_id, p.pricelist_id, p.currency,
                   arg_max(p.price, p._synced_at) AS price,
                   arg_max(p.conversion_rate, p._synced_at) AS conversion_rate,
                   max(p._synced_at) AS synced_at
            FROM {tables.prices.spec.qualified_name} p
            GROUP BY ALL
        )
        SELECT latest.*, CAST(synced_at AS DATE) AS day, {rate} AS rate FROM latest
    """


def price_comparison_sql(conversion: Conversion) -> str:
    """The price_comparison rows; parameters: outlier percent, then max sync age in hours."""
    return f"""
        WITH converted AS (
            SELECT r.*, {convert_sql("r.price", "r.rate")} AS price_reporting
            FROM ({price_rows_sql(conversion)}) r
        ), spread AS (
            SELECT c.*,
                   count(*) OVER variant AS pricelists,
                   min(price_reporting) OVER variant AS min_reporting,
                   max(price_reporting) OVER variant AS max_reporting,
                   ROUND_EVEN(median(price_reporting) OVER variant, 2) AS median_reporting,
                   max(synced_at) OVER () AS newest_sync
            FROM converted c
            WINDOW variant AS (PARTITION BY product_id, variant_id)
        ), flagged AS (
            SELECT s.*,
                   ROUND_EVEN((max_reporting - min_reporting) * 100
                              / nullif(min_reporting, 0), 2) AS spread_percent,
                   ROUND_EVEN((price_reporting - median_reporting) * 100
                              / nullif(median_reporting, 0), 2) AS deviation_percent,
                   synced_at < newest_sync - to_milliseconds(CAST(? * 3600000 AS BIGINT))
                       AS stale_sync
            FROM spread s
        )
        SELECT f.product_id, f.variant_id, f.pricelist_id, pl.name, f.currency, f.price,
               f.price_reporting, '{conversion.reporting_currency}', f.rate,
               '{conversion.rate_source_label}', f.pricelists, f.min_reporting, f.max_reporting,
               f.median_reporting, f.max_reporting - f.min_reporting, f.spread_percent,
               f.deviation_percent, f.synced_at,
               coalesce(abs(f.deviation_percent) > ?, false) AS stale_outlier, f.stale_sync,
               coalesce(abs(f.deviation_percent) > ?, false) OR f.stale_sync
        FROM flagged f
        LEFT JOIN {tables.pricelists.spec.qualified_name} pl ON pl.id = f.pricelist_id
        ORDER BY f.product_id, f.variant_id, f.pricelist_id
    """


def price_comparison_parameters(settings: PricingSettings) -> list:
    outlier = round(settings.outlier_percent, 2)
    return [settings.max_sync_age_hours, outlier, outlier]


PREVIEW_SQL = f"""
    SELECT product_id, variant_id, pricelist, currency, price, price_reporting, spread_percent,
           deviation_percent, stale
    FROM {price_comparison_table.qualified_name}
    ORDER BY stale DESC, spread_percent DESC NULLS LAST, product_id, variant_id, pricelist_id
    LIMIT 20
"""


@dg.asset(
    key=PRICE_COMPARISON_KEY,
    pool="warehouse",
    group_name="finance",
    kinds={"duckdb"},
    owners=OWNERS,
    deps=[
        asset_key(tables.prices),
        asset_key(tables.pricelists),
        asset_key(tables.currencies),
        EXCHANGE_RATES_KEY,
    ],
    metadata=metadata.table_definition_metadata(price_comparison_table),
)
def price_comparison(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    """Each variant's price across pricelists in the reporting currency, with stale flags."""
    config = load_finance_config()
    conversion = partition_sql.conversion_for(warehouse, config)
    partition_sql.require_rates(warehouse, price_rows_sql(conversion), [], "prices")

    report = warehouse.rebuild(
        price_comparison_table,
        price_comparison_sql(conversion),
        price_comparison_parameters(config.pricing),
        run_id=context.run.run_id,
        audit=WriteAudit(
            direction="derived",
            system="warehouse",
            asset_by_table={"price_comparison": "finance/price_comparison"},
        ),
    )
    if not report.rows_written:
        context.log.warning("no prices in the warehouse: sync Centra prices first")
    (stale,) = warehouse.fetch(
        f"SELECT count(*) FILTER (WHERE stale) FROM {price_comparison_table.qualified_name}"
    )[0]
    context.log.info("compared %d prices, %d flagged stale", report.rows_written, stale)

    columns = ("product", "variant", "pricelist", "cur.", "price", "converted", "spread %")
    columns += ("deviation %", "stale")
    return dg.MaterializeResult(
        metadata=metadata.merge(
            metadata.write_metadata(rows=report.rows_written, rows_replaced=report.rows_deleted),
            {
                "stale_prices": dg.MetadataValue.int(stale),
                "reporting_currency": conversion.reporting_currency,
                metadata.PREVIEW: dg.MetadataValue.md(
                    metadata.markdown_table(columns, warehouse.fetch(PREVIEW_SQL))
                ),
            },
        )
    )


pricing_assets = [price_comparison]
