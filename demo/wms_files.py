"""Playing the WMS: the stock and shipment files it drops, in the columns the mappings read.

The demo and the tests write these files the same way, so a change to a mapping's columns
(config/mappings/wms/*.yaml) is made here once.
"""

import csv
from datetime import UTC, datetime

from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.warehouse import DuckDBWarehouse

# The WMS's names for Centra's warehouses, as config/mappings/wms/stock.yaml maps them.
SITES = {1: "STO-1", 2: "GBG-2", 3: "RET-9"}
COUNTED_AT = "2026-12-04 10:00:00"
SHIPPED_AT = "2026-12-04 09:30:00"


def drop_stock_file(wms: FileExchange, name: str, levels: dict[tuple[int, str], int]) -> None:
    """A stock file with one row per (warehouse id, SKU) and its physical level."""
    rows = [
        {"SKU": sku, "EAN": "", "QTY": str(quantity), "WH": SITES[warehouse], "UPDATED": COUNTED_AT}
        for (warehouse, sku), quantity in levels.items()
    ]
    wms.write_records(name, rows, subfolder="incoming")


def drop_shipment_file(
    wms: FileExchange, number: int, lines: list[tuple[str, int]], tracking: str
) -> None:
    """A shipment file for one order: a row per shipped (SKU, quantity), one tracking number."""
    rows = [
        {
            "ORDER": str(number),
            "SKU": sku,
            "QTY": str(quantity),
            "CARRIER": "PostNord",
            "SERVICE": "MyPack",
            "TRACKING": tracking,
            "SHIPPED": SHIPPED_AT,
        }
        for sku, quantity in lines
    ]
    wms.write_records(f"shipments-{tracking}.csv", rows, subfolder="incoming")


def unshipped_order(warehouse: DuckDBWarehouse) -> tuple[int, list[tuple[str, int]]]:
    """A confirmed order, not on hold and without shipments, with its (SKU, quantity) lines."""
    number = warehouse.fetch(
        "SELECT min(o.order_number) FROM centra_raw.orders o WHERE o.status = 'CONFIRMED' "
        "AND NOT o.is_on_hold AND NOT EXISTS (SELECT 1 FROM centra_raw.shipments s "
        "WHERE s.order_number = o.order_number)"
    )[0][0]
    lines = warehouse.fetch(
        "SELECT sku, quantity FROM centra_raw.order_lines "
        f"WHERE order_number = {number} AND quantity > 0"
    )
    return number, lines


def drop_cancellation_file(
    wms: FileExchange, name: str, number: int, lines: list[tuple[str | None, int | None]]
) -> None:
    """A cancellation file for one order: a row per (SKU, quantity); SKU None cancels it all."""
    rows = [
        {
            "ORDER": str(number),
            "SKU": sku or "",
            "QTY": "" if quantity is None else str(quantity),
            "REASON": "Damaged in the warehouse",
            "STOCK": "REMOVE",
        }
        for sku, quantity in lines
    ]
    wms.write_records(name, rows, subfolder="incoming")


def drop_returns_file(
    wms: FileExchange,
    rma: str,
    number: int,
    lines: list[tuple[str, int]],
    *,
    return_id: int | None = None,
    condition: str = "OK",
    received_at: datetime | None = None,
) -> None:
    """A received-returns file of one parcel; `return_id` quotes a return Centra announced.

    Centra dates the return by `received_at` (default: now), so its partition is that day.
    """
    received = received_at or datetime.now(UTC)
    rows = [
        {
            "RMA": rma,
            "ORDER": str(number),
            "RETURN": "" if return_id is None else str(return_id),
            "SKU": sku,
            "QTY": str(quantity),
            "CONDITION": condition,
            "RECEIVED": f"{received:%Y-%m-%d %H:%M:%S}",
        }
        for sku, quantity in lines
    ]
    wms.write_records(f"returns-{rma}.csv", rows, subfolder="incoming")


def outgoing_files(wms: FileExchange, prefix: str) -> dict[str, list[dict]]:
    """Files we wrote for the WMS whose names start with `prefix`, by name, with their rows."""
    folder = wms.folder_path(wms.outgoing_folder)
    found = {}
    for path in sorted(wms.filesystem.glob(f"{folder}/{prefix}*")):
        with wms.filesystem.open(path, "r", encoding="utf-8", newline="") as handle:
            found[path.rsplit("/", 1)[-1]] = list(csv.DictReader(handle))
    return found


def shipped_order(warehouse: DuckDBWarehouse) -> tuple[int, list[tuple[str, int]]]:
    """A shipped order without returns, with its shipped (SKU, quantity) lines."""
    number = warehouse.fetch(
        "SELECT min(o.order_number) FROM centra_raw.orders o WHERE o.status = 'SHIPPED' "
        "AND NOT EXISTS (SELECT 1 FROM centra_raw.returns r WHERE r.order_number = o.order_number)"
    )[0][0]
    lines = warehouse.fetch(
        "SELECT l.sku, sum(sl.quantity)::INT FROM centra_raw.shipment_lines sl "
        "JOIN centra_raw.order_lines l ON l.line_id = sl.order_line_id "
        f"WHERE sl.order_number = {number} GROUP BY l.sku ORDER BY l.sku"
    )
    return number, lines
