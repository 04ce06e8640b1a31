"""Analytics tables derived in the warehouse."""

import dagster as dg

from centra_pipelines.analytics.customers import PrivacySettings, analytics_customers

analytics_build_job = dg.define_asset_job(
    "analytics_build",
    selection=dg.AssetSelection.assets(analytics_customers),
    description="Rebuild the analytics tables from the synced raw tables.",
)

defs = dg.Definitions(
    assets=[analytics_customers],
    jobs=[analytics_build_job],
    resources={"privacy": PrivacySettings()},
)
