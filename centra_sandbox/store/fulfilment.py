"""Store logic of shipments and returns, shared by `sandbox.control` and the GraphQL mutations.

Both change the store the same way (digest §4.7, §4.8, §6): shipment numbers
`<orderNumber>-<n>`, shipping, handling and the voucher on the first shipment, captures of the
shipment's value, an order that becomes SHIPPED once every unit is in a shipped and paid
shipment. Callers validate first, then call these inside their transaction, then record the
changes and commit; nothing here commits.
"""

from dataclasses import dataclass

from centra_sandbox.store.database import Database
from centra_sandbox.store.order_generator import (
    TABLE_COLUMNS,
    capture_entry,
    carrier_of_market,
    payment_row,
    shipment_row,
)

SHIPPABLE_STATUSES = ("CONFIRMED", "PROCESSING")
_OPEN_LINES = (
    "SELECT l.id, l.quantity - COALESCE((SELECT SUM(sl.quantity) FROM shipmentLines sl "
    "WHERE sl.orderLineId = l.id), 0) AS open FROM orderLines l "
    "WHERE l.orderNumber = ? ORDER BY l.id"
)
_SHIPMENT_ITEMS = (
    "SELECT COALESCE(SUM(sl.quantity * l.unitPriceCents), 0) FROM shipmentLines sl "
    "JOIN orderLines l ON l.id = sl.orderLineId WHERE sl.shipmentId = ?"
)
# Shipment columns the mutations' `shipmentInfo` input writes (digest §5.4).
SHIPMENT_INFO_COLUMNS = {
    "carrier": "carrierName",
    "service": "serviceName",
    "packagesNumber": "numberOfPackages",
    "trackingNumber": "trackingNumber",
    "returnTrackingNumber": "returnTrackingNumber",
    "internalShippingCostCents": "internalShippingCostCents",
}


def open_units(db: Database, number: int) -> dict[int, int]:
    """Unshipped quantity per order line id (cancelled units are not in `quantity`)."""
    return {row["id"]: row["open"] for row in db.all(_OPEN_LINES, (number,))}


def shipping_refusal(order: dict) -> str | None:
    """Why Centra would not ship this order now, or None (digest §5.4, §6)."""
    if order["status"] in SHIPPABLE_STATUSES and not order["isOnHold"] and not order["isLocked"]:
        return None
    return (
        f"Order {order['number']} is {order['status']} (on hold: {bool(order['isOnHold'])}, "
        f"locked: {bool(order['isLocked'])}); Centra ships only CONFIRMED or PROCESSING orders "
        "that are neither on hold nor locked."
    )


@dataclass(frozen=True)
class NewShipment:
    """What a new shipment holds besides its lines; `info` uses SHIPMENT_INFO_COLUMNS names."""

    good_to_go: bool
    created_at: int
    paid_at: int | None = None
    additional_message: str | None = None
    info: tuple[tuple[str, object], ...] = ()


def insert_shipment(db: Database, order: dict, lines: dict[int, int], new: NewShipment) -> int:
    """Insert a shipment of `lines` (order line id -> quantity); the order turns PROCESSING."""
    number = order["number"]
    index = db.scalar("SELECT COUNT(*) FROM shipments WHERE orderNumber = ?", (number,))
    shipment_id = (db.scalar("SELECT MAX(id) FROM shipments") or 0) + 1
    # Shipping, handling and the voucher ride on the first shipment only, as generated.
    fees = (
        (order["shippingCents"], order["handlingCents"], order["discountCents"])
        if index == 0
        else (0, 0, 0)
    )
    row = shipment_row(
        shipment_id,
        number,
        index + 1,
        new.created_at,
        None,
        False,
        carrier_of_market(order["marketId"]),
        fees,
    )
    values = dict(zip(TABLE_COLUMNS["shipments"], row, strict=True))
    values.update(isGoodToGo=int(new.good_to_go), isPrinted=int(new.good_to_go))
    values.update(isPaid=int(new.paid_at is not None), paidAt=new.paid_at)
    values.update(additionalMessage=new.additional_message)
    values.update({SHIPMENT_INFO_COLUMNS[key]: value for key, value in new.info})
    db.insert_many("shipments", tuple(values), [tuple(values.values())])
    db.insert_many(
        "shipmentLines",
        ("shipmentId", "orderLineId", "quantity"),
        [(shipment_id, line_id, quantity) for line_id, quantity in lines.items()],
    )
    db.execute("UPDATE orders SET status = 'PROCESSING' WHERE number = ?", (number,))
    return shipment_id


def mark_shipped(db: Database, shipment_id: int, shipped_at: int) -> None:
    """Shipped at `shipped_at`; shipping a shipment that was not packed packs it on the way."""
    db.execute(
        "UPDATE shipments SET isShipped = 1, isGoodToGo = 1, isPrinted = 1, shippedAt = ? "
        "WHERE id = ?",
        (shipped_at, shipment_id),
    )


def set_shipment_info(db: Database, shipment_id: int, info: dict[str, object]) -> None:
    for key, value in info.items():
        column = SHIPMENT_INFO_COLUMNS[key]
        db.execute(f"UPDATE shipments SET {column} = ? WHERE id = ?", (value, shipment_id))


def shipment_value(db: Database, shipment: dict) -> int:
    """Items plus the fees the shipment carries, in minor units."""
    items = db.scalar(_SHIPMENT_ITEMS, (shipment["id"],))
    return items + shipment["shippingCents"] + shipment["handlingCents"] - shipment["discountCents"]


def capture(db: Database, shipment: dict, order: dict, now: int) -> int:
    """Capture the shipment's value: CAPTURE, or a pending CAPTURE_REQUEST for async PSPs.

    The shipment becomes paid and captured; returns the new payment entry's id.
    """
    status, entry_type = capture_entry(order["paymentPlugin"])
    entry = (status, entry_type, f"psp-{order['id'][:12]}", order["paymentPlugin"])
    row = payment_row(None, order["number"], None, now, entry, shipment_value(db, shipment))
    payment_id = db.execute(
        f"INSERT INTO payments ({', '.join(TABLE_COLUMNS['payments'])}) "
        f"VALUES ({', '.join('?' for _ in row)})",
        row,
    )
    db.execute(
        "UPDATE shipments SET isPaid = 1, isCaptured = 1, paidAt = COALESCE(paidAt, ?), "
        "capturedAt = ? WHERE id = ?",
        (now, now, shipment["id"]),
    )
    return payment_id


def complete_order_if_shipped(db: Database, number: int) -> bool:
    """SHIPPED once no unit is unshipped and every shipment is shipped and paid (digest §6.5).

    Returns True when this call moved the order to SHIPPED.
    """
    status = db.scalar("SELECT status FROM orders WHERE number = ?", (number,))
    unfinished = db.scalar(
        "SELECT COUNT(*) FROM shipments WHERE orderNumber = ? AND (isShipped = 0 OR isPaid = 0)",
        (number,),
    )
    if status == "SHIPPED" or unfinished or any(open_units(db, number).values()):
        return False
    db.execute("UPDATE orders SET status = 'SHIPPED' WHERE number = ?", (number,))
    return True


def returnable_units(db: Database, shipment_id: int) -> dict[int, dict]:
    """Shipment lines of a shipment with `left`, the quantity not returned yet."""
    rows = db.all(
        "SELECT sl.id, sl.orderLineId, sl.quantity - COALESCE((SELECT SUM(rl.quantity) "
        "FROM returnLines rl WHERE rl.shipmentLineId = sl.id), 0) AS left "
        "FROM shipmentLines sl WHERE sl.shipmentId = ? ORDER BY sl.id",
        (shipment_id,),
    )
    return {row["id"]: row for row in rows}


@dataclass(frozen=True)
class NewReturn:
    """A return of shipment lines; `restock_warehouse_id` None keeps the units out of stock."""

    shipment: dict
    lines: dict[int, int]
    created_at: int
    comment: str | None
    restock_warehouse_id: int | None


def insert_return(db: Database, order: dict, new: NewReturn) -> tuple[int, list[int]]:
    """Insert a PENDING return; returns its id and the product sizes whose stock grew.

    Each order line's returnedQuantity grows by what is returned; restocked units go back to
    free-to-allocate stock of `restock_warehouse_id`.
    """
    return_id = db.execute(
        "INSERT INTO returns (orderNumber, shipmentId, returnStatus, createdAt, "
        "returnedToStock, comment, storeId) VALUES (?, ?, 'PENDING', ?, ?, ?, ?)",
        (
            order["number"],
            new.shipment["id"],
            new.created_at,
            int(new.restock_warehouse_id is not None),
            new.comment,
            order["storeId"],
        ),
    )
    restocked = []
    for shipment_line_id, quantity in new.lines.items():
        line = db.one(
            "SELECT l.id, l.productSizeId FROM shipmentLines sl "
            "JOIN orderLines l ON l.id = sl.orderLineId WHERE sl.id = ?",
            (shipment_line_id,),
        )
        db.execute(
            "INSERT INTO returnLines (returnId, shipmentLineId, orderLineId, quantity) "
            "VALUES (?, ?, ?, ?)",
            (return_id, shipment_line_id, line["id"], quantity),
        )
        db.execute(
            "UPDATE orderLines SET returnedQuantity = returnedQuantity + ? WHERE id = ?",
            (quantity, line["id"]),
        )
        if new.restock_warehouse_id is not None and line["productSizeId"] is not None:
            _restock(db, new.restock_warehouse_id, line["productSizeId"], quantity, new.created_at)
            restocked.append(line["productSizeId"])
    return return_id, restocked


def _restock(db: Database, warehouse_id: int, size_id: int, quantity: int, now: int) -> None:
    changed = db.connection.execute(
        "UPDATE stock SET freeToAllocateQuantity = freeToAllocateQuantity + ?, updatedAt = ? "
        "WHERE warehouseId = ? AND productSizeId = ?",
        (quantity, now, warehouse_id, size_id),
    ).rowcount
    if not changed:
        db.execute(
            "INSERT INTO stock (warehouseId, productSizeId, freeToAllocateQuantity, "
            "allocatedQuantity, linkedIncomingQuantity, unlinkedIncomingQuantity, "
            "demandQuantity, unshippedQuantity, onDeliveryQuantity, updatedAt) "
            "VALUES (?, ?, ?, 0, 0, 0, 0, 0, 0, ?)",
            (warehouse_id, size_id, quantity, now),
        )
    db.execute("UPDATE productSizes SET updatedAt = ? WHERE id = ?", (now, size_id))


def default_return_warehouse(db: Database, order: dict) -> int | None:
    """The first warehouse of the order market's allocation rule, where returns are restocked."""
    return db.scalar(
        "SELECT w.id FROM warehouses w JOIN markets m ON m.allocationRuleId = w.allocationRuleId "
        "WHERE m.id = ? ORDER BY w.id LIMIT 1",
        (order["marketId"],),
    ) or db.scalar("SELECT MIN(id) FROM warehouses")
