"""WMS flows in tests: run them, read their metadata, read Centra's stock back."""

import re

import dagster as dg

from centra_pipelines.definitions import defs
from centra_pipelines.wms.stock import wms_stock_plan, wms_stock_sent_to_centra


def physical_stock(synced) -> dict[tuple[int, str], int]:
    """Centra's stock as the stock sync reads it back."""
    synced.warehouse.close()
    result = defs.resolve_job_def("centra_stock_sync").execute_in_process(instance=synced.instance)
    assert result.success
    rows = synced.warehouse.fetch("SELECT warehouse_id, sku, physical FROM centra_raw.stock")
    return {(warehouse_id, sku): physical for warehouse_id, sku, physical in rows}


def run(wms_fixture, *assets) -> dg.ExecuteInProcessResult:
    synced, _, resources = wms_fixture
    synced.warehouse.close()
    selected = list(assets) or [wms_stock_plan, wms_stock_sent_to_centra]
    return dg.materialize(
        selected, resources=resources, instance=synced.instance, raise_on_error=False
    )


def metadata(result, key: str) -> dict:
    materialization = result.asset_materializations_for_node(key)[0]
    return {name: value.value for name, value in materialization.metadata.items()}


def sent_lines(synced, result, step: str) -> list[str]:
    """The step's log lines that sum up what it sent."""
    return [
        entry.user_message
        for entry in synced.instance.all_logs(result.run_id)
        if entry.step_key == step and re.search(r": \d+ sent, \d+ unchanged", entry.user_message)
    ]


def resync_order(synced, number: int) -> None:
    """Read one order's partition from Centra again, as the order sync would after a change."""
    order = synced.order(number)
    synced.warehouse.close()
    key = f"{order['day']:%Y-%m-%d}|{order['market_id']}"
    result = defs.resolve_job_def("centra_orders_sync").execute_in_process(
        instance=synced.instance, partition_key=key
    )
    assert result.success


def run_assets(wms_fixture, *assets) -> dg.ExecuteInProcessResult:
    """Materialize WMS assets against the synced sandbox; failures are returned, not raised."""
    synced, _, resources = wms_fixture
    synced.warehouse.close()
    return dg.materialize(
        list(assets), resources=resources, instance=synced.instance, raise_on_error=False
    )
