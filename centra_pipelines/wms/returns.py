"""Returns both ways: notices of expected returns to the WMS, received returns back to Centra.

Centra to WMS: `wms/return_notices_plan` takes the pending returns in the warehouse, maps their
lines with `config/mappings/wms/return_notices.yaml` and plans one notice per return;
`wms/return_notices_sent_to_wms` writes each as `return-notice-<id>-h<hash>.csv` in the outgoing
subfolder. The notice carries Centra's return id, which the WMS quotes when the parcel arrives.
A pending return we created for the WMS (below; pending when `completeReturn` failed) is the WMS's
own: its notice is recorded as what the WMS holds and never written.

WMS to Centra: `wms/returns_plan` claims the WMS's received-returns files (one row per SKU of a
parcel, its RMA, condition OK or DAMAGED), maps them with `config/mappings/wms/returns.yaml` and
plans one change per RMA, shipment and condition. A row quoting a Centra return id completes that
return; other rows are matched to shipment lines in the warehouse that still have units not yet
returned. `wms/returns_sent_to_centra` creates each return with `createReturn` (OK units released
back to the warehouse, DAMAGED units removed from stock), records Centra's return id in the outbox
at once, and completes it with `completeReturn`. A rerun after a failure completes the return it
created instead of creating a second one, and a return already completed is left alone.
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
from centra_pipelines.wms import outgoing

TARGET, ENTITY = "centra", "returns"
NOTICE_ENTITY = "return_notices"
_MAPPINGS = load_mappings()
RETURN_MAPPING = _MAPPINGS["wms", "returns", "to_centra"]
NOTICE_MAPPING = _MAPPINGS["wms", "return_notices", "to_system"]

CREATE_RETURN = """
mutation CreateReturnFromWms($input: ReturnCreateInput!) {
  createReturn(input: $input) {
    return { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

RETURN_STATUS = """
query WmsReturnStatus($id: Int!) {
  returns(where: {id: [$id]}) { id returnStatus }
}
"""

COMPLETE_RETURN = """
mutation CompleteReturnFromWms($id: Int!) {
  completeReturn(id: $id, input: {sendEmail: true}) {
    return { id returnStatus }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

# Shipment lines with the units shipped and not yet returned, per order and SKU.
_RETURNABLE = """
WITH returned AS (
    SELECT shipment_line_id, SUM(quantity) AS units FROM centra_raw.return_lines GROUP BY 1
)
SELECT sl.order_number, l.sku, sl.shipment_id, sl.shipment_line_id,
       sl.quantity - COALESCE(r.units, 0) AS returnable
FROM centra_raw.shipment_lines sl
JOIN centra_raw.order_lines l ON l.line_id = sl.order_line_id
JOIN centra_raw.shipments s ON s.shipment_id = sl.shipment_id AND s.is_shipped
LEFT JOIN returned r ON r.shipment_line_id = sl.shipment_line_id
ORDER BY sl.shipment_line_id
"""

_PENDING_RETURN_LINES = """
SELECT r.return_id, r.order_number, l.sku, rl.quantity
FROM centra_raw.returns r
JOIN centra_raw.return_lines rl ON rl.return_id = r.return_id
JOIN centra_raw.order_lines l ON l.line_id = rl.order_line_id
WHERE r.return_status = 'PENDING'
ORDER BY r.return_id, rl.return_line_id
"""


# --- WMS -> Centra: received returns ---------------------------------------------------------


@plan_asset(
    ["wms", "returns_plan"],
    deps=[
        dg.AssetKey(["centra", "shipment_lines"]),
        dg.AssetKey(["centra", "returns"]),
        dg.AssetKey(["centra", "return_lines"]),
    ],
    check="Every row of the claimed return files matches a known return or shipped units not "
    "yet returned; when not, nothing is sent to Centra.",
    description="Returns the WMS received, planned as returns in Centra (the dry run).",
)
def wms_returns_plan(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    known = _returnable(warehouse), _pending_returns(warehouse)
    plan = plan_waiting_files(
        wms_files,
        Outbox(warehouse),
        pattern="returns*",
        run_id=context.run.run_id,
        changes_of=lambda claimed: _file_returns(claimed, *known),
    )
    context.log.info(
        "%d return files: %d returns would be sent, %d rejected",
        len(plan.files),
        len(plan.with_status(PENDING)),
        len(plan.with_status(REJECTED)),
    )
    yield from plan.results(_return_table)


@send_asset(
    ["wms", "returns_sent_to_centra"],
    plan=wms_returns_plan,
    description="Planned returns created (or found) and completed in Centra.",
)
def wms_returns_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outbox = Outbox(warehouse)
    outcome, metadata = send_due(
        context,
        outbox,
        TARGET,
        ENTITY,
        lambda batch: _send_return(context, centra, outbox, batch[0]),
        batch_size=1,
        centra=centra,
    )
    raise_if_failed(outcome, "returns", then="a return it created is completed, not created again")
    return dg.MaterializeResult(metadata=metadata)


def _send_return(
    context: dg.AssetExecutionContext, centra: CentraClient, outbox: Outbox, planned: Planned
) -> Outcome:
    parcel = planned.change.payload
    try:
        return_id = parcel.get("return_id") or outbox.remote_id(planned.change)
        if return_id is None:
            return_id = _create(centra, parcel)
            outbox.remember_remote_id(planned.change, return_id)
        status = centra.execute(RETURN_STATUS, variables={"id": return_id})["returns"]
        if status and status[0]["returnStatus"] == "COMPLETED":
            context.log.info("return %s is already completed in Centra", return_id)
        else:
            centra.mutate(
                COMPLETE_RETURN, payload_field="completeReturn", variables={"id": return_id}
            )
    except CentraError as error:
        context.log.error("return %s not completed: %s", planned.change.record_key, error)
        return failed([planned], str(error), error=error)
    return Outcome(sent=[planned])


def _create(centra: CentraClient, parcel: dict[str, Any]) -> int:
    policy = (
        {"releaseItemsBackToWarehouse": True}
        if parcel["restock"]
        else {"removeItemsFromStock": True}
    )
    return_input = {
        "shipment": {"id": parcel["shipment_id"]},
        "lines": [
            {"shipmentLine": {"id": line["shipment_line_id"]}, "quantity": line["quantity"]}
            for line in parcel["lines"]
        ],
        "returnStockActionPolicy": policy,
        "comment": f"Received by the WMS, RMA {parcel['rma']}",
        "createdAt": parcel["received_at"],
    }
    payload = centra.mutate(
        CREATE_RETURN, payload_field="createReturn", variables={"input": return_input}
    )
    return payload["return"]["id"]


def _file_returns(
    claimed: ClaimedFile, returnable: dict, pending: dict[int, int]
) -> Iterator[Change]:
    """One change per RMA, shipment and condition; a bad row rejects its RMA's changes."""
    parcels: dict[str, dict[str, Any]] = {}
    reasons: dict[str, list[str]] = {}
    left = {key: [dict(line) for line in lines] for key, lines in returnable.items()}
    for row_number, record in enumerate(claimed.records, start=2):  # line 1 is the header
        mapped = apply(RETURN_MAPPING, record)
        values = mapped.values
        problems = [f"row {row_number}: {p.field}: {p.reason}" for p in mapped.problems]
        rma = str(values.get("rma"))
        if not problems:
            problems = _add_row(parcels, values, left, pending, row_number)
        reasons.setdefault(rma, []).extend(problems)

    for key, parcel in parcels.items():
        reason = "; ".join(reasons.get(parcel["rma"], [])) or None
        yield Change(TARGET, ENTITY, key, parcel, claimed.name, reason)
    for rma, problems in reasons.items():
        if problems and not any(p["rma"] == rma for p in parcels.values()):
            yield Change(
                TARGET, ENTITY, rma, {"rma": rma, "lines": []}, claimed.name, "; ".join(problems)
            )


def _add_row(
    parcels: dict, values: dict, left: dict, pending: dict[int, int], row: int
) -> list[str]:
    number, rma = values["order_number"], values["rma"]
    received_at = values["received_at"].isoformat()
    return_id = values.get("return_id")
    if return_id is not None:
        if pending.get(return_id) != number:
            return [f"row {row}: return {return_id} is not a pending return of order {number}"]
        parcels[f"{rma}|return-{return_id}"] = {
            "rma": rma,
            "return_id": return_id,
            "order_number": number,
            "lines": [],
        }
        return []

    wanted = values["quantity"]
    for line in left.get((number, values["sku"]), []):
        take = min(wanted, line["returnable"])
        if take <= 0:
            continue
        condition = "restock" if values["restock"] else "write-off"
        parcel = parcels.setdefault(
            f"{rma}|{line['shipment_id']}|{condition}",
            {
                "rma": rma,
                "order_number": number,
                "shipment_id": line["shipment_id"],
                "restock": values["restock"],
                "received_at": received_at,
                "lines": [],
            },
        )
        parcel["lines"].append({"shipment_line_id": line["shipment_line_id"], "quantity": take})
        line["returnable"] -= take
        wanted -= take
    if wanted:
        return [
            f"row {row}: order {number} has {values['quantity'] - wanted} shipped units of "
            f"{values['sku']!r} not yet returned; the file returns {values['quantity']}"
        ]
    return []


def _returnable(warehouse: DuckDBWarehouse) -> dict[tuple[int, str], list[dict]]:
    if not _has_tables(warehouse):
        return {}
    lines: dict[tuple[int, str], list[dict]] = {}
    for number, sku, shipment_id, line_id, returnable in warehouse.fetch(_RETURNABLE):
        lines.setdefault((number, sku), []).append(
            {"shipment_id": shipment_id, "shipment_line_id": line_id, "returnable": returnable}
        )
    return lines


def _pending_returns(warehouse: DuckDBWarehouse) -> dict[int, int]:
    """Pending return id -> its order number."""
    if not _has_tables(warehouse):
        return {}
    rows = warehouse.fetch(
        "SELECT return_id, order_number FROM centra_raw.returns WHERE return_status = 'PENDING'"
    )
    return dict(rows)


def _has_tables(warehouse: DuckDBWarehouse) -> bool:
    found = warehouse.fetch(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'centra_raw' "
        "AND table_name IN ('shipment_lines', 'return_lines', 'returns', 'shipments')"
    )
    return found[0][0] == 4


def _return_table(planned: list[Planned]) -> str:
    rows = ["| RMA | order | shipment / return | units | restock | reason |"]
    rows.append("|---|---|---|---|---|---|")
    for item in planned:
        parcel = item.change.payload
        target = parcel.get("shipment_id") or f"return {parcel.get('return_id')}"
        units = sum(line["quantity"] for line in parcel["lines"])
        rows.append(
            f"| {parcel['rma']} | {parcel.get('order_number')} | {target} | {units} "
            f"| {parcel.get('restock', '')} | {item.reason or ''} |"
        )
    return "\n".join(rows)


# --- Centra -> WMS: expected-return notices --------------------------------------------------


@plan_asset(
    ["wms", "return_notices_plan"],
    deps=[dg.AssetKey(["centra", "returns"]), dg.AssetKey(["centra", "return_lines"])],
    check="Every pending return has a SKU and quantity on each line; when not, no notice is "
    "written.",
    description="Returns created in Centra, planned as expected-return notices for the WMS.",
)
def wms_return_notices_plan(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    rows = warehouse.fetch(_PENDING_RETURN_LINES) if _has_tables(warehouse) else []
    notices: dict[int, list[tuple]] = {}
    for row in rows:
        notices.setdefault(row[0], []).append(row)
    changes = [_notice(return_id, lines) for return_id, lines in notices.items()]

    outbox = Outbox(warehouse)
    created = set(outbox.remote_ids(TARGET, ENTITY).values())
    plan, echoes = outgoing.plan_records(
        outbox,
        changes,
        context.run.run_id,
        echoes=[change for change in changes if int(change.record_key) in created],
        echo_reason="a return the WMS reported itself; it needs no notice",
    )
    context.log.info(
        "%d pending returns: %d notices would be written, %d unchanged (%d of them returns the "
        "WMS reported itself), %d rejected",
        len(notices),
        len(plan.with_status(PENDING)),
        plan.unchanged,
        len(echoes),
        len(plan.with_status(REJECTED)),
    )
    yield from plan.results(_notice_table, echoes=len(echoes))


@send_asset(
    ["wms", "return_notices_sent_to_wms"],
    plan=wms_return_notices_plan,
    description="Planned return notices written to the WMS folder, one file per return.",
)
def wms_return_notices_sent_to_wms(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return outgoing.write_due_files(
        context, wms_files, Outbox(warehouse), NOTICE_ENTITY, _notice_file
    )


def _notice(return_id: int, lines: list[tuple]) -> Change:
    mapped_lines, problems = [], []
    for _, number, sku, quantity in lines:
        source = {"return_id": return_id, "order_number": number, "sku": sku, "quantity": quantity}
        mapped = apply(NOTICE_MAPPING, source)
        mapped_lines.append(mapped.values)
        problems += [f"{p.field}: {p.reason}" for p in mapped.problems]
    reason = "; ".join(problems) or None
    return Change(
        outgoing.TARGET,
        NOTICE_ENTITY,
        str(return_id),
        {"lines": mapped_lines},
        "centra_raw.returns",
        reason,
    )


def _notice_file(planned: Planned, first: bool) -> tuple[str, list[dict[str, str]]]:
    rows = [outgoing.as_text(line) for line in planned.change.payload["lines"]]
    return outgoing.file_name("return-notice", planned.change), rows


def _notice_table(planned: list[Planned]) -> str:
    rows = ["| return | order | lines | units | reason |", "|---|---|---|---|---|"]
    for item in planned:
        lines = item.change.payload["lines"]
        order = lines[0].get("ORDER") if lines else ""
        units = sum(int(line.get("QTY") or 0) for line in lines)
        rows.append(
            f"| {item.change.record_key} | {order} | {len(lines)} | {units} | {item.reason or ''} |"
        )
    return "\n".join(rows)
