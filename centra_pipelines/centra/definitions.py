"""Everything read from Centra: assets and the jobs that run them."""

import dagster as dg

from centra_pipelines.centra.assets.catalog import centra_catalog
from centra_pipelines.centra.assets.customers import centra_customers
from centra_pipelines.centra.assets.orders import centra_orders, centra_returns
from centra_pipelines.centra.assets.pricing import centra_prices
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.centra.assets.stock import centra_stock

unpartitioned_assets = [*listed_entity_assets, centra_catalog, centra_stock, centra_customers]

reference_sync_job = dg.define_asset_job(
    "centra_reference_sync",
    selection=dg.AssetSelection.assets(*unpartitioned_assets),
    description="Reference data, catalogue, stock and customers: every unpartitioned asset.",
)

prices_sync_job = dg.define_asset_job(
    "centra_prices_sync",
    selection=dg.AssetSelection.assets(centra_prices),
    description="Prices of one or more markets.",
)

orders_sync_job = dg.define_asset_job(
    "centra_orders_sync",
    selection=dg.AssetSelection.assets(centra_orders, centra_returns),
    description="Orders, payments, shipments and returns of one or more market x day partitions.",
)

defs = dg.Definitions(
    assets=[*unpartitioned_assets, centra_prices, centra_orders, centra_returns],
    jobs=[reference_sync_job, prices_sync_job, orders_sync_job],
)
