"""The audit ledger: every write, and every record it wrote with a content hash.

`audit.writes` has one row per table per write: which run, which asset, in which direction from or
to which system, and how many records were new, changed or unchanged. `audit.written_records` has
one row per record written: its key, its partition, a hash of its content and a hash per field,
and, compared with the last time the same record was written, whether and which fields changed.
So "which run wrote order 39790, when, and what changed" is one query (see `record_history`).
Tables are named with their schema (`centra_raw.orders`), since raw and derived tables may share a
name.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from centra_pipelines.warehouse.tables import TableSpec

AUDIT_SCHEMA = "audit"

WRITES_DDL = f"""
CREATE TABLE IF NOT EXISTS {AUDIT_SCHEMA}.writes (
    write_id VARCHAR, run_id VARCHAR, asset VARCHAR, table_name VARCHAR, direction VARCHAR,
    system VARCHAR, partitions JSON, records_written BIGINT, records_new BIGINT,
    records_changed BIGINT, records_unchanged BIGINT, rows_replaced BIGINT,
    written_at TIMESTAMPTZ
)
"""

RECORDS_DDL = f"""
CREATE TABLE IF NOT EXISTS {AUDIT_SCHEMA}.written_records (
    write_id VARCHAR, run_id VARCHAR, table_name VARCHAR, record_key VARCHAR, partition JSON,
    content_hash VARCHAR, field_hashes JSON, change VARCHAR, changed_fields JSON,
    written_at TIMESTAMPTZ
)
"""


# The last written version of each record, so a write compares against one row per record
# instead of scanning the whole history, which grows with every run.
LATEST_DDL = f"""
CREATE TABLE IF NOT EXISTS {AUDIT_SCHEMA}.latest_records (
    table_name VARCHAR, record_key VARCHAR, content_hash VARCHAR, field_hashes JSON,
    PRIMARY KEY (table_name, record_key)
)
"""


@dataclass(frozen=True)
class WriteAudit:
    """Who is writing, and what the write means, for the ledger.

    Attributes:
        direction: "inbound" for data arriving from `system`, "outbound" for data sent to it.
        system: The other side of the write, e.g. "centra".
        asset_by_table: The asset each table belongs to.
    """

    direction: str
    system: str
    asset_by_table: Mapping[str, str]


@dataclass(frozen=True)
class AuditSummary:
    new: int
    changed: int
    unchanged: int


def create_ledger(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA}")
    connection.execute(WRITES_DDL)
    connection.execute(RECORDS_DDL)
    connection.execute(LATEST_DDL)


def record_write(
    connection: duckdb.DuckDBPyConnection,
    table: TableSpec,
    scope: tuple[str, list[Any]],
    *,
    audit: WriteAudit,
    write_id: str,
    run_id: str,
    written_at: datetime,
    partitions: Sequence[Mapping[str, Any]] | None,
    rows_replaced: int,
) -> AuditSummary:
    """Add the write and each record it left in scope to the ledger, in the caller's transaction."""
    scope_sql, scope_parameters = scope
    # Parameters in the order they appear: the scope, the table, then the write's own values.
    connection.execute(
        _records_insert(table, scope_sql),
        [
            *scope_parameters,
            table.qualified_name,
            write_id,
            run_id,
            table.qualified_name,
            written_at,
        ],
    )

    # Delete and insert rather than INSERT OR REPLACE: on a PostgreSQL warehouse DuckDB updates a
    # JSON column through a VARCHAR staging column, which PostgreSQL refuses.
    this_write = f"FROM {AUDIT_SCHEMA}.written_records WHERE write_id = ? AND table_name = ?"
    connection.execute(
        f"DELETE FROM {AUDIT_SCHEMA}.latest_records WHERE table_name = ? "
        f"AND record_key IN (SELECT record_key {this_write})",
        [table.qualified_name, write_id, table.qualified_name],
    )
    connection.execute(
        f"INSERT INTO {AUDIT_SCHEMA}.latest_records "
        f"SELECT table_name, record_key, content_hash, field_hashes {this_write}",
        [write_id, table.qualified_name],
    )
    new, changed, unchanged = connection.execute(
        f"SELECT count(*) FILTER (change = 'new'), count(*) FILTER (change = 'changed'), "
        f"count(*) FILTER (change = 'unchanged') FROM {AUDIT_SCHEMA}.written_records "
        "WHERE write_id = ? AND table_name = ?",
        [write_id, table.qualified_name],
    ).fetchone()
    connection.execute(
        f"INSERT INTO {AUDIT_SCHEMA}.writes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            write_id,
            run_id,
            audit.asset_by_table.get(table.name, table.name),
            table.qualified_name,
            audit.direction,
            audit.system,
            _partitions_json(partitions),
            new + changed + unchanged,
            new,
            changed,
            unchanged,
            rows_replaced,
            written_at,
        ],
    )
    return AuditSummary(new=new, changed=changed, unchanged=unchanged)


def _records_insert(table: TableSpec, scope_sql: str) -> str:
    """SQL that hashes every record in scope and compares it with its last written version."""
    key = " || '|' || ".join(f'CAST("{name}" AS VARCHAR)' for name in table.key)
    field_hashes = ", ".join(
        f"'{column.name}', md5(coalesce(CAST(\"{column.name}\" AS VARCHAR), '<null>'))"
        for column in table.columns
    )
    partition = ", ".join(f"'{name}', \"{name}\"" for name in table.partition_columns)
    partition_sql = f"json_object({partition})" if partition else "NULL"

    return f"""
        INSERT INTO {AUDIT_SCHEMA}.written_records
        WITH current AS (
            SELECT {key} AS record_key, {partition_sql} AS partition,
                   json_object({field_hashes}) AS field_hashes
            FROM {table.qualified_name} WHERE {scope_sql}
        ),
        previous AS (
            SELECT record_key, content_hash, field_hashes FROM {AUDIT_SCHEMA}.latest_records
            WHERE table_name = ? AND record_key IN (SELECT record_key FROM current)
        )
        SELECT ?, ?, ?, c.record_key, c.partition, md5(CAST(c.field_hashes AS VARCHAR)),
               c.field_hashes,
               CASE WHEN p.record_key IS NULL THEN 'new'
                    WHEN p.content_hash = md5(CAST(c.field_hashes AS VARCHAR)) THEN 'unchanged'
                    ELSE 'changed' END,
               CASE WHEN p.record_key IS NULL THEN NULL ELSE to_json(list_filter(
                    json_keys(c.field_hashes),
                    lambda name: json_extract_string(c.field_hashes, name)
                        IS DISTINCT FROM json_extract_string(p.field_hashes, name))) END,
               ?
        FROM current c LEFT JOIN previous p USING (record_key)
    """


def _partitions_json(partitions: Sequence[Mapping[str, Any]] | None) -> str | None:
    if partitions is None:
        return None
    return json.dumps([{k: str(v) for k, v in p.items()} for p in partitions])


def record_history(
    connection: duckdb.DuckDBPyConnection, table_name: str, record_key: str
) -> list[dict[str, Any]]:
    """Every write of one record, oldest first: run, asset, time, change and changed fields.

    `table_name` is schema-qualified (`centra_raw.orders`), since raw and derived tables may
    share a name. Only writes that stored the record appear: a later write that quarantined it
    or no longer returned it is not listed yet (see docs/data-contracts.md).
    """
    rows = connection.execute(
        f"SELECT r.run_id, w.asset, r.written_at, r.change, r.changed_fields, r.content_hash "
        f"FROM {AUDIT_SCHEMA}.written_records r JOIN {AUDIT_SCHEMA}.writes w "
        "ON w.write_id = r.write_id AND w.table_name = r.table_name "
        "WHERE r.table_name = ? AND r.record_key = ? ORDER BY r.written_at",
        [table_name, record_key],
    ).fetchall()
    names = ("run_id", "asset", "written_at", "change", "changed_fields", "content_hash")
    return [dict(zip(names, row, strict=True)) for row in rows]
