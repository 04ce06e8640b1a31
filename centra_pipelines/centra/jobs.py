"""Jobs over Centra's assets: one per data type for schedules and sensors, one per full-sync phase.

Kept apart from the definitions so that schedules and sensors can name them without importing
every asset module twice. Every job retries steps that fail for transient reasons with
`RETRY_POLICY` (centra_pipelines/failures.py); other failures stop the step at once.
"""

import dagster as dg

from centra_pipelines.centra.assets.catalog import centra_catalog
from centra_pipelines.centra.assets.customers import centra_customers
from centra_pipelines.centra.assets.orders import centra_orders, centra_returns
from centra_pipelines.centra.assets.pricing import centra_prices
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.centra.assets.stock import centra_stock
from centra_pipelines.failures import RETRY_POLICY

unpartitioned_assets = [*listed_entity_assets, centra_catalog, centra_stock, centra_customers]


def _groups(*names: str) -> dg.AssetSelection:
    return dg.AssetSelection.groups(*names) - dg.AssetSelection.assets(centra_prices)


unpartitioned_sync_job = dg.define_asset_job(
    "centra_unpartitioned_sync",
    selection=dg.AssetSelection.assets(*unpartitioned_assets),
    description="Every unpartitioned Centra asset: reference data, catalogue, stock, customers.",
    op_retry_policy=RETRY_POLICY,
)

reference_sync_job = dg.define_asset_job(
    "centra_reference_sync",
    selection=_groups("centra_reference", "centra_pricing"),
    description="Stores, markets, countries, currencies, languages and pricelists.",
    op_retry_policy=RETRY_POLICY,
)

catalog_sync_job = dg.define_asset_job(
    "centra_catalog_sync",
    selection=_groups("centra_catalog"),
    description="Products with variants, sizes, media and displays; categories, brands, "
    "collections, size charts and mapped attributes.",
    op_retry_policy=RETRY_POLICY,
)

stock_sync_job = dg.define_asset_job(
    "centra_stock_sync",
    selection=_groups("centra_stock"),
    description="Warehouses and stock per size and warehouse.",
    op_retry_policy=RETRY_POLICY,
)

customers_sync_job = dg.define_asset_job(
    "centra_customers_sync",
    selection=dg.AssetSelection.assets(centra_customers),
    description="Customers with addresses and custom attributes.",
    op_retry_policy=RETRY_POLICY,
)

prices_sync_job = dg.define_asset_job(
    "centra_prices_sync",
    selection=dg.AssetSelection.assets(centra_prices),
    description="Prices of one or more markets.",
    op_retry_policy=RETRY_POLICY,
)

orders_sync_job = dg.define_asset_job(
    "centra_orders_sync",
    selection=dg.AssetSelection.assets(centra_orders, centra_returns),
    description="Orders, payments, shipments and returns of one or more market x day partitions.",
    op_retry_policy=RETRY_POLICY,
)

ALL_JOBS = [
    unpartitioned_sync_job,
    reference_sync_job,
    catalog_sync_job,
    stock_sync_job,
    customers_sync_job,
    prices_sync_job,
    orders_sync_job,
]
