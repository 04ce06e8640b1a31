"""The warehouse resource, configured from the environment when a run starts."""

import dagster as dg

from centra_pipelines.warehouse.duckdb_warehouse import DuckDBWarehouse

defs = dg.Definitions(
    resources={"warehouse": DuckDBWarehouse(path=dg.EnvVar("CENTRA_WAREHOUSE_PATH"))},
)
