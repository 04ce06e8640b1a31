"""Bad records from Centra are quarantined with a reason; every write is in the audit ledger."""

import json
from datetime import date

import dagster as dg

from centra_pipelines.centra.assets.orders import centra_orders
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.centra.assets.stock import centra_stock
from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.models.partitions import market_partitions
from centra_pipelines.warehouse import record_history
from centra_pipelines_tests.pipelines.conftest import WINDOW_DAYS, WINDOW_START

DAY = date(2026, 11, 2)


def materialize_markets(pipeline) -> str:
    markets = next(a for a in listed_entity_assets if a.key.path[-1] == "markets")
    dg.materialize([markets], instance=pipeline.instance, resources=pipeline.resources())
    return pipeline.instance.get_dynamic_partitions(market_partitions.name)[0]


def materialize_orders(pipeline, market_id: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [centra_orders],
        partition_key=f"{DAY.isoformat()}|{market_id}",
        instance=pipeline.instance,
        resources=pipeline.resources(),
    )


def test_the_ledger_answers_which_run_wrote_an_order_when_and_what_changed(pipeline):
    market_id = materialize_markets(pipeline)
    first = materialize_orders(pipeline, market_id)
    number = pipeline.warehouse.fetch("SELECT min(order_number) FROM centra_raw.orders")[0][0]

    pipeline.sandbox.control.update_order(number, otherComment="Leave at the back door")
    second = materialize_orders(pipeline, market_id)

    with pipeline.warehouse.connect() as connection:
        history = record_history(connection, "centra_raw.orders", str(number))
    assert [(entry["run_id"], entry["change"]) for entry in history] == [
        (first.run_id, "new"),
        (second.run_id, "changed"),
    ]
    assert set(json.loads(history[-1]["changed_fields"])) == {"other_comment", "updated_at"}
    assert history[-1]["asset"] == "centra/orders"


def contract_evaluations(pipeline, run_ids) -> dict[str, object]:
    found = {}
    for run_id in run_ids:
        records = pipeline.instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        for record in records:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            found[evaluation.asset_key.path[-1]] = evaluation
    return found


def rejects(pipeline, table: str) -> list[tuple]:
    return pipeline.warehouse.fetch(
        f"SELECT record_key, column_name, rule, expected, offending_value "
        f"FROM centra_raw.{table}_rejects ORDER BY record_key, column_name"
    )


def test_bad_records_are_quarantined_with_reasons_and_the_sync_still_finishes(pipeline):
    control = pipeline.sandbox.control
    currency = control.unknown_currency()[0]
    totals = control.totals_mismatch()[0]
    dated = control.malformed_date()[0]
    control.null_sku()
    control.negative_stock()
    control.wrong_type()
    control.duplicated_id()
    stats = pipeline.sandbox.stats()

    result = run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS)

    order_rejects = {(key, column, rule) for key, column, rule, *_ in rejects(pipeline, "orders")}
    assert (str(currency.id), "currency", "iso4217_currency") in order_rejects
    assert (str(totals.id), "grand_total", "totals_add_up") in order_rejects
    assert (str(dated.id), "updated_at", "utc_timestamp") in order_rejects
    rejected_orders = {key for key, *_ in order_rejects}
    assert pipeline.count("orders") == stats["counts"]["orders"] - len(rejected_orders)
    assert {rule for _, _, rule, *_ in rejects(pipeline, "product_sizes")} >= {
        "not_null",
        "gtin_check_digit",
        "duplicate_key",
    }
    assert {rule for _, _, rule, *_ in rejects(pipeline, "stock")} == {"integer_min_0"}
    assert {rule for _, _, rule, *_ in rejects(pipeline, "order_lines")} >= {
        "decimal_bounded",
        "duplicate_key",
    }
    reason = next(r for r in rejects(pipeline, "orders") if r[2] == "iso4217_currency")
    assert reason[3].startswith("one of") and reason[4] == "XXQ"

    for child in ("order_lines", "payments", "shipments", "order_discounts"):
        orphans = pipeline.warehouse.fetch(
            f"SELECT count(*) FROM centra_raw.{child} c "
            "ANTI JOIN centra_raw.orders o USING (order_number)"
        )[0][0]
        assert orphans == 0, f"{child} holds rows of quarantined orders"
    lines_of_rejected = pipeline.warehouse.fetch(
        "SELECT count(*) FROM centra_raw.order_lines_rejects WHERE rule = 'document_rejected'"
    )[0][0]
    assert lines_of_rejected > 0

    checks = contract_evaluations(pipeline, result.run_ids)
    assert checks["orders"].passed is False
    assert checks["orders"].severity == dg.AssetCheckSeverity.WARN
    assert checks["customers"].passed is True


def test_fixing_the_source_and_rematerializing_clears_the_rejects(pipeline):
    pipeline.sandbox.control.unknown_currency()
    run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS)
    assert rejects(pipeline, "orders")

    pipeline.sandbox.control.clear_bad_records()
    run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS)

    assert rejects(pipeline, "orders") == []
    assert pipeline.count("orders") == pipeline.sandbox.stats()["counts"]["orders"]


def test_a_reject_share_above_the_limit_fails_the_check(pipeline):
    pipeline.sandbox.control.negative_stock(count=3)
    resources = {**pipeline.resources(), "contracts": DataContracts(max_reject_share=0.0001)}
    warehouses = next(a for a in listed_entity_assets if a.key.path[-1] == "warehouses")

    result = dg.materialize(
        [warehouses, centra_stock],
        instance=pipeline.instance,
        resources=resources,
        raise_on_error=False,
    )

    evaluation = next(
        e for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == "stock"
    )
    assert evaluation.passed is False
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["rejected_records"].value == 3
