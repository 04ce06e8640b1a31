"""The warehouse resource, configured from the environment when a run starts."""

import dagster as dg

from centra_pipelines.warehouse.duckdb_warehouse import DuckDBWarehouse

# Either CENTRA_WAREHOUSE_PATH (a DuckDB file) or CENTRA_WAREHOUSE_URL (PostgreSQL) is set, and an
# unset EnvVar fails the run, so the resource reads whichever is set when a run starts
# (centra_pipelines/warehouse/engines.py).
defs = dg.Definitions(resources={"warehouse": DuckDBWarehouse()})
