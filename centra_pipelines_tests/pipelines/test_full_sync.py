"""The main job lands every Centra entity, exactly, and reruns without duplicating anything."""

import dagster as dg

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines_tests.pipelines.conftest import WINDOW_DAYS, WINDOW_START
from demo.verify import compare_counts, compare_order_totals


def sync(pipeline):
    return run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS)


def test_full_sync_lands_every_entity_exactly_with_no_429(pipeline):
    result = sync(pipeline)

    stats = pipeline.sandbox.stats()
    mismatched_counts = [
        c for c in compare_counts(pipeline.warehouse, stats["counts"]) if not c.matches
    ]
    mismatched_totals = [
        c for c in compare_order_totals(pipeline.warehouse, stats["order_totals"]) if not c.matches
    ]
    assert mismatched_counts == []
    assert mismatched_totals == []
    assert pipeline.sandbox.metrics()["throttled"] == 0
    assert result.api_throttled == 0
    evaluated, failed = contract_checks(pipeline, result)
    assert evaluated >= len(pipeline.sandbox.stats()["counts"])
    assert failed == []
    assert result.api_requests == pipeline.sandbox.metrics()["requests"]


def contract_checks(pipeline, result) -> tuple[int, list[str]]:
    """Clean seeded data must pass every data contract: a failure means a wrong rule."""
    evaluated, failed = 0, []
    for run_id in result.run_ids:
        records = pipeline.instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        for record in records:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            evaluated += 1
            if not evaluation.passed:
                failed.append(f"{evaluation.asset_key.to_user_string()}: {evaluation.metadata}")

    return evaluated, failed


def test_every_seeded_entity_is_non_empty(pipeline):
    """A table that is empty on both sides would pass the count comparison without proving much."""
    sync(pipeline)

    empty = [entity for entity, count in pipeline.sandbox.stats()["counts"].items() if count == 0]
    assert empty == []


def test_rerunning_the_full_sync_changes_no_counts(pipeline):
    sync(pipeline)
    first = compare_counts(pipeline.warehouse, pipeline.sandbox.stats()["counts"])

    result = sync(pipeline)

    second = compare_counts(pipeline.warehouse, pipeline.sandbox.stats()["counts"])
    assert [c.actual for c in second] == [c.actual for c in first]
    latest_runs = set(result.run_ids)
    stale = pipeline.warehouse.fetch(
        "SELECT count(*) FROM centra_raw.orders WHERE _run_id NOT IN "
        f"({', '.join(repr(run_id) for run_id in latest_runs)})"
    )[0][0]
    assert stale == 0


def test_materializations_report_rows_cost_window_and_preview(pipeline):
    sync(pipeline)

    records = pipeline.instance.fetch_materializations(
        dg.AssetKey(["centra", "orders"]), limit=1000
    ).records
    assert records, "no materialization of centra/orders was recorded"
    stored = {record.partition_key: record.asset_materialization.metadata for record in records}
    some_key, values = next(iter(stored.items()))
    for key in (
        "dagster/row_count",
        "api/requests",
        "api/complexity",
        "partition/window_start",
        "partition/window_end",
        "preview",
    ):
        assert key in values, f"{key} missing from {some_key}"

    assert sum(values["dagster/row_count"].value for values in stored.values()) == pipeline.count(
        "orders"
    )
