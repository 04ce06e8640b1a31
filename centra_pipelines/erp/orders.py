"""Orders from the warehouse to the ERP: one sales order per Centra order, with its lines.

`erp/orders_plan` reads every order the warehouse holds, in chunks by order number, with its
lines, its custom attributes and the payment method of its first payment entry. It maps the
header with `config/mappings/erp/orders.yaml` and each line with `erp/order_lines.yaml`, and
stores one change per order (header and lines together, so the ERP never books half an order).
An order that did not map is rejected, naming the field, and the blocking check stops the send.
`erp/orders_sent_to_erp` upserts the due orders into `erp.sales_orders` and
`erp.sales_order_lines`, keyed by Centra's order number and line id. The ERP numbers each new
sales order itself; `erp/order_document_ids_*` writes those numbers back to Centra.
"""

import json
from collections.abc import Iterator
from itertools import groupby
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.connectors.sql import SqlDatabase, UpsertResult
from centra_pipelines.erp.planning import (
    PREVIEW_ROWS,
    fetch_records,
    keyset_chunks,
    mapped_change,
    plan_changes,
    raise_if_failed,
    send_due,
)
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.outbox import Change, Outbox, Planned
from centra_pipelines.warehouse import DuckDBWarehouse

ENTITY = "orders"
ORDERS_TABLE, LINES_TABLE = "erp.sales_orders", "erp.sales_order_lines"
# Orders per upsert: one ERP transaction each, with their lines.
ORDERS_PER_BATCH = 200

_MAPPINGS = load_mappings()
ORDER_MAPPING = _MAPPINGS["erp", "orders", "to_system"]
LINE_MAPPING = _MAPPINGS["erp", "order_lines", "to_system"]

_ORDERS = tables.orders.spec.qualified_name
_LINES = tables.order_lines.spec.qualified_name
_PAYMENTS = tables.payments.spec.qualified_name
_ATTRIBUTES = tables.order_attribute_values.spec.qualified_name


@plan_asset(
    ["erp", "orders_plan"],
    deps=[
        dg.AssetKey(["centra", "orders"]),
        dg.AssetKey(["centra", "order_lines"]),
        dg.AssetKey(["centra", "payments"]),
        dg.AssetKey(["centra", "order_attribute_values"]),
    ],
    check="Every order of the warehouse and each of its lines mapped to the ERP's sales "
    "order; when not, nothing is sent to the ERP.",
    description="The warehouse's orders, planned as ERP sales orders (the dry run).",
)
def erp_orders_plan(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    if not warehouse.table_exists(tables.orders.spec):
        context.log.warning("the warehouse holds no orders yet; run centra_orders_sync first")
    changes = _order_changes(warehouse) if warehouse.table_exists(tables.orders.spec) else []
    plan = plan_changes(Outbox(warehouse), changes, context.run.run_id)

    context.log.info(
        "%d orders: %d would be sent, %d unchanged, %d rejected",
        plan.rows,
        plan.would_send,
        plan.unchanged,
        plan.rejected_count,
    )
    yield dg.MaterializeResult(metadata=plan.metadata(_table))
    yield plan.check()


@send_asset(
    ["erp", "orders_sent_to_erp"],
    plan=erp_orders_plan,
    description="Planned orders upserted into the ERP's sales orders and lines.",
)
def erp_orders_sent_to_erp(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    result = send_due(
        context,
        Outbox(warehouse),
        ENTITY,
        lambda batch: _upsert_orders(erp_database, batch),
        batch_size=ORDERS_PER_BATCH,
    )
    raise_if_failed(result, "orders")
    return dg.MaterializeResult(metadata=result.metadata(_table))


def _upsert_orders(erp: SqlDatabase, batch: list[Planned]) -> list[UpsertResult]:
    headers = [_header_row(item.change.payload["header"]) for item in batch]
    lines = [line for item in batch for line in item.change.payload["lines"]]
    # Headers first: a line refers to its order.
    results = [erp.upsert(ORDERS_TABLE, headers, ["external_id"])]
    if lines:
        results.append(erp.upsert(LINES_TABLE, lines, ["external_id"]))
    return results


def _header_row(header: dict[str, Any]) -> dict[str, Any]:
    attributes = header.get("centra_attributes")
    # The ERP keeps the attributes as JSON; the driver would send a list as an array.
    return header | {"centra_attributes": json.dumps(attributes, ensure_ascii=False)}


def _order_changes(warehouse: DuckDBWarehouse) -> Iterator[Change]:
    for orders in keyset_chunks(warehouse, _ORDERS, "order_number"):
        first, last = orders[0]["order_number"], orders[-1]["order_number"]
        lines = _by_order(_lines(warehouse, first, last))
        methods = _payment_methods(warehouse, first, last)
        attributes = _attributes(warehouse, first, last)
        for order in orders:
            number = order["order_number"]
            record = order | {
                "payment_method": methods.get(number),
                "attributes": attributes.get(number, []),
            }
            yield _order_change(record, lines.get(number, []))


def _order_change(order: dict[str, Any], lines: list[dict[str, Any]]) -> Change:
    number = order["order_number"]
    header = mapped_change(
        ENTITY, ORDER_MAPPING, apply(ORDER_MAPPING, order), str(number), f"order {number}"
    )
    problems = [header.reason] if header.reason else []
    mapped_lines = []
    for line in lines:
        record = line | {"currency_base_rate": order["currency_base_rate"]}
        mapped = mapped_change("order_lines", LINE_MAPPING, apply(LINE_MAPPING, record), "", "")
        if mapped.reason:
            problems.append(f"line {line['line_id']}: {mapped.reason}")
        mapped_lines.append(mapped.payload)

    payload = {"header": header.payload, "lines": mapped_lines}
    return Change(
        header.target_system,
        ENTITY,
        header.record_key,
        payload,
        header.source,
        "; ".join(problems) or None,
    )


def _lines(warehouse: DuckDBWarehouse, first: int, last: int) -> list[dict[str, Any]]:
    return fetch_records(
        warehouse,
        f"SELECT * FROM {_LINES} WHERE order_number BETWEEN ? AND ? ORDER BY order_number, line_id",
        [first, last],
    )


def _by_order(lines: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    return {
        number: list(group)
        for number, group in groupby(lines, key=lambda line: line["order_number"])
    }


def _payment_methods(warehouse: DuckDBWarehouse, first: int, last: int) -> dict[int, str]:
    """The method of each order's first payment entry: the warehouse keeps none on the order."""
    rows = fetch_records(
        warehouse,
        f"SELECT order_number, arg_min(payment_method, (created_at, payment_id)) AS method "
        f"FROM {_PAYMENTS} WHERE order_number BETWEEN ? AND ? GROUP BY order_number",
        [first, last],
    )
    return {row["order_number"]: row["method"] for row in rows}


def _attributes(warehouse: DuckDBWarehouse, first: int, last: int) -> dict[int, list[dict]]:
    """Each order's custom attributes in Centra's shape: a type with its elements."""
    rows = fetch_records(
        warehouse,
        f"SELECT o.order_number, a.attribute_type, a.is_mapped, a.element FROM {_ATTRIBUTES} a "
        f"JOIN {_ORDERS} o ON a.object_id = o.order_id "
        "WHERE o.order_number BETWEEN ? AND ? "
        "ORDER BY o.order_number, a.attribute_type, a.element_key",
        [first, last],
    )
    found: dict[int, dict[str, dict]] = {}
    for row in rows:
        types = found.setdefault(row["order_number"], {})
        entry = types.setdefault(
            row["attribute_type"],
            {"type": {"name": row["attribute_type"], "isMapped": row["is_mapped"]}, "elements": []},
        )
        entry["elements"].append(json.loads(row["element"]))
    return {number: list(types.values()) for number, types in found.items()}


def _table(planned: list[Planned]) -> str:
    rows = [
        "| order | status | date | total | EUR | lines | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in planned[: 2 * PREVIEW_ROWS]:
        header = item.change.payload.get("header", {})
        rows.append(
            f"| {item.change.record_key} | {header.get('status_code')} "
            f"| {header.get('order_date')} | {header.get('grand_total')} {header.get('currency')} "
            f"| {header.get('grand_total_base')} | {len(item.change.payload.get('lines', []))} "
            f"| {item.reason or ''} |"
        )
    return "\n".join(rows)
