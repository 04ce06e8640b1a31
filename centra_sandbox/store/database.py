"""One SQLite connection shared by the HTTP threads, serialised by a re-entrant lock."""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    # Plain dicts let GraphQL's default resolver read camelCase columns as fields.
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


class Database:
    """The sandbox's data, in memory unless a file path is given."""

    def __init__(self, path: str | None = None) -> None:
        self.connection = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self.connection.row_factory = _dict_row
        self.lock = threading.RLock()
        # The change feed publishes on commit and forgets on rollback (events/feed.py).
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []

    def create_schema(self) -> None:
        self.connection.executescript(_sql_file("schema.sql"))

    def create_indexes(self) -> None:
        self.connection.executescript(_sql_file("indexes.sql"))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.lock:
            return self.connection.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        with self.lock:
            return self.connection.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.lock:
            cursor = self.connection.execute(sql, params)
            return cursor.lastrowid

    def insert_many(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        with self.lock:
            self.connection.executemany(sql, rows)

    def commit(self) -> None:
        with self.lock:
            self.connection.commit()
            for hook in self.after_commit:
                hook()

    def rollback(self) -> None:
        with self.lock:
            self.connection.rollback()
            for hook in self.after_rollback:
                hook()

    def close(self) -> None:
        self.connection.close()


def bump_updated_at(db: Database, table: str, key_column: str, key: int) -> int:
    """Move updatedAt to now; returns how many rows moved (0 when the key is gone)."""
    # Strictly later than before, even within one second, so `updatedAt` filters see the change.
    with db.lock:
        cursor = db.connection.execute(
            f"UPDATE {table} SET updatedAt = MAX(updatedAt + 1, ?) WHERE {key_column} = ?",
            (int(time.time()), key),
        )
        return cursor.rowcount


def _sql_file(name: str) -> str:
    return resources.files("centra_sandbox.store").joinpath(name).read_text(encoding="utf-8")
