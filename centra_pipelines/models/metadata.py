"""The one vocabulary of materialization metadata, emitted where data is stored.

Every asset reports the same keys, so the Dagster UI can plot them side by side and a dashboard
never has to know which asset spelled row count which way.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg

from centra_pipelines.warehouse import TableSpec, WriteReport

ROW_COUNT = "dagster/row_count"
TABLE_NAME = "dagster/table_name"
COLUMN_SCHEMA = "dagster/column_schema"
ROWS_REPLACED = "warehouse/rows_replaced"
WINDOW_START = "partition/window_start"
WINDOW_END = "partition/window_end"
API_REQUESTS = "api/requests"
API_COMPLEXITY = "api/complexity"
API_THROTTLED = "api/throttled_responses"
API_RETRIES = "api/retries"
API_WAIT_SECONDS = "api/wait_seconds"
PREVIEW = "preview"


def table_definition_metadata(table: TableSpec) -> dict[str, Any]:
    """Static metadata for an asset's definition: where it lives and its columns."""
    return {TABLE_NAME: table.qualified_name, COLUMN_SCHEMA: table.dagster_schema()}


def write_metadata(*, rows: int, rows_replaced: int) -> dict[str, Any]:
    return {
        ROW_COUNT: dg.MetadataValue.int(rows),
        ROWS_REPLACED: dg.MetadataValue.int(rows_replaced),
    }


def report_metadata(report: WriteReport, partition: tuple = ()) -> dict[str, Any]:
    """Rows, rows replaced and a preview of one written partition (of the table when `()`)."""
    rows = report.rows_by_partition.get(partition, 0) if partition else report.rows_written
    return merge(
        write_metadata(rows=rows, rows_replaced=report.rows_deleted),
        preview_metadata(report.preview_columns, report.preview(partition)),
    )


def window_metadata(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        WINDOW_START: dg.MetadataValue.timestamp(start),
        WINDOW_END: dg.MetadataValue.timestamp(end),
    }


def api_metadata(
    *, requests: int, complexity: int, throttled: int, retries: int, wait_seconds: float
) -> dict[str, Any]:
    return {
        API_REQUESTS: dg.MetadataValue.int(requests),
        API_COMPLEXITY: dg.MetadataValue.int(complexity),
        API_THROTTLED: dg.MetadataValue.int(throttled),
        API_RETRIES: dg.MetadataValue.int(retries),
        API_WAIT_SECONDS: dg.MetadataValue.float(round(wait_seconds, 3)),
    }


def preview_metadata(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """A small markdown table of a few stored rows."""
    return {PREVIEW: dg.MetadataValue.md(markdown_table(columns, rows))}


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return "_no rows_"

    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def merge(*parts: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)

    return merged
