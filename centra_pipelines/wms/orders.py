"""Orders from Centra to the WMS: a fulfilment order file per order, and a file when it changes.

`wms/orders_plan` takes the confirmed and processing orders that are not on hold and have units
left to ship, and reads their ship-to addresses and shipping options from Centra in one query per
100 orders: the synced warehouse holds no addresses, and reading them at planning time gives the
WMS the address as it is now, after any edit in Centra. It maps header and lines with
`config/mappings/wms/orders.yaml` and `order_lines.yaml` and stores one change per order in the
outbox. Orders the WMS already got that Centra has since cancelled are planned too, as
cancellations. An order whose content did not change is never planned again; one whose lines
were cancelled in Centra is, and goes out as an update. `wms/orders_sent_to_wms` writes each
planned order as one CSV file in the WMS folder's outgoing subfolder: `order-<n>-h<hash>.csv` the
first time, `order-update-...` after a change and `order-cancel-...` when nothing is left to ship.

A change that only shows what the WMS itself asked Centra for (its cancellation files, sent by
wms/cancellations.py) is an echo: it is recorded as what the WMS already holds and never written.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.outbox import PENDING, REJECTED, Change, LastSent, Outbox, Planned
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.wms import cancellations
from centra_pipelines.wms.outgoing import (
    TARGET,
    as_text,
    file_name,
    plan_records,
    sent_keys,
    write_due_files,
)

ENTITY = "orders"
FULFIL, CANCEL = "FULFIL", "CANCEL"
# Orders per address query: one request, well under Centra's 200-item page limit (digest §3.1).
ORDERS_PER_QUERY = 100

_MAPPINGS = load_mappings()
HEADER_MAPPING = _MAPPINGS["wms", "orders", "to_system"]
LINE_MAPPING = _MAPPINGS["wms", "order_lines", "to_system"]

ORDER_DETAILS = """
query WmsOrderDetails($numbers: [Int!], $limit: Int!) {
  orders(where: {number: $numbers}, limit: $limit) {
    number
    ... on DirectToConsumerOrder {
      shippingAddress {
        firstName lastName companyName address1 address2 zipCode city phoneNumber email
        country { code }
      }
      shippingPriceGroup { shippingOption { uri } }
    }
  }
}
"""

# Lines with their unshipped units, of orders the WMS should fulfil or may have to stop.
_LINES = """
WITH shipped AS (
    SELECT order_line_id, SUM(quantity) AS units FROM centra_raw.shipment_lines GROUP BY 1
)
SELECT o.order_number, o.status, l.line_id, l.sku, l.quantity, l.cancelled_quantity,
       l.quantity - COALESCE(s.units, 0) AS open_units
FROM centra_raw.orders o
JOIN centra_raw.order_lines l ON l.order_number = o.order_number
LEFT JOIN shipped s ON s.order_line_id = l.line_id
WHERE (o.status IN ('CONFIRMED', 'PROCESSING') AND NOT o.is_on_hold)
   OR (o.status = 'CANCELLED' AND list_contains(?, CAST(o.order_number AS VARCHAR)))
ORDER BY o.order_number, l.line_id
"""


@plan_asset(
    ["wms", "orders_plan"],
    deps=[
        dg.AssetKey(["centra", "orders"]),
        dg.AssetKey(["centra", "order_lines"]),
        dg.AssetKey(["centra", "shipment_lines"]),
    ],
    check="Every order to fulfil has a ship-to address, a shipping method and SKUs on its "
    "lines; when not, no order file is written.",
    description="Orders for the WMS to fulfil, and changes to orders it has (the dry run).",
)
def wms_orders_plan(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    orders = _orders(warehouse)
    open_numbers = [number for number, order in orders.items() if order["status"] != CANCEL]
    details = _details(centra, open_numbers)
    context.log.info(
        "%d orders to fulfil or stop (%d read from Centra for their addresses)",
        len(orders),
        len(details),
    )

    waiting = _without_address(orders, details)
    if waiting:
        # Not a mapping fault but an order Centra cannot ship yet: it waits, others go on.
        context.log.warning(
            "%d orders have no ship-to address in Centra and wait for one (first: %s); add the "
            "address in Centra and they are written by the next run",
            len(waiting),
            ", ".join(str(number) for number in waiting[:10]),
        )
    changes = [
        _change(number, order, details.get(number))
        for number, order in orders.items()
        if number not in waiting
    ]
    outbox = Outbox(warehouse)
    plan, echoes = plan_records(
        outbox,
        changes,
        context.run.run_id,
        echoes=_echoes(outbox, changes, orders),
        echo_reason="Centra shows the WMS's own cancellations; the WMS already has this",
    )
    context.log.info(
        "orders: %d would be written, %d unchanged (%d of them echoes of the WMS's own "
        "cancellations), %d rejected",
        len(plan.with_status(PENDING)),
        plan.unchanged,
        len(echoes),
        len(plan.with_status(REJECTED)),
    )
    yield from plan.results(_table, waiting_for_address=len(waiting), echoes=len(echoes))


@send_asset(
    ["wms", "orders_sent_to_wms"],
    plan=wms_orders_plan,
    description="Planned orders written to the WMS folder, one fulfilment file per order.",
)
def wms_orders_sent_to_wms(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return write_due_files(context, wms_files, Outbox(warehouse), ENTITY, _order_file)


def _orders(warehouse: DuckDBWarehouse) -> dict[int, dict[str, Any]]:
    """Order number -> status (FULFIL or CANCEL) and lines, for orders the WMS should hear of."""
    if not warehouse.fetch(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = 'centra_raw' "
        "AND table_name = 'shipment_lines'"
    ):
        return {}
    sent = sorted(sent_keys(warehouse, ENTITY))
    orders: dict[int, dict[str, Any]] = {}
    for number, status, line_id, sku, quantity, cancelled, open_units in warehouse.fetch(
        _LINES, [sent]
    ):
        order = orders.setdefault(
            number, {"status": CANCEL if status == "CANCELLED" else FULFIL, "lines": []}
        )
        order["lines"].append(
            {
                "line_id": line_id,
                "sku": sku,
                "quantity": quantity,
                "cancelled_quantity": cancelled,
                "open_units": open_units,
            }
        )
    # An order whose every unit has shipped needs nothing from the WMS (unless it was sent).
    return {
        number: order
        for number, order in orders.items()
        if order["status"] == CANCEL
        or str(number) in sent
        or any(line["open_units"] > 0 for line in order["lines"])
    }


def _without_address(orders: dict[int, dict], details: dict[int, dict]) -> list[int]:
    return [
        number
        for number, order in orders.items()
        if order["status"] == FULFIL
        and number in details
        and details[number].get("shippingAddress") is None
    ]


def _details(centra: CentraClient, numbers: list[int]) -> dict[int, dict[str, Any]]:
    details = {}
    for start in range(0, len(numbers), ORDERS_PER_QUERY):
        chunk = numbers[start : start + ORDERS_PER_QUERY]
        data = centra.execute(ORDER_DETAILS, variables={"numbers": chunk, "limit": len(chunk)})
        details.update({order["number"]: order for order in data["orders"]})
    return details


def _change(number: int, order: dict[str, Any], details: dict[str, Any] | None) -> Change:
    """One order's intended state at the WMS; a mapping problem rejects the order."""
    problems = []
    if order["status"] == CANCEL:
        header: dict[str, Any] = {"ORDER": str(number)}
    elif details is None:
        header, problems = {}, [f"order {number} was not found in Centra"]
    else:
        mapped = apply(HEADER_MAPPING, details)
        header = mapped.values
        problems += [f"{p.field}: {p.reason}" for p in mapped.problems]

    lines = []
    for line in order["lines"]:
        mapped = apply(LINE_MAPPING, _line_input(line, order["status"]))
        lines.append(mapped.values)
        problems += [f"line {line['line_id']}: {p.field}: {p.reason}" for p in mapped.problems]
    payload = {"action": order["status"], "header": header, "lines": lines}
    reason = "; ".join(problems) or None
    return Change(TARGET, ENTITY, str(number), payload, f"order {number}", reason)


def _line_input(line: dict[str, Any], status: str) -> dict[str, Any]:
    # Centra keeps line quantities on a whole-order cancel (digest §6): nothing is left to ship.
    if status == CANCEL:
        return {
            **line,
            "quantity": 0,
            "cancelled_quantity": line["quantity"] + line["cancelled_quantity"],
        }
    return line


def _echoes(outbox: Outbox, changes: list[Change], orders: dict[int, dict]) -> list[Change]:
    """Changes of orders the WMS has that show it nothing but its own cancellations since.

    Adding the WMS's cancellations back onto Centra's lines must give exactly the file the WMS
    last got; anything else changed in Centra (a line or the order cancelled by someone else, a
    new address) makes the change a real one, written with all of Centra's current state.
    """
    held = outbox.last_sent(TARGET, ENTITY, [change.record_key for change in changes])
    changed = [
        change
        for change in changes
        if not change.reason
        and change.record_key in held
        and held[change.record_key].content_hash != change.content_hash
    ]
    if not changed:
        return []
    since = min(held[change.record_key].sent_at for change in changed)
    asked = outbox.sent_after(cancellations.TARGET, cancellations.ENTITY, since)
    echoes = []
    for change in changed:
        last = held[change.record_key]
        own = [
            item.change.payload
            for item in asked
            if str(item.change.payload["order_number"]) == change.record_key
            and item.handled_at > last.sent_at
        ]
        order = orders[int(change.record_key)]
        before = _before_own_cancellations(own, order, change.payload, last) if own else None
        if before is not None and _content_hash(before) == last.content_hash:
            echoes.append(change)
    return echoes


def _before_own_cancellations(
    own: list[dict], order: dict[str, Any], payload: dict[str, Any], last: LastSent
) -> dict[str, Any] | None:
    """The order's content as it was before the WMS's own cancellations.

    None when they cannot explain Centra's state.
    """
    whole = any(cancellation["whole_order"] for cancellation in own)
    left = any(line["quantity"] for line in order["lines"])
    if order["status"] == CANCEL and left and not whole:
        return None  # Centra cancelled the order as a whole, which the WMS did not ask for
    # A whole-order cancel leaves the lines as they were (digest §6.7): only line cancels moved.
    undone = Counter()
    for cancellation in own:
        for line in [] if cancellation["whole_order"] else cancellation["lines"]:
            undone[line["line_id"]] += line["quantity"]
    lines = [
        apply(
            LINE_MAPPING,
            {
                **line,
                "quantity": line["quantity"] + undone[line["line_id"]],
                "cancelled_quantity": line["cancelled_quantity"] - undone[line["line_id"]],
            },
        ).values
        for line in order["lines"]
    ]
    header = payload["header"] if order["status"] == FULFIL else last.payload["header"]
    return {"action": FULFIL, "header": header, "lines": lines}


def _content_hash(payload: dict[str, Any]) -> str:
    return Change(TARGET, ENTITY, "", payload, "").content_hash


def _order_file(planned: Planned, first: bool) -> tuple[str, list[dict[str, str]]]:
    payload = planned.change.payload
    action = payload["action"]
    if action == FULFIL and first:
        prefix, kind = "order", "NEW"
    elif action == FULFIL:
        prefix, kind = "order-update", "UPDATE"
    else:
        prefix, kind = "order-cancel", CANCEL
    header = {"ACTION": kind, **payload["header"]}
    rows = [as_text({**header, **line}) for line in payload["lines"]]
    return file_name(prefix, planned.change), rows


def _table(planned: list[Planned]) -> str:
    rows = [
        "| order | action | lines | units | ship method | reason |",
        "|---|---|---|---|---|---|",
    ]
    for item in planned:
        payload = item.change.payload
        units = sum(int(line.get("QTY") or 0) for line in payload["lines"])
        rows.append(
            f"| {item.change.record_key} | {payload['action']} | {len(payload['lines'])} "
            f"| {units} | {payload['header'].get('SHIP_METHOD', '')} | {item.reason or ''} |"
        )
    return "\n".join(rows)
