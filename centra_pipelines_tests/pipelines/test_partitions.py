"""One market x day partition can be materialized on its own, touching nothing else."""

from datetime import date

import dagster as dg

from centra_pipelines.centra.assets.orders import centra_orders, centra_returns
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.models.partitions import market_partitions


def markets_asset():
    return next(a for a in listed_entity_assets if a.key == dg.AssetKey(["centra", "markets"]))


def test_single_partition_materializes_only_that_market_and_day(pipeline):
    dg.materialize([markets_asset()], instance=pipeline.instance, resources=pipeline.resources())
    market_ids = pipeline.instance.get_dynamic_partitions(market_partitions.name)
    market_id = market_ids[0]
    partition_key = f"2026-11-02|{market_id}"

    result = dg.materialize(
        [centra_orders],
        partition_key=partition_key,
        instance=pipeline.instance,
        resources=pipeline.resources(),
    )

    assert result.success
    stored = pipeline.warehouse.fetch(
        "SELECT DISTINCT market_id, partition_date FROM centra_raw.orders"
    )
    assert [(str(m), d.isoformat()) for m, d in stored] == [(market_id, "2026-11-02")]
    expected = pipeline.sandbox.stats(market_id=int(market_id), day=date(2026, 11, 2))["counts"]
    assert pipeline.count("orders") == expected["orders"]
    assert pipeline.count("order_lines") == expected["order_lines"]


def test_partition_of_a_day_without_orders_is_empty_not_an_error(pipeline):
    dg.materialize([markets_asset()], instance=pipeline.instance, resources=pipeline.resources())
    market_id = pipeline.instance.get_dynamic_partitions(market_partitions.name)[0]

    # The sandbox's seeded window is seven days from 2026-11-01; the 20th has no orders.
    result = dg.materialize(
        [centra_orders, centra_returns],
        partition_key=f"2026-11-20|{market_id}",
        instance=pipeline.instance,
        resources=pipeline.resources(),
    )

    assert result.success
    assert pipeline.count("orders") == 0
