"""Declarative table specifications: the one place a table's columns, key and partitioning live."""

from dataclasses import dataclass, field

import dagster as dg

# Columns the warehouse adds to every table so that any row can be traced to the run that wrote it.
LINEAGE_COLUMNS = (
    ("_run_id", "VARCHAR", "Dagster run that wrote this row."),
    ("_synced_at", "TIMESTAMPTZ", "When the run wrote this row (UTC)."),
)


@dataclass(frozen=True)
class Column:
    """One column: its DuckDB type and what it means."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class TableSpec:
    """A warehouse table: columns, natural key and the columns that identify a partition."""

    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_columns: tuple[str, ...] = ()
    preview_columns: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        unknown = [name for name in (*self.key, *self.partition_columns) if name not in names]
        if unknown:
            raise ValueError(
                f"table {self.name}: key or partition columns {unknown} are not columns"
            )

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """Columns of the preview: the chosen ones, else the key."""
        return self.preview_columns or self.key

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def dagster_schema(self) -> dg.TableSchema:
        """The column schema shown on the asset page in the Dagster UI."""
        columns = [
            dg.TableColumn(name=column.name, type=column.type, description=column.description)
            for column in self.columns
        ]
        lineage = [
            dg.TableColumn(name=name, type=type_, description=description)
            for name, type_, description in LINEAGE_COLUMNS
        ]
        return dg.TableSchema(columns=columns + lineage)
