"""A copy of the synced warehouse and Dagster home, to rematerialize finance tables against.

Copying the session's synced state costs a fraction of a second, against seconds for starting a
sandbox, and the tax, discount and price tables need nothing but the warehouse and the instance.
"""

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import dagster as dg

from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.models.partitions import market_day_partitions, parse_market_day
from centra_pipelines.warehouse import DuckDBWarehouse

CENT = Decimal("0.01")


def converted(amount: Decimal, rate: Decimal) -> Decimal:
    """What a document amount is in the reporting currency: half-even to the cent."""
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass
class Copy:
    """The synced warehouse and instance, copied for one test or one module."""

    warehouse: DuckDBWarehouse
    instance: dg.DagsterInstance

    def window_keys(self) -> list[str]:
        """The market x day keys from the first to the last day holding orders."""
        first, last = self.warehouse.fetch(
            "SELECT min(partition_date), max(partition_date) FROM centra_raw.orders"
        )[0]
        keys = market_day_partitions.get_partition_keys(dynamic_partitions_store=self.instance)
        return [key for key in keys if first <= parse_market_day(key).day <= last]

    def materialize_window(self, assets: Sequence) -> dg.ExecuteInProcessResult:
        """One single-run backfill of the assets over the whole synced window."""
        keys = self.window_keys()
        return dg.materialize(
            assets,
            instance=self.instance,
            resources={"warehouse": self.warehouse},
            tags={RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]},
            raise_on_error=False,
        )

    def materialize(self, assets: Sequence) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            instance=self.instance,
            resources={"warehouse": self.warehouse},
            raise_on_error=False,
        )

    def execute(self, sql: str, parameters: Sequence = ()) -> None:
        with self.warehouse.connect() as connection:
            connection.execute(sql, list(parameters))


@contextmanager
def copied(state: Path, folder: Path) -> Iterator[Copy]:
    shutil.copytree(state, folder, dirs_exist_ok=True)
    warehouse = DuckDBWarehouse(path=str(folder / "warehouse.duckdb"))
    with dg.instance_for_test(temp_dir=str(folder / "home")) as instance:
        try:
            yield Copy(warehouse, instance)
        finally:
            warehouse.close()


def check_evaluation(result: dg.ExecuteInProcessResult, check_name: str):
    evaluations = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == check_name
    ]
    assert len(evaluations) == 1, f"expected one evaluation of {check_name}"
    return evaluations[0]


def preview_of(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> str:
    """The markdown table the last materialization of `key` shows in the Dagster UI."""
    materializations = [
        event.event_specific_data.materialization
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
        and event.event_specific_data.materialization.asset_key == key
    ]
    assert materializations, f"{key.to_user_string()} was not materialized"
    return materializations[-1].metadata["preview"].value
