"""Where data lands: table specifications and the warehouse resource (a DuckDB file, or PostgreSQL).

Nothing here knows which system the rows came from; sources describe their tables with TableSpec.
"""

from centra_pipelines.warehouse.audit import WriteAudit, record_history
from centra_pipelines.warehouse.duckdb_warehouse import DuckDBWarehouse, WriteReport
from centra_pipelines.warehouse.tables import Column, TableSpec

__all__ = ["Column", "DuckDBWarehouse", "TableSpec", "WriteAudit", "WriteReport", "record_history"]
