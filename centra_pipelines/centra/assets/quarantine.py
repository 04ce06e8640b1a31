"""Between Centra and the warehouse: every record passes its data contract or is quarantined.

Records are validated in batches as they stream from Centra to storage. A valid record goes to its
table; a rejected one goes, once per broken rule, to the rejects table beside it, in the same
partition and the same transaction. Nothing is dropped.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from pydantic import Field

from centra_pipelines.centra.fields import RawTable, rejects_spec
from centra_pipelines.contracts.centra_records import CONTRACTS
from centra_pipelines.contracts.validation import ContractValidator, Rejection
from centra_pipelines.warehouse import TableSpec

Tagged = tuple[TableSpec, Mapping[str, Any]]

# Records validated at once: large enough for pandera's per-batch overhead, small enough to keep
# memory flat while a day of orders streams through.
BATCH_RECORDS = 2000

CHECK_NAME = "data_contract"


class DataContracts(dg.ConfigurableResource):
    """How much rejection a table may take before its contract check fails."""

    max_reject_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of records (0-1) a run may reject per table before the check fails; "
        "below it, any rejection is a warning.",
    )


@dataclass
class TableOutcome:
    """What one table's records came to in one write."""

    accepted: int = 0
    rejected: int = 0
    rules: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Document:
    """The rows one source document feeds; they are stored or quarantined together."""

    rows: list[Tagged]

    @property
    def root(self) -> str:
        spec, row = self.rows[0]
        return f"{spec.name} " + "|".join(str(row.get(name)) for name in spec.key)


class Quarantine:
    """Validates a stream of tagged rows for a group of tables and routes the rejects."""

    def __init__(self, table_group: Sequence[RawTable]) -> None:
        self.tables = {table.spec: table for table in table_group}
        self.rejects = {table.spec: rejects_spec(table) for table in table_group}
        self.validators = {
            table.spec: ContractValidator(CONTRACTS[table.name]) for table in table_group
        }
        self.outcomes = {table.name: TableOutcome() for table in table_group}

    def targets(self, partitions: Sequence[Mapping[str, Any]] | None) -> dict[TableSpec, Any]:
        """Tables and rejects tables the write replaces, all over the same partitions."""
        targets: dict[TableSpec, Any] = {}
        for spec in self.tables:
            targets[spec] = partitions
            targets[self.rejects[spec]] = partitions
        return targets

    def filter(self, items: Iterable[Tagged | Document]) -> Iterator[Tagged]:
        """Valid rows to their tables, broken ones to their rejects tables.

        An item is a single row or a `Document`: the rows of one source document (an order with
        its lines, payments and shipments). A document is stored whole or quarantined whole, so
        the warehouse never holds lines without their order or an order missing a line.
        """
        pending: list[Document] = []
        pending_rows = 0
        for item in items:
            document = item if isinstance(item, Document) else Document([item])
            pending.append(document)
            pending_rows += len(document.rows)
            if pending_rows >= BATCH_RECORDS:
                yield from self._flush(pending)
                pending, pending_rows = [], 0

        yield from self._flush(pending)

    def _flush(self, documents: list[Document]) -> Iterator[Tagged]:
        broken = self._validate(documents)

        for document in documents:
            rejections = [broken[id(row)] for _, row in document.rows if id(row) in broken]
            if not rejections:
                for spec, row in document.rows:
                    self.outcomes[spec.name].accepted += 1
                    yield spec, row
                continue

            for spec, row in document.rows:
                yield from self._quarantine(spec, row, broken.get(id(row)), document)

    def _validate(self, documents: list[Document]) -> dict[int, list[Rejection]]:
        """Rejections per row (by identity), validating each table's rows as one batch."""
        by_table: dict[TableSpec, list] = {}
        for document in documents:
            for spec, row in document.rows:
                by_table.setdefault(spec, []).append(row)

        broken: dict[int, list[Rejection]] = {}
        for spec, rows in by_table.items():
            for rejection in self.validators[spec].validate(rows).rejections:
                broken.setdefault(id(rejection.record), []).append(rejection)
        return broken

    def _quarantine(
        self,
        spec: TableSpec,
        row: Mapping[str, Any],
        rejections: list[Rejection] | None,
        document: Document,
    ) -> Iterator[Tagged]:
        outcome = self.outcomes[spec.name]
        outcome.rejected += 1
        if rejections is None:
            # A valid row of a broken document goes with it, saying which record broke.
            rejections = [_document_rejection(row, document)]

        for rejection in rejections:
            outcome.rules[f"{rejection.column}: {rejection.rule}"] += 1
            yield self.rejects[spec], _reject_row(spec, rejection)


def _document_rejection(row: Mapping[str, Any], document: Document) -> Rejection:
    return Rejection(
        record=row,
        position=-1,
        column="",
        rule="document_rejected",
        expected=f"every record of {document.root} to keep its contract; another one broke a rule",
        offending_value=None,
    )


def _reject_row(spec: TableSpec, rejection: Rejection) -> dict[str, Any]:
    record = rejection.record
    key = "|".join(str(record.get(name)) for name in spec.key)
    row = {
        "record_key": key,
        "position": rejection.position,
        "column_name": rejection.column,
        "rule": rejection.rule,
        "expected": rejection.expected,
        "offending_value": rejection.offending_value,
        "record": dict(record),
    }
    row.update({name: record.get(name) for name in spec.partition_columns})
    return row


def check_specs(table_group: Sequence[RawTable], asset_keys: Sequence[dg.AssetKey]) -> list:
    return [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            description=f"Records of {table.name} that break its data contract land in "
            f"{table.spec.schema}.{table.name}_rejects; warns on any, fails above the "
            "configured share.",
        )
        for table, key in zip(table_group, asset_keys, strict=True)
    ]


def check_results(
    quarantine: Quarantine,
    asset_keys: Mapping[str, dg.AssetKey],
    max_reject_share: float,
) -> Iterator[dg.AssetCheckResult]:
    """One result per table for everything this run wrote to it."""
    for name, outcome in quarantine.outcomes.items():
        total = outcome.accepted + outcome.rejected
        share = outcome.rejected / total if total else 0.0
        severity = (
            dg.AssetCheckSeverity.ERROR if share > max_reject_share else dg.AssetCheckSeverity.WARN
        )
        yield dg.AssetCheckResult(
            asset_key=asset_keys[name],
            check_name=CHECK_NAME,
            passed=outcome.rejected == 0,
            severity=severity,
            metadata={
                "rejected_records": outcome.rejected,
                "accepted_records": outcome.accepted,
                "reject_share": round(share, 6),
                "max_reject_share": max_reject_share,
                "broken_rules": dg.MetadataValue.json(dict(outcome.rules.most_common(20))),
            },
        )
