"""What the support flow remembers between runs, kept in the warehouse beside the outbox.

The high-water mark is the newest `updated_at` read from the help desk, so each run asks only for
tickets changed since (minus an overlap). Held tickets are those that could not be planned (their
order or customer is not in the warehouse yet, or the mapping refused them); every run tries them
again, so a ticket about an order that is synced later is noted without waiting for the desk to
change it.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from centra_pipelines.warehouse import DuckDBWarehouse

SCHEMA = "support"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.high_water (
    source VARCHAR PRIMARY KEY,
    updated_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.held_tickets (
    ticket_id VARCHAR PRIMARY KEY,
    ticket_json VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    held_run_id VARCHAR NOT NULL,
    held_at TIMESTAMPTZ NOT NULL
);
"""


class SupportState:
    """The high-water marks and held tickets of one warehouse."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.warehouse = warehouse
        with warehouse.connect() as connection:
            connection.execute(_DDL)

    def read_from(self, source: str, overlap: timedelta) -> datetime | None:
        """Where the next read starts: the mark minus `overlap`, or None before the first read."""
        rows = self.warehouse.fetch(
            f"SELECT updated_at FROM {SCHEMA}.high_water WHERE source = ?", [source]
        )
        return rows[0][0].astimezone(UTC) - overlap if rows else None

    def held(self) -> dict[str, dict[str, Any]]:
        """Held tickets as the desk sent them, by ticket id."""
        rows = self.warehouse.fetch(f"SELECT ticket_id, ticket_json FROM {SCHEMA}.held_tickets")
        return {ticket_id: json.loads(ticket) for ticket_id, ticket in rows}

    def save(
        self,
        source: str,
        *,
        mark: datetime | None,
        held: dict[str, tuple[dict[str, Any], str]],
        released: set[str],
        run_id: str,
    ) -> None:
        """Move the mark forward (never back), hold `held` (ticket, reason), drop `released`."""
        now = datetime.now(UTC)
        with self.warehouse.connect() as connection:
            connection.execute("BEGIN")
            try:
                if mark is not None:
                    connection.execute(
                        f"INSERT INTO {SCHEMA}.high_water VALUES (?, ?, ?, ?) ON CONFLICT (source) "
                        "DO UPDATE SET updated_at = greatest(updated_at, excluded.updated_at), "
                        "run_id = excluded.run_id, recorded_at = excluded.recorded_at",
                        [source, mark, run_id, now],
                    )
                for ticket_id in released:
                    connection.execute(
                        f"DELETE FROM {SCHEMA}.held_tickets WHERE ticket_id = ?", [ticket_id]
                    )
                for ticket_id, (ticket, reason) in held.items():
                    connection.execute(
                        f"INSERT OR REPLACE INTO {SCHEMA}.held_tickets VALUES (?, ?, ?, ?, ?)",
                        [ticket_id, json.dumps(ticket), reason, run_id, now],
                    )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
