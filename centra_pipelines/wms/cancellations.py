"""Cancellations from the WMS to Centra: lines (or whole orders) the WMS cannot fulfil.

`wms/cancellations_plan` claims the WMS's cancellation files (one row per order line it cannot
fulfil, a row without SKU for the whole order), maps them with
`config/mappings/wms/cancellations.yaml` and resolves each SKU to the order's line in the
warehouse. A row naming an unknown order, a SKU the order lacks, or more units than are left to
ship rejects the file's cancellation of that order, and the blocking check stops the send.
`wms/cancellations_sent_to_centra` sends one `updateDirectToConsumerOrder` with every cancelled
line of an order (or `cancelDirectToConsumerOrder` for a whole order). Cancelling is not
idempotent, so before each mutation the order is read back from Centra: a cancellation Centra
already shows (a run that died after sending) is recorded as sent, not sent twice.

Cancellations of orders in Centra that the WMS must hear of go the other way, as order files
(wms/orders.py).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError
from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.files import plan_waiting_files
from centra_pipelines.outbound.outbox import (
    PENDING,
    REJECTED,
    Change,
    Outbox,
    Outcome,
    Planned,
)
from centra_pipelines.outbound.sending import failed, raise_if_failed, send_due
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "cancellations"
CANCELLATION_MAPPING = load_mappings()["wms", "cancellations", "to_centra"]

ORDER_STATE = """
query WmsCancellationState($number: Int!) {
  order(number: $number) {
    status
    lines(includeFullyCancelled: true) { id cancelledQuantity }
  }
}
"""

CANCEL_LINES = """
mutation CancelLinesFromWms($order: OrderInput!, $input: DirectToConsumerOrderUpdateInput!) {
  updateDirectToConsumerOrder(order: $order, input: $input) {
    order { status }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

CANCEL_ORDER = """
mutation CancelOrderFromWms($order: OrderInput!, $input: DirectToConsumerOrderCancelInput!) {
  cancelDirectToConsumerOrder(order: $order, input: $input) {
    order { status }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

_LINES = """
WITH shipped AS (
    SELECT order_line_id, SUM(quantity) AS units FROM centra_raw.shipment_lines GROUP BY 1
)
SELECT l.order_number, l.sku, l.line_id, l.cancelled_quantity,
       l.quantity - COALESCE(s.units, 0) AS open_units, o.status
FROM centra_raw.order_lines l
JOIN centra_raw.orders o ON o.order_number = l.order_number
LEFT JOIN shipped s ON s.order_line_id = l.line_id
"""

Lines = dict[int, dict[str, Any]]  # order number -> status and lines by SKU


@plan_asset(
    ["wms", "cancellations_plan"],
    deps=[dg.AssetKey(["centra", "orders"]), dg.AssetKey(["centra", "order_lines"])],
    check="Every row of the claimed cancellation files names a known order, one of its SKUs "
    "and no more units than are left to ship; when not, nothing is sent to Centra.",
    description="Order lines the WMS cannot fulfil, planned as cancellations in Centra.",
)
def wms_cancellations_plan(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    lines = _order_lines(warehouse)
    plan = plan_waiting_files(
        wms_files,
        Outbox(warehouse),
        pattern="cancellation*",
        run_id=context.run.run_id,
        changes_of=lambda claimed: _file_cancellations(claimed, lines),
    )
    context.log.info(
        "%d cancellation files, %d orders: %d would be sent, %d rejected",
        len(plan.files),
        plan.rows,
        len(plan.with_status(PENDING)),
        len(plan.with_status(REJECTED)),
    )
    yield from plan.results(_table)


@send_asset(
    ["wms", "cancellations_sent_to_centra"],
    plan=wms_cancellations_plan,
    description="Planned cancellations sent to Centra, one mutation per order.",
)
def wms_cancellations_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    # One order per batch, each recorded before the next: a cancellation is not idempotent.
    outcome, metadata = send_due(
        context,
        Outbox(warehouse),
        TARGET,
        ENTITY,
        lambda batch: _send(context, centra, batch[0]),
        batch_size=1,
        centra=centra,
    )
    raise_if_failed(
        outcome,
        "cancellations",
        then="an order Centra has shipped meanwhile cannot be cancelled and needs a look",
    )
    return dg.MaterializeResult(metadata=metadata)


def _send(context: dg.AssetExecutionContext, centra: CentraClient, planned: Planned) -> Outcome:
    cancellation = planned.change.payload
    number = cancellation["order_number"]
    try:
        state = centra.execute(ORDER_STATE, variables={"number": number})["order"]
        if _already_applied(cancellation, state):
            context.log.info("order %s: cancellation already in Centra; not sent again", number)
        elif cancellation["whole_order"]:
            _cancel_order(centra, cancellation)
        else:
            _cancel_lines(centra, cancellation)
    except CentraError as error:
        context.log.error("order %s: cancellation not taken: %s", number, error)
        return failed([planned], str(error), error=error)
    return Outcome(sent=[planned])


def _already_applied(cancellation: dict[str, Any], state: dict[str, Any] | None) -> bool:
    if state is None:
        return False
    if cancellation["whole_order"] or state["status"] == "CANCELLED":
        return state["status"] == "CANCELLED"
    cancelled_now = {line["id"]: line["cancelledQuantity"] for line in state["lines"]}
    # The plan noted each line's cancelled units; Centra showing at least that many more means
    # this cancellation (or a later one covering it) was applied.
    return all(
        cancelled_now.get(line["line_id"], 0) >= line["cancelled_before"] + line["quantity"]
        for line in cancellation["lines"]
    )


def _cancel_lines(centra: CentraClient, cancellation: dict[str, Any]) -> None:
    update = {
        "cancelLines": [
            {
                "line": {"id": line["line_id"]},
                "quantity": line["quantity"],
                "stockAction": line["stock_action"],
            }
            for line in cancellation["lines"]
        ],
        "cancellationComment": cancellation["reason"],
    }
    centra.mutate(
        CANCEL_LINES,
        payload_field="updateDirectToConsumerOrder",
        variables={"order": {"number": cancellation["order_number"]}, "input": update},
    )


def _cancel_order(centra: CentraClient, cancellation: dict[str, Any]) -> None:
    remove = cancellation["stock_action"] == "REMOVE_FROM_STOCK"
    cancel = {
        "comment": cancellation["reason"],
        "stockAction": {"removeItemsFromStock": remove},
        # The WMS cannot ship it: the shopper's money is released at once.
        "cancelAuthorization": True,
    }
    centra.mutate(
        CANCEL_ORDER,
        payload_field="cancelDirectToConsumerOrder",
        variables={"order": {"number": cancellation["order_number"]}, "input": cancel},
    )


def _file_cancellations(claimed: ClaimedFile, orders: Lines) -> Iterator[Change]:
    """One change per order of the file; a bad row rejects that order's cancellation."""
    cancellations: dict[Any, dict[str, Any]] = {}
    reasons: dict[Any, list[str]] = {}
    for row_number, record in enumerate(claimed.records, start=2):  # line 1 is the header
        mapped = apply(CANCELLATION_MAPPING, record)
        values = mapped.values
        number = values.get("order_number")
        cancellation = cancellations.setdefault(number, _cancellation_of(values))
        problems = [f"row {row_number}: {p.field}: {p.reason}" for p in mapped.problems]
        if not problems:
            problems = _add_row(cancellation, values, orders.get(number), row_number)
        reasons.setdefault(number, []).extend(problems)

    for number, cancellation in cancellations.items():
        reason = "; ".join(reasons[number]) or None
        key = f"{number}|{claimed.name}"
        yield Change(TARGET, ENTITY, key, cancellation, claimed.name, reason)


def _add_row(
    cancellation: dict[str, Any], values: dict[str, Any], order: dict | None, row: int
) -> list[str]:
    """Add one mapped row to its order's cancellation; returns what is wrong with it."""
    number, sku = values["order_number"], values.get("sku")
    if order is None:
        return [f"row {row}: order {number} is not in the warehouse (is it synced?)"]
    if order["status"] not in ("PENDING", "CONFIRMED", "PROCESSING"):
        return [f"row {row}: order {number} is {order['status']}; nothing left to cancel"]
    if sku is None:
        cancellation["whole_order"] = True
        return []
    line = order["lines"].get(sku)
    if line is None:
        return [f"row {row}: order {number} has no line with SKU {sku!r}"]
    quantity = values.get("quantity") or line["open_units"]
    asked = quantity + sum(x["quantity"] for x in cancellation["lines"] if x["sku"] == sku)
    if not 1 <= asked <= line["open_units"]:
        return [
            f"row {row}: {asked} units of {sku} asked; order {number} has "
            f"{line['open_units']} left to ship"
        ]
    cancellation["lines"].append(
        {
            "line_id": line["line_id"],
            "sku": sku,
            "quantity": quantity,
            "stock_action": values["stock_action"],
            "cancelled_before": line["cancelled_quantity"],
        }
    )
    return []


def _cancellation_of(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_number": values.get("order_number"),
        "whole_order": False,
        "reason": values.get("reason") or "Cannot be fulfilled by the warehouse",
        "stock_action": values.get("stock_action"),
        "lines": [],
    }


def _order_lines(warehouse: DuckDBWarehouse) -> Lines:
    if not warehouse.fetch(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = 'centra_raw' "
        "AND table_name = 'shipment_lines'"
    ):
        return {}
    orders: Lines = {}
    for number, sku, line_id, cancelled, open_units, status in warehouse.fetch(_LINES):
        order = orders.setdefault(number, {"status": status, "lines": {}})
        order["lines"][sku] = {
            "line_id": line_id,
            "cancelled_quantity": cancelled,
            "open_units": open_units,
        }
    return orders


def _table(planned: list[Planned]) -> str:
    rows = ["| order | whole order | lines | units | reason |", "|---|---|---|---|---|"]
    for item in planned:
        payload = item.change.payload
        units = sum(line["quantity"] for line in payload["lines"])
        rows.append(
            f"| {payload['order_number']} | {payload['whole_order']} | {len(payload['lines'])} "
            f"| {units} | {item.reason or ''} |"
        )
    return "\n".join(rows)
