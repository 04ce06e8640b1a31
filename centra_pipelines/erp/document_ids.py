"""ERP document numbers back to Centra, as ID conversions of the orders (digest §7).

The ERP numbers a sales order when it first books it (`SO-000123`). `erp/order_document_ids_plan`
reads those numbers from `erp.sales_orders` and plans one ID conversion per order: objectType
Order, internalId the order NUMBER (orders originate in Centra, so that is their internal id),
externalId the ERP's document number. Orders whose number Centra already got from us are only
counted. `erp/order_document_ids_sent_to_centra` sends them with `setIdConversions`, many entries
per mutation; Centra then resolves `{externalId: "SO-000123"}` to the order for this integration,
so a reply from the ERP can name its own document.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.erp.orders import ORDERS_TABLE, erp_orders_sent_to_erp
from centra_pipelines.erp.planning import PREVIEW_ROWS, plan_changes
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.outbox import (
    Change,
    Outbox,
    Outcome,
    Planned,
)
from centra_pipelines.outbound.sending import failed, raise_if_failed, send_all_or_none, send_due
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "order_erp_ids"
# Entries per setIdConversions call: a mutation token each call, whatever its size (§2.1).
ENTRIES_PER_MUTATION = 100
# The sales orders this integration books; other channels' numbers are not ours to announce.
SALES_CHANNEL = "CENTRA-DTC"
MAX_EXTERNAL_ID_LENGTH = 255

SET_ID_CONVERSIONS = """
mutation SetOrderErpIds($input: [IdConversionSetInput!]!) {
  setIdConversions(input: $input) {
    entries { id internalId externalId }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


@plan_asset(
    ["erp", "order_document_ids_plan"],
    deps=[erp_orders_sent_to_erp],
    check="Every ERP sales order names a Centra order number and a document number Centra "
    "can store; when not, nothing is sent to Centra.",
    description="ERP document numbers of the sales orders, planned as Centra ID conversions.",
)
def erp_order_document_ids_plan(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    plan = plan_changes(Outbox(warehouse), _document_changes(erp_database), context.run.run_id)

    context.log.info(
        "%d ERP sales orders: %d document numbers would be sent to Centra, %d unchanged, "
        "%d rejected",
        plan.rows,
        plan.would_send,
        plan.unchanged,
        plan.rejected_count,
    )
    yield dg.MaterializeResult(metadata=plan.metadata(_table))
    yield plan.check()


@send_asset(
    ["erp", "order_document_ids_sent_to_centra"],
    plan=erp_order_document_ids_plan,
    description="Planned ERP document numbers stored in Centra with setIdConversions.",
)
def erp_order_document_ids_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outcome, metadata = send_due(
        context,
        Outbox(warehouse),
        TARGET,
        ENTITY,
        lambda batch: _send_batch(context, centra, batch),
        batch_size=ENTRIES_PER_MUTATION,
        centra=centra,
        preview=_table,
    )
    raise_if_failed(outcome, "ERP document numbers")
    return dg.MaterializeResult(metadata=metadata)


def _document_changes(erp: SqlDatabase) -> Iterator[Change]:
    query = (
        f"SELECT external_id, document_number FROM {ORDERS_TABLE} "
        "WHERE sales_channel = :channel ORDER BY external_id"
    )
    for rows in erp.read(query, {"channel": SALES_CHANNEL}):
        for row in rows:
            yield _document_change(row["external_id"], row["document_number"])


def _document_change(external_id: str, document_number: str | None) -> Change:
    reason = None
    if not external_id.isdigit() or int(external_id) < 1:
        reason = f"sales order {external_id!r} names no Centra order number"
    elif not document_number or len(document_number) > MAX_EXTERNAL_ID_LENGTH:
        reason = f"document number {document_number!r} is not 1 to 255 characters"
    payload = {
        "order_number": int(external_id) if reason is None else external_id,
        "document_number": document_number,
    }
    return Change(TARGET, ENTITY, external_id, payload, f"erp sales order {external_id}", reason)


def _send_batch(
    context: dg.AssetExecutionContext, centra: CentraClient, batch: list[Planned]
) -> Outcome:
    """One setIdConversions call; setting an entry again is idempotent, so a resend is safe."""

    def set_entries(items: list[Planned]) -> None:
        entries = [_entry(item.change.payload) for item in items]
        centra.mutate(
            SET_ID_CONVERSIONS, payload_field="setIdConversions", variables={"input": entries}
        )

    def fail(items: list[Planned], reason: str) -> Outcome:
        context.log.error("Centra did not take %d ERP document numbers: %s", len(items), reason)
        return failed(items, reason)

    return send_all_or_none(batch, set_entries, "input", fail)


def _entry(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "objectType": "Order",
        "internalId": payload["order_number"],
        "externalId": payload["document_number"],
    }


def _table(planned: list[Planned]) -> str:
    rows = ["| order | ERP document | reason |", "|---|---|---|"]
    for item in planned[: 2 * PREVIEW_ROWS]:
        payload = item.change.payload
        rows.append(
            f"| {payload.get('order_number')} | {payload.get('document_number')} "
            f"| {item.reason or ''} |"
        )
    return "\n".join(rows)
