"""Mapping from Centra's nested GraphQL records to flat warehouse rows.

A raw table is declared once as a list of RawField: the column, its warehouse type, where the value
sits in Centra's record, and what it means. The TableSpec for the warehouse and the row builder are
both derived from that one declaration, so a column can never be typed in one place and filled
from a different field in another.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from centra_pipelines.models.values import ValueConversionError, to_decimal, to_utc
from centra_pipelines.settings import CENTRA_RAW_SCHEMA
from centra_pipelines.warehouse import Column, TableSpec

MONEY = "DECIMAL(18,4)"
RATE = "DECIMAL(18,8)"

Record = Mapping[str, Any]


@dataclass(frozen=True)
class RawField:
    """One warehouse column filled from a dotted path in a Centra record (None for context)."""

    column: str
    type: str
    path: str | None
    description: str


def field(column: str, type_: str, path: str | None, description: str) -> RawField:
    return RawField(column=column, type=type_, path=path, description=description)


def pluck(record: Record | None, path: str) -> Any:
    """Follow a dotted path (`market.id`) through nested dicts; None when any step is missing."""
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)

    return value


def convert(value: Any, type_: str, *, column: str) -> Any:
    """Convert a wire value to the Python type the warehouse column expects.

    A value that cannot be converted is returned as it came, so that the data contract rejects
    that record with the offending value instead of the whole sync failing on it.
    """
    if value is None:
        return None
    try:
        if type_.startswith("DECIMAL"):
            return to_decimal(value, field=column)
        if type_ == "TIMESTAMPTZ":
            return to_utc(value, field=column)
    except ValueConversionError:
        return value
    return value


@dataclass(frozen=True)
class RawTable:
    """A raw Centra table: its warehouse spec plus how to build a row from a record."""

    spec: TableSpec
    fields: tuple[RawField, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    def row(self, record: Record, **context: Any) -> dict[str, Any]:
        """Build one row. Fields without a path take their value from `context` by column name."""
        row = {}
        for raw_field in self.fields:
            if raw_field.path is None:
                value = context.get(raw_field.column)
            else:
                value = pluck(record, raw_field.path)
            row[raw_field.column] = convert(value, raw_field.type, column=raw_field.column)

        return row


def raw_table(
    name: str,
    description: str,
    fields: list[RawField],
    *,
    key: tuple[str, ...],
    partition_columns: tuple[str, ...] = (),
    preview_columns: tuple[str, ...] = (),
) -> RawTable:
    columns = tuple(Column(f.column, f.type, f.description) for f in fields)
    spec = TableSpec(
        schema=CENTRA_RAW_SCHEMA,
        name=name,
        description=description,
        columns=columns,
        key=key,
        partition_columns=partition_columns,
        preview_columns=preview_columns or key,
    )
    return RawTable(spec=spec, fields=tuple(fields))


def rejects_spec(table: RawTable) -> TableSpec:
    """The quarantine table beside a raw table: one row per broken rule of a rejected record.

    It is partitioned like its table and replaced with it, so re-materializing a partition after
    the source was fixed clears the partition's rejects.
    """
    spec = table.spec
    types = {f.column: f.type for f in table.fields}
    columns = [
        Column("record_key", "VARCHAR", f"Key of the rejected record ({', '.join(spec.key)})."),
        Column("position", "BIGINT", "Position of the record in the stream that was read."),
        *[Column(name, types[name], "Partition of the record.") for name in spec.partition_columns],
        Column("column_name", "VARCHAR", "Field that broke the rule."),
        Column("rule", "VARCHAR", "Name of the broken rule."),
        Column("expected", "VARCHAR", "What the rule expects, in words."),
        Column("offending_value", "VARCHAR", "The value found (cut to 200 characters)."),
        Column("record", "JSON", "The whole record as read, so it can be inspected."),
    ]
    return TableSpec(
        schema=spec.schema,
        name=f"{spec.name}_rejects",
        description=f"Records of {spec.name} that broke its data contract, with the reason.",
        columns=tuple(columns),
        key=("record_key", "position", "column_name", "rule"),
        partition_columns=spec.partition_columns,
        preview_columns=("record_key", "column_name", "rule", "offending_value"),
    )
