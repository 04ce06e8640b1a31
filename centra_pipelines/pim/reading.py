"""Read the PIM's products changed since the last run, with the mark kept in the warehouse.

The PIM lists products ordered by (`updated_at`, identifier) with a cursor, and a product edited
during the read moves behind the cursor, so one read sees every product changed before it ended.
The mark is the latest `updated_at` read; the next run asks from a minute before it, because
products changed in the same instant as the mark, or stamped by a clock that stepped back, would
otherwise be missed. Reading a product twice costs nothing: planning compares with Centra and
with what was sent. The mark is stored only after the plan is committed, so a failed run reads
the same products again.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.warehouse import DuckDBWarehouse

PRODUCTS_PATH = "/products"
PAGE_SIZE = 100
LOOKBACK = timedelta(minutes=1)
MARKS_SCHEMA = "pim"
SOURCE = "pim_products"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {MARKS_SCHEMA};
CREATE TABLE IF NOT EXISTS {MARKS_SCHEMA}.read_marks (
    source VARCHAR PRIMARY KEY,
    mark TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
"""


def read_mark(warehouse: DuckDBWarehouse) -> datetime | None:
    """The latest `updated_at` a committed plan read, or None before the first run."""
    with warehouse.connect() as connection:
        connection.execute(_DDL)
        row = connection.execute(
            f"SELECT mark FROM {MARKS_SCHEMA}.read_marks WHERE source = ?", [SOURCE]
        ).fetchone()
    return row[0] if row else None


def save_mark(warehouse: DuckDBWarehouse, mark: datetime, run_id: str) -> None:
    with warehouse.connect() as connection:
        connection.execute(_DDL)
        connection.execute(
            f"INSERT OR REPLACE INTO {MARKS_SCHEMA}.read_marks VALUES (?, ?, ?, ?)",
            [SOURCE, mark, run_id, datetime.now(UTC)],
        )


def read_products(pim_api: RestApiClient, mark: datetime | None) -> Iterator[dict[str, Any]]:
    """Products changed at or after a minute before `mark`; every product when it is None."""
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if mark is not None:
        params["updated_since"] = since(mark).isoformat()
    yield from pim_api.get_items(PRODUCTS_PATH, params)


def since(mark: datetime) -> datetime:
    return (mark - LOOKBACK).astimezone(UTC)


def updated_at(record: dict[str, Any]) -> datetime | None:
    """The product's change time, or None when the PIM sent none we can read."""
    value = record.get("updated_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
