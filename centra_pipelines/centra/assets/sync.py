"""Building blocks shared by the Centra assets: specs, cost sharing and materialization events."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg

from centra_pipelines.centra.assets.quarantine import (
    DataContracts,
    Document,
    Quarantine,
    check_results,
    check_specs,
)
from centra_pipelines.centra.client import ApiUsage
from centra_pipelines.centra.fields import RawTable
from centra_pipelines.models import metadata
from centra_pipelines.settings import CENTRA_KEY_PREFIX, OWNERS
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec, WriteAudit, WriteReport

KINDS = {"centra", "duckdb"}


def asset_key(table: RawTable) -> dg.AssetKey:
    return dg.AssetKey([CENTRA_KEY_PREFIX, table.name])


def raw_asset_spec(
    table: RawTable,
    *,
    group: str,
    deps: Sequence[RawTable] = (),
    skippable: bool = False,
) -> dg.AssetSpec:
    """The spec of an asset that mirrors one raw Centra table."""
    return dg.AssetSpec(
        key=asset_key(table),
        description=table.spec.description,
        group_name=group,
        kinds=KINDS,
        owners=OWNERS,
        deps=[asset_key(dep) for dep in deps],
        metadata=metadata.table_definition_metadata(table.spec),
        skippable=skippable,
    )


@dataclass(frozen=True)
class CostShare:
    """The API cost attributed to one partition of a batch."""

    requests: int
    complexity: int
    throttled: int
    retries: int
    wait_seconds: float

    def as_metadata(self) -> dict[str, Any]:
        return metadata.api_metadata(
            requests=self.requests,
            complexity=self.complexity,
            throttled=self.throttled,
            retries=self.retries,
            wait_seconds=self.wait_seconds,
        )


def split_cost(usage: ApiUsage, parts: int) -> list[CostShare]:
    """Split a batch's API cost over the partitions it served so that the shares add up exactly.

    One Centra query serves every market of a day in a range run; giving each partition the whole
    cost would overstate it N times on the asset's history charts.
    """
    counts = [
        _split_int(value, parts)
        for value in (usage.requests, usage.complexity, usage.throttled, usage.retries)
    ]
    wait = usage.waited_seconds / parts
    return [
        CostShare(counts[0][i], counts[1][i], counts[2][i], counts[3][i], wait)
        for i in range(parts)
    ]


def _split_int(value: int, parts: int) -> list[int]:
    share, remainder = divmod(value, parts)
    return [share + (1 if index < remainder else 0) for index in range(parts)]


def materialization(
    table: RawTable,
    report: WriteReport,
    *,
    partition_key: str,
    partition_values: Mapping[str, Any],
    cost: CostShare | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> dg.AssetMaterialization:
    """The event for one partition of a table, for runs that cover several partitions."""
    parts = [metadata.report_metadata(report, tuple(partition_values.values()))]
    if cost is not None:
        parts.append(cost.as_metadata())
    if window is not None:
        parts.append(metadata.window_metadata(*window))

    return dg.AssetMaterialization(
        asset_key=asset_key(table), partition=partition_key, metadata=metadata.merge(*parts)
    )


def table_result(
    table: RawTable,
    report: WriteReport,
    *,
    cost: CostShare | None = None,
) -> dg.MaterializeResult:
    """The result of replacing a whole, unpartitioned table."""
    parts = [metadata.report_metadata(report)]
    if cost is not None:
        parts.append(cost.as_metadata())

    return dg.MaterializeResult(asset_key=asset_key(table), metadata=metadata.merge(*parts))


def whole_cost(usage: ApiUsage) -> CostShare:
    return split_cost(usage, 1)[0]


def iter_items(pages: Iterable[list[dict]]) -> Iterator[dict]:
    for page in pages:
        yield from page


def attribute_rows(
    table: RawTable, object_type: str, object_id: Any, record: Mapping[str, Any], **context: Any
) -> Iterator[dict[str, Any]]:
    """One row per custom attribute element set on an object, kept exactly as Centra sent it."""
    for attribute in record.get("attributes") or []:
        for element in attribute.get("elements") or []:
            yield table.row(
                {"type": attribute.get("type"), "element": element},
                object_type=object_type,
                object_id=str(object_id),
                **context,
            )


def translation_rows(
    table: RawTable, object_type: str, object_id: Any, record: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    """One row per translated field and language of an object."""
    for translation in record.get("translations") or []:
        language = (translation.get("language") or {}).get("code")
        for translated in translation.get("fields") or []:
            yield table.row(
                translated, object_type=object_type, object_id=object_id, language_code=language
            )


def ids(records: Iterable[Mapping[str, Any]] | None) -> list[Any]:
    return [record["id"] for record in records or []]


def codes(records: Iterable[Mapping[str, Any]] | None) -> list[Any]:
    return [record["code"] for record in records or []]


def write_through_contracts(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    table_group: Sequence[RawTable],
    rows: Iterable[tuple[TableSpec, Mapping[str, Any]] | Document],
    partitions: Sequence[Mapping[str, Any]] | None = None,
    quarantine: Quarantine | None = None,
) -> tuple[dict[str, WriteReport], Quarantine]:
    """Validate rows against their contracts and replace the tables and their rejects at once.

    A run that writes in several transactions (one per day or market) passes the same quarantine
    to each, so its check covers the whole run and a key repeated across writes is still caught.
    """
    quarantine = quarantine or Quarantine(table_group)
    audit = WriteAudit(
        direction="inbound",
        system="centra",
        asset_by_table={
            name: asset_key(table).to_user_string()
            for table in table_group
            for name in (table.name, f"{table.name}_rejects")
        },
    )
    reports = warehouse.replace_many(
        quarantine.targets(partitions),
        quarantine.filter(rows),
        run_id=context.run.run_id,
        audit=audit,
    )

    for name, report in reports.items():
        if name.endswith("_rejects") and report.rows_written:
            context.log.warning(
                "%d broken rules quarantined in %s; the valid records landed",
                report.rows_written,
                report.table,
            )
    return reports, quarantine


def contract_checks(
    quarantine: Quarantine, table_group: Sequence[RawTable], contracts: DataContracts
) -> Iterator[dg.AssetCheckResult]:
    keys = {table.name: asset_key(table) for table in table_group}
    yield from check_results(quarantine, keys, contracts.max_reject_share)


def contract_check_specs(table_group: Sequence[RawTable]) -> list[dg.AssetCheckSpec]:
    return check_specs(table_group, [asset_key(table) for table in table_group])
