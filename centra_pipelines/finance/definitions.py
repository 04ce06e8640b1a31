"""Finance assets derived from the raw Centra tables, and the jobs that build them.

Dagster runs one partitioning per job, and unpartitioned reports read the daily tables, so the
main job runs three in order: the exchange rates (the daily conversions read them), the market x
day tables over a partition range, then the unpartitioned tables built from them.
"""

import dagster as dg

from centra_pipelines.finance.discounts import discounts_daily
from centra_pipelines.finance.pricing import price_comparison
from centra_pipelines.finance.rates import finance_exchange_rates
from centra_pipelines.finance.sales import finance_sales_daily
from centra_pipelines.finance.tax import oss_report, tax_daily

# Other finance modules append their assets to the list that matches their partitioning.
FINANCE_DAILY_ASSETS: list[dg.AssetsDefinition] = [finance_sales_daily]
FINANCE_DAILY_ASSETS += [tax_daily, discounts_daily]
FINANCE_UNPARTITIONED_ASSETS: list[dg.AssetsDefinition] = []
FINANCE_UNPARTITIONED_ASSETS += [oss_report, price_comparison]

finance_rates_job = dg.define_asset_job(
    "finance_rates",
    selection=dg.AssetSelection.assets(finance_exchange_rates),
    description="Reload finance.exchange_rates from the CSV named in finance.yaml.",
)

finance_build_job = dg.define_asset_job(
    "finance_build",
    selection=dg.AssetSelection.assets(*FINANCE_DAILY_ASSETS),
    description="Rebuild the market x day finance tables of a partition range from raw tables.",
)

finance_reference_build_job = dg.define_asset_job(
    "finance_reference_build",
    selection=dg.AssetSelection.assets(*FINANCE_UNPARTITIONED_ASSETS),
    description="Rebuild the unpartitioned finance tables (reports, price comparisons) from the "
    "daily tables and the raw prices.",
)

defs = dg.Definitions(
    assets=[finance_exchange_rates, *FINANCE_DAILY_ASSETS, *FINANCE_UNPARTITIONED_ASSETS],
    jobs=[finance_rates_job, finance_build_job, finance_reference_build_job],
)
