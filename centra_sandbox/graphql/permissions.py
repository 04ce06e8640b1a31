"""Which permission each field needs (digest §1.2), checked by the field middleware."""

from graphql import GraphQLError

# Concrete types are checked under the name of the interface the digest names permissions by.
TYPE_FAMILY = {
    "DirectToConsumerOrder": "Order",
    "WholesaleOrder": "Order",
    "DirectToConsumerShipment": "Shipment",
    "DirectToConsumerReturn": "Return",
}

FIELD_PERMISSIONS = {
    ("Query", "stores"): "Store:read",
    ("Query", "markets"): "Market:read",
    ("Query", "countries"): "Country:read",
    ("Query", "languages"): "Language:read",
    ("Query", "pricelists"): "Pricelist:read",
    ("Query", "warehouses"): "Warehouse:read",
    ("Query", "products"): "Product:read",
    ("Query", "productVariants"): "ProductVariant:read",
    ("Query", "sizeCharts"): "SizeChart:read",
    ("Query", "categories"): "Display:read",
    ("Query", "brands"): "Brand:read",
    ("Query", "collections"): "Collection:read",
    ("Query", "folders"): "Folder:read",
    ("Query", "displays"): "Display:read",
    ("Query", "displayConnection"): "Display:read",
    ("Query", "mappedAttributes"): "Attribute:read",
    ("Query", "customers"): "Customer:read",
    ("Query", "customerConnection"): "Customer:read",
    ("Query", "orders"): "Order:read",
    ("Query", "order"): "Order:read",
    ("Query", "orderConnection"): "Order:read",
    ("Query", "returns"): "Return:read",
    ("Counters", "products"): "Product:read",
    ("Counters", "orders"): "Order:read",
    ("Counters", "customers"): "Customer:read",
    ("Market", "comment"): "Market.comment:read",
    ("Warehouse", "stock"): "Warehouse.stock:read",
    ("Warehouse", "stockTotals"): "Warehouse.stockTotals:read",
    ("Warehouse", "stockChanges"): "StockChange:read",
    ("Product", "attributes"): "Product.attributes:read",
    ("Product", "internalComment"): "Product.internalComment:read",
    ("Product", "countryOfOrigin"): "Product.countryOfOrigin:read",
    ("Product", "variants"): "ProductVariant:read",
    ("Product", "translations"): "Translation:read",
    ("ProductVariant", "attributes"): "Product.attributes:read",
    ("ProductVariant", "productSizes"): "ProductSize:read",
    ("ProductVariant", "translations"): "Translation:read",
    ("Display", "prices"): "Price:read",
    ("Display", "translations"): "Translation:read",
    ("Price", "pricelist"): "Pricelist:read",
    ("Customer", "billingAddress"): "Customer.billingAddress:read",
    ("Customer", "attributes"): "Customer.attributes:read",
    ("Customer", "totalOrders"): "Customer.totalOrders:read",
    ("Order", "shipments"): "Shipment:read",
    ("Order", "paymentHistory"): "PaymentHistory:read",
    ("Order", "billingAddress"): "Order.billingAddress:read",
    ("Order", "shippingAddress"): "Order.shippingAddress:read",
    ("Order", "internalComment"): "Order.internalComment:read",
    ("Order", "userIP"): "Order.userIP:read",
    ("Order", "attributes"): "Order.attributes:read",
    ("Order", "returns"): "Return:read",
    ("Shipment", "shippingAddress"): "Shipment.shippingAddress:read",
    ("Return", "comment"): "Return.comment:read",
    ("Return", "refundPaymentHistory"): "PaymentHistory:read",
    ("Mutation", "setStock"): "StockChange:write",
    ("Mutation", "changeStock"): "StockChange:write",
    ("Mutation", "confirmOrder"): "Order:write",
    ("Mutation", "updateDirectToConsumerOrder"): "Order:write",
    ("Mutation", "cancelDirectToConsumerOrder"): "Order:write",
    ("Mutation", "createShipment"): "Shipment:write",
    ("Mutation", "updateShipment"): "Shipment:write",
    ("Mutation", "completeShipment"): "Shipment:write",
    ("Mutation", "createReturn"): "Return:write",
    ("Mutation", "completeReturn"): "Return:write",
    ("Mutation", "updateProduct"): "Product:write",
    ("Mutation", "updateDisplay"): "Display:write",
    ("Mutation", "assignAttributes"): "Attribute:write",
    ("Mutation", "unassignAttributes"): "Attribute:write",
    ("Mutation", "localize"): "Translation:write",
    ("Mutation", "createCustomer"): "Customer:write",
    ("Mutation", "updateCustomer"): "Customer:write",
    ("Mutation", "setPrices"): "Price:write",
    # The digest names no permission for the ID conversion table; this follows the pattern of
    # PaymentHistory:read guarding PaymentHistoryEntry (docs/sandbox.md).
    ("Query", "idConversions"): "IdConversion:read",
    ("Mutation", "setIdConversions"): "IdConversion:write",
    ("Mutation", "unsetIdConversions"): "IdConversion:write",
    # The event queue needs both (digest §8); Event.object checks its type's read permission.
    ("Query", "events"): "Event:read",
    ("Query", "eventListeners"): "Event:read",
    ("Mutation", "setEventListeners"): "Event:write",
    ("Mutation", "unsetEventListeners"): "Event:write",
    ("Mutation", "confirmEvents"): "Event:write",
}

# Sub-field write permissions that resolvers check themselves (updateProduct's attributes).
NESTED_WRITE_PERMISSIONS = {"Product.attributes:write"}
READ_PERMISSIONS = sorted(set(FIELD_PERMISSIONS.values()) | {"Event:read", "Translation:read"})
ALL_PERMISSIONS = tuple(
    sorted(
        set(READ_PERMISSIONS)
        | {p.replace(":read", ":write") for p in READ_PERMISSIONS if p.count(".") == 0}
        | NESTED_WRITE_PERMISSIONS
    )
)


def required_permission(type_name: str, field_name: str) -> str | None:
    family = TYPE_FAMILY.get(type_name, type_name)
    return FIELD_PERMISSIONS.get((family, field_name))


def permission_error(permission: str, field_name: str) -> GraphQLError:
    """The digest's authorization error: category `authorization`, no other extensions."""
    return GraphQLError(
        f"You need {permission} permission to access {field_name}.",
        extensions={"category": "authorization"},
    )
