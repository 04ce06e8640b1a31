"""Ground truth counted with SQL, for tests and the demo to compare a sync against."""

from datetime import date
from decimal import Decimal

from centra_sandbox.store.database import Database
from centra_sandbox.store.generator import window_bounds

_SIMPLE_COUNTS = {
    "stores": "SELECT COUNT(*) FROM stores",
    "markets": "SELECT COUNT(*) FROM markets",
    "countries": "SELECT COUNT(*) FROM countries",
    "currencies": "SELECT COUNT(*) FROM currencies",
    "languages": "SELECT COUNT(*) FROM languages",
    "pricelists": "SELECT COUNT(*) FROM pricelists",
    "warehouses": "SELECT COUNT(*) FROM warehouses",
    "stock": "SELECT COUNT(*) FROM stock",
    "products": "SELECT COUNT(*) FROM products",
    "product_variants": "SELECT COUNT(*) FROM productVariants",
    "product_sizes": "SELECT COUNT(*) FROM productSizes",
    "size_charts": "SELECT COUNT(*) FROM sizeCharts",
    "categories": "SELECT COUNT(*) FROM categories",
    "brands": "SELECT COUNT(*) FROM brands",
    "collections": "SELECT COUNT(*) FROM collections",
    "displays": "SELECT COUNT(*) FROM displays",
    "product_media": "SELECT COUNT(*) FROM productMedia",
    "bundles": "SELECT COUNT(*) FROM products WHERE isBundle = 1",
    "mapped_attributes": "SELECT COUNT(*) FROM mappedAttributes",
    "catalog_attribute_values": (
        "SELECT COALESCE(SUM(json_array_length(t.elementsJSON)), 0) FROM objectAttributes a "
        "JOIN attributeTypes t ON t.name = a.typeName "
        "WHERE a.objectType IN ('Product', 'ProductVariant', 'Display')"
    ),
    "customer_attribute_values": (
        "SELECT COALESCE(SUM(json_array_length(t.elementsJSON)), 0) FROM objectAttributes a "
        "JOIN attributeTypes t ON t.name = a.typeName WHERE a.objectType = 'Customer'"
    ),
    "translations": (
        "SELECT COUNT(*) FROM translations "
        "WHERE objectType IN ('Product', 'ProductVariant', 'Display')"
    ),
    # Price rows a market's partition holds: displays in the market, pricelists of its countries.
    "prices": (
        "SELECT COUNT(*) FROM markets m JOIN stores s ON s.id = m.storeId "
        "JOIN displayMarkets dm ON dm.marketId = m.id JOIN prices p ON p.displayId = dm.displayId "
        "WHERE s.type = 'DIRECT_TO_CONSUMER' "
        "AND p.pricelistId IN (SELECT pricelistId FROM countries WHERE marketId = m.id)"
    ),
    "customers": "SELECT COUNT(*) FROM customers",
    "customer_addresses": "SELECT COUNT(*) FROM customers WHERE billingAddressId IS NOT NULL",
}

# `:market` narrows the window to one market (NULL for all): one partition's ground truth.
_DTC_ORDERS = (
    "SELECT number FROM orders WHERE orderDate >= :start AND orderDate < :end "
    "AND storeId IN (SELECT id FROM stores WHERE type = 'DIRECT_TO_CONSUMER') "
    "AND (:market IS NULL OR marketId = :market)"
)
_DTC_RETURNS = (
    "SELECT id FROM returns WHERE createdAt >= :start AND createdAt < :end "
    "AND storeId IN (SELECT id FROM stores WHERE type = 'DIRECT_TO_CONSUMER') "
    "AND (:market IS NULL OR orderNumber IN (SELECT number FROM orders WHERE marketId = :market))"
)
_WINDOW_COUNTS = {
    "orders": f"SELECT COUNT(*) FROM ({_DTC_ORDERS})",
    "order_lines": f"SELECT COUNT(*) FROM orderLines WHERE orderNumber IN ({_DTC_ORDERS})",
    "order_discounts": f"SELECT COUNT(*) FROM orderDiscounts WHERE orderNumber IN ({_DTC_ORDERS})",
    "payments": f"SELECT COUNT(*) FROM payments WHERE orderNumber IN ({_DTC_ORDERS})",
    "shipments": f"SELECT COUNT(*) FROM shipments WHERE orderNumber IN ({_DTC_ORDERS})",
    "shipment_lines": (
        "SELECT COUNT(*) FROM shipmentLines WHERE shipmentId IN "
        f"(SELECT id FROM shipments WHERE orderNumber IN ({_DTC_ORDERS}))"
    ),
    "order_attribute_values": (
        "SELECT COALESCE(SUM(json_array_length(t.elementsJSON)), 0) FROM objectAttributes a "
        "JOIN attributeTypes t ON t.name = a.typeName "
        f"WHERE a.objectType = 'Order' AND a.objectId IN ({_DTC_ORDERS})"
    ),
    "returns": f"SELECT COUNT(*) FROM ({_DTC_RETURNS})",
    "return_lines": f"SELECT COUNT(*) FROM returnLines WHERE returnId IN ({_DTC_RETURNS})",
}


def collect_stats(
    db: Database, window_start: date, window_days: int, market_id: int | None = None
) -> dict:
    """Counts and totals of the window; documents of one market only when `market_id` is set."""
    start, end = window_bounds(window_start, window_days)
    counts = {name: db.scalar(sql) for name, sql in _SIMPLE_COUNTS.items()}
    params = {"start": start, "end": end, "market": market_id}
    counts.update({name: db.scalar(sql, params) for name, sql in _WINDOW_COUNTS.items()})
    return {
        "window": {"start": window_start.isoformat(), "days": window_days},
        "markets": _markets(db),
        "counts": counts,
        "order_totals": _order_totals(db, params),
    }


def _markets(db: Database) -> list[dict]:
    sql = (
        "SELECT m.id, m.name, (SELECT c.code FROM countries k "
        "JOIN pricelists p ON p.id = k.pricelistId "
        "JOIN currencies c ON c.id = p.currencyId WHERE k.marketId = m.id ORDER BY k.id LIMIT 1) "
        "AS currency FROM markets m JOIN stores s ON s.id = m.storeId "
        "WHERE s.type = 'DIRECT_TO_CONSUMER' ORDER BY m.id"
    )
    return [dict(row) for row in db.all(sql)]


def _order_totals(db: Database, params: dict) -> list[dict]:
    sql = (
        "SELECT o.marketId AS market_id, c.code AS currency, COUNT(*) AS orders, "
        "SUM(o.grandTotalCents) AS cents FROM orders o JOIN currencies c ON c.id = o.currencyId "
        f"WHERE o.number IN ({_DTC_ORDERS}) GROUP BY o.marketId, c.code ORDER BY o.marketId"
    )
    return [
        {
            "market_id": row["market_id"],
            "currency": row["currency"],
            "orders": row["orders"],
            "grand_total": str(Decimal(row["cents"]) / 100),
        }
        for row in db.all(sql, params)
    ]
