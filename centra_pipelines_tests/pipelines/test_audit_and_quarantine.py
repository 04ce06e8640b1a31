"""Bad records from Centra are quarantined with a reason; every write is in the audit ledger."""

import json
from datetime import date

import dagster as dg

from centra_pipelines.centra.assets.orders import centra_orders
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.models.partitions import market_partitions
from centra_pipelines.warehouse import record_history

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

    with pipeline.warehouse.connect(read_only=True) as connection:
        history = record_history(connection, "orders", str(number))
    assert [(entry["run_id"], entry["change"]) for entry in history] == [
        (first.run_id, "new"),
        (second.run_id, "changed"),
    ]
    assert set(json.loads(history[-1]["changed_fields"])) == {"other_comment", "updated_at"}
    assert history[-1]["asset"] == "centra/orders"
