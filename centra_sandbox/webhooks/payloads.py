"""What the Webhook plugin sends for a change (digest §9.2), and how a call is signed (§9.3).

Integration API mode sends `{"events": [{"type", "action", "date", "id"}]}`; Checkout API mode
sends `{"<field>": ["<id>", ...]}`. Each change becomes zero or more entries; a call carries a
batch of entries.
"""

import hashlib
import hmac
import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from centra_sandbox.events.feed import Change
from centra_sandbox.store.database import Database

INTEGRATION_TYPES = {
    "Order": "order",
    "Shipment": "shipment",
    "Customer": "customer",
    "Return": "return",
    "Account": "account",
}
# COMPLETED always comes with an UPDATED of the same object, which already says "update".
INTEGRATION_ACTIONS = {"CREATED": "create", "UPDATED": "update"}
# The digest's example date: "2021-01-29 14:40:58.628033" (microseconds, no zone).
DATE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

CHECKOUT_FIELDS = {
    "Warehouse": "warehouses",
    "Market": "markets",
    "Pricelist": "pricelists",
    "Category": "categories",
    "Brand": "brands",
    "Campaign": "campaigns",
    "AllocationRule": "warehouseGroups",
    "Affiliate": "affiliates",
}
# Product-related changes fan out to the display items of the plugin's store (digest §9.2).
_DISPLAY_ITEMS = (
    "SELECT di.id FROM displayItems di JOIN displays d ON d.id = di.displayId "
    "WHERE d.storeId = ? AND {condition} ORDER BY di.id"
)
_ITEM_CONDITIONS = {
    "Product": "d.productId = ?",
    "Display": "di.displayId = ?",
    "ProductVariant": "di.productVariantId = ?",
    "ProductSize": "di.productVariantId = (SELECT productVariantId FROM productSizes WHERE id = ?)",
    # A price row belongs to one display and one variant: that display item changed.
    "Price": (
        "(di.displayId, di.productVariantId) = "
        "(SELECT displayId, productVariantId FROM prices WHERE id = ?)"
    ),
}

CheckoutEntry = tuple[str, str]


def integration_entries(change: Change, zone: ZoneInfo, store_id: int) -> list[dict]:
    """Integration API events of one change; a good-to-go shipment adds `good_to_go`."""
    kind = INTEGRATION_TYPES.get(change.object_type)
    action = INTEGRATION_ACTIONS.get(change.change_type)
    if kind is None or action is None or _other_store(change, store_id):
        return []
    date = change.created_at.astimezone(zone).strftime(DATE_FORMAT)
    entries = [{"type": kind, "action": action, "date": date, "id": change.reference}]
    if change.object_type == "Shipment" and change.good_to_go:
        entries.append({"type": kind, "action": "good_to_go", "date": date, "id": change.reference})
    return entries


def checkout_entries(db: Database, change: Change, store_id: int) -> list[CheckoutEntry]:
    """Checkout API (field, id) pairs of one change; orders and customers are not part of it.

    The plugin's store matters through its displays: products it does not sell are not named.
    """
    entries = [("warehouses", str(warehouse_id)) for warehouse_id in change.warehouse_ids]
    condition = _ITEM_CONDITIONS.get(change.object_type)
    if condition is not None:
        sql = _DISPLAY_ITEMS.format(condition=condition)
        rows = db.all(sql, (store_id, change.reference))
        entries = [("products", str(row["id"])) for row in rows] + entries
    field = CHECKOUT_FIELDS.get(change.object_type)
    if field is not None:
        entries.append((field, str(change.reference)))
    return entries


def integration_payload(entries: list[dict]) -> dict:
    return {"events": entries}


def checkout_payload(entries: list[CheckoutEntry]) -> dict:
    """Entries grouped by field, ids as strings, each id once, in first-seen order."""
    grouped: dict[str, dict[str, None]] = {}
    for field, object_id in entries:
        grouped.setdefault(field, {})[object_id] = None
    return {field: list(ids) for field, ids in grouped.items()}


def form_body(payload: dict) -> str:
    """`payload=<URL-encoded JSON>`, the form Centra posts (digest §9.1)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return urlencode({"payload": text})


def signature(secret: str, timestamp: int, body: str) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw form body>">` (digest §9.3)."""
    message = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _other_store(change: Change, store_id: int) -> bool:
    # A plugin belongs to one store; changes without a store (stock, sizes) concern them all.
    return change.store_id is not None and change.store_id != store_id
