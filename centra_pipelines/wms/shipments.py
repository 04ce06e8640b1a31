"""Shipments from the WMS to Centra: created on the order, then completed with the tracking number.

`wms/shipments_plan` claims the WMS's shipment files (one row per shipped order line), maps them
with `config/mappings/wms/shipments.yaml`, groups the rows of one order and tracking number into
one shipment, and resolves each SKU to the order's line in the warehouse. A row naming an unknown
order or a SKU the order does not have is rejected, and the blocking check stops the send.
`wms/shipments_sent_to_centra` creates each shipment (good to go, payment captured, as a WMS
shipping confirmation means the goods left) and completes it with carrier and tracking number.
Centra's shipment id is recorded as soon as the shipment exists, so a rerun after a failure
completes that shipment instead of creating a second one.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError
from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.files import plan_waiting_files
from centra_pipelines.outbound.outbox import (
    Change,
    Outbox,
    Outcome,
    Planned,
)
from centra_pipelines.outbound.sending import failed, raise_if_failed, send_due
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "shipments"
SHIPMENT_MAPPING = load_mappings()["wms", "shipments", "to_centra"]

CREATE_SHIPMENT = """
mutation CreateShipmentFromWms($input: ShipmentCreateInput!) {
  createShipment(input: $input) {
    shipment { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

COMPLETE_SHIPMENT = """
mutation CompleteShipmentFromWms($id: Int!, $input: ShipmentCompleteInput!) {
  completeShipment(id: $id, input: $input) {
    shipment { id isShipped }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


@plan_asset(
    ["wms", "shipments_plan"],
    deps=[dg.AssetKey(["centra", "orders"]), dg.AssetKey(["centra", "order_lines"])],
    check="Every row of the claimed shipment files names a known order and one of its lines; "
    "when not, nothing is sent to Centra.",
    description="Shipments reported by the WMS, planned for Centra (the dry run).",
)
def wms_shipments_plan(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    lines = _order_lines(warehouse)
    plan = plan_waiting_files(
        wms_files,
        Outbox(warehouse),
        pattern="shipments*",
        run_id=context.run.run_id,
        changes_of=lambda claimed: _file_shipments(claimed, lines),
    )
    yield from plan.results(_table)


def _table(planned: list[Planned]) -> str:
    lines = ["| order | tracking | lines | reason |", "|---|---|---|---|"]
    for item in planned:
        shipment = item.change.payload
        lines.append(
            f"| {shipment.get('order_number')} | {shipment.get('tracking_number')} "
            f"| {len(shipment.get('lines') or [])} | {item.reason or ''} |"
        )
    return "\n".join(lines)


@send_asset(
    ["wms", "shipments_sent_to_centra"],
    plan=wms_shipments_plan,
    description="Planned shipments created and completed in Centra with their tracking numbers.",
)
def wms_shipments_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outbox = Outbox(warehouse)
    outcome, metadata = send_due(
        context,
        outbox,
        TARGET,
        ENTITY,
        lambda batch: _send_shipment(context, centra, outbox, batch[0]),
        batch_size=1,
        centra=centra,
    )
    raise_if_failed(
        outcome, "shipments", then="a shipment it created is completed, not created again"
    )
    return dg.MaterializeResult(metadata=metadata)


def _send_shipment(
    context: dg.AssetExecutionContext, centra: CentraClient, outbox: Outbox, planned: Planned
) -> Outcome:
    shipment = planned.change.payload
    info = {
        "carrier": shipment["carrier"],
        "service": shipment.get("service") or None,
        "trackingNumber": shipment["tracking_number"],
    }
    try:
        shipment_id = outbox.remote_id(planned.change)
        if shipment_id is None:
            shipment_id = _create(centra, shipment, info)
            outbox.remember_remote_id(planned.change, shipment_id)
        completion = {"shippedAt": shipment["shipped_at"], "shipmentInfo": info}
        centra.mutate(
            COMPLETE_SHIPMENT,
            payload_field="completeShipment",
            variables={"id": shipment_id, "input": completion},
        )
    except CentraError as error:
        context.log.error("shipment %s not completed: %s", planned.change.record_key, error)
        return failed([planned], str(error), error=error)
    return Outcome(sent=[planned])


def _create(centra: CentraClient, shipment: dict[str, Any], info: dict[str, Any]) -> int:
    shipment_input = {
        "order": {"number": shipment["order_number"]},
        "lines": [
            {"orderLine": {"id": line["line_id"]}, "quantity": line["quantity"]}
            for line in shipment["lines"]
        ],
        "isGoodToGo": True,
        # The WMS reports goods that left the warehouse: the payment is captured now.
        "capture": True,
        "shipmentInfo": info,
    }
    payload = centra.mutate(
        CREATE_SHIPMENT, payload_field="createShipment", variables={"input": shipment_input}
    )
    return payload["shipment"]["id"]


def _file_shipments(claimed: ClaimedFile, lines: dict[tuple[int, str], int]) -> Iterator[Change]:
    """One change per order and tracking number; a bad row rejects its whole shipment."""
    shipments: dict[str, dict[str, Any]] = {}
    reasons: dict[str, list[str]] = {}
    for row_number, record in enumerate(claimed.records, start=2):  # line 1 is the header
        mapped = apply(SHIPMENT_MAPPING, record)
        values = mapped.values
        key = f"{values.get('order_number')}|{values.get('tracking_number')}"
        problems = [f"row {row_number}: {p.field}: {p.reason}" for p in mapped.problems]
        line_id = lines.get((values.get("order_number"), values.get("sku")))
        if not problems and line_id is None:
            problems.append(
                f"row {row_number}: order {values['order_number']} has no line with SKU "
                f"{values['sku']!r} in the warehouse (is the order synced?)"
            )
        reasons.setdefault(key, []).extend(problems)
        shipment = shipments.setdefault(key, _shipment_of(values))
        if line_id is not None:
            shipment["lines"].append({"line_id": line_id, "quantity": values.get("quantity")})

    for key, shipment in shipments.items():
        reason = "; ".join(reasons[key]) or None
        yield Change(TARGET, ENTITY, key, shipment, claimed.name, reason)


def _shipment_of(values: dict[str, Any]) -> dict[str, Any]:
    shipped_at = values.get("shipped_at")
    return {
        "order_number": values.get("order_number"),
        "carrier": values.get("carrier"),
        "service": values.get("service"),
        "tracking_number": values.get("tracking_number"),
        "shipped_at": shipped_at.isoformat() if shipped_at else None,
        "lines": [],
    }


def _order_lines(warehouse: DuckDBWarehouse) -> dict[tuple[int, str], int]:
    if not warehouse.table_exists(tables.order_lines.spec):
        return {}
    rows = warehouse.fetch(
        f"SELECT order_number, sku, line_id FROM {tables.order_lines.spec.qualified_name}"
    )
    return {(order_number, sku): line_id for order_number, sku, line_id in rows}
