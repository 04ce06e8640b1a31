"""Everything read from Centra: assets, the jobs that run them, and what starts those jobs."""

import dagster as dg

from centra_pipelines.centra.assets.orders import centra_orders, centra_returns
from centra_pipelines.centra.assets.pricing import centra_prices
from centra_pipelines.centra.automation.definitions import automation_definitions
from centra_pipelines.centra.jobs import ALL_JOBS, unpartitioned_assets


def _assets_and_jobs() -> dg.Definitions:
    return dg.Definitions(
        assets=[*unpartitioned_assets, centra_prices, centra_orders, centra_returns],
        jobs=ALL_JOBS,
    )


defs = dg.Definitions.merge(_assets_and_jobs(), automation_definitions())
