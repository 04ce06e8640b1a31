"""Validate batches of records against a contract and split them into valid rows and rejections.

Validation never drops a record silently: every record either passes or comes back as one
rejection per broken rule, with the rule's name, what was expected and the offending value.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

Record = Mapping[str, Any]

# A rejection's offending value is cut to this length: enough to recognise, never a whole payload.
OFFENDING_VALUE_CHARS = 200


@dataclass(frozen=True)
class Contract:
    """The rules one kind of record must follow, and the fields that identify a record."""

    name: str
    schema: pa.DataFrameSchema
    key: tuple[str, ...]
    # Checks over a whole record (several fields) and the field a rejection names for each.
    record_check_fields: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """Column → description, for documentation and the UI."""
        return {name: column.description or "" for name, column in self.schema.columns.items()}


@dataclass(frozen=True)
class Rejection:
    """One broken rule of one record."""

    record: Record
    position: int
    column: str
    rule: str
    expected: str
    offending_value: str | None


@dataclass
class BatchResult:
    valid: list[Record] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class ContractValidator:
    """Validates the successive batches of one record stream against one contract.

    It remembers the keys it has accepted, so a record repeated in a later batch is rejected as a
    duplicate instead of reaching storage twice.
    """

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.accepted_keys: set[tuple] = set()
        self.position = 0

    def validate(self, records: Sequence[Record]) -> BatchResult:
        first_position = self.position
        self.position += len(records)
        if not records:
            return BatchResult()

        broken = _schema_failures(self.contract, records)
        result = BatchResult()
        for index, record in enumerate(records):
            position = first_position + index
            failures = broken.get(index, [])
            if not failures:
                failures = self._duplicate_failure(record)

            if failures:
                # The record's own value, not pandera's rendering of it, is what a person reads.
                result.rejections.extend(
                    Rejection(
                        record, position, column, rule, expected, _shown(record.get(column, value))
                    )
                    for column, rule, expected, value in failures
                )
            else:
                result.valid.append(record)

        return result

    def _duplicate_failure(self, record: Record) -> list[tuple]:
        key = tuple(record.get(name) for name in self.contract.key)
        if key in self.accepted_keys:
            expected = f"a unique ({', '.join(self.contract.key)}); an earlier record has it"
            return [(self.contract.key[0], "duplicate_key", expected, key[0])]

        self.accepted_keys.add(key)
        return []


def _schema_failures(contract: Contract, records: Sequence[Record]) -> dict[int, list[tuple]]:
    """Failures per record position: (column, rule, expected, offending value)."""
    frame = pd.DataFrame(list(records), columns=list(contract.schema.columns), dtype=object)
    try:
        contract.schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _by_position(contract, errors.failure_cases)

    return {}


def _by_position(contract: Contract, cases: pd.DataFrame) -> dict[int, list[tuple]]:
    failures: dict[int, list[tuple]] = {}
    reported: set[tuple[int, str]] = set()
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            # A failure without a row (a missing column) is a broken contract, not a bad record.
            raise ContractDefinitionError(
                f"contract {contract.name}: {case.check} failed for the whole batch "
                f"({case.column}); the records do not have the shape the contract describes"
            )
        check = str(case.check)
        column = case.column or ""
        if case.schema_context == "DataFrameSchema":
            # Pandera reports a record check once per field; the record broke one rule.
            if (int(case.index), check) in reported:
                continue
            reported.add((int(case.index), check))
            rule, expected = _rule(contract, None, check)
            column = contract.record_check_fields.get(rule, column)
        else:
            rule, expected = _rule(contract, column, check)

        failures.setdefault(int(case.index), []).append((column, rule, expected, case.failure_case))

    return failures


def _rule(contract: Contract, column: str | None, check: str) -> tuple[str, str]:
    """The rule's name and its expectation in words, from pandera's label for the failure.

    Pandera labels a failure with the check's error text when it has one, else with its name.
    """
    if check == "not_nullable":
        return "not_null", "a value (it must not be empty)"

    candidates = list(contract.schema.checks)
    if column in contract.schema.columns:
        candidates += contract.schema.columns[column].checks
    for candidate in candidates:
        if check in (candidate.name, candidate.error):
            return candidate.name, candidate.error or candidate.name

    return check, check


def _shown(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)[:OFFENDING_VALUE_CHARS]


class ContractDefinitionError(RuntimeError):
    """A contract does not fit the records it is applied to; fix the contract, not the data."""
