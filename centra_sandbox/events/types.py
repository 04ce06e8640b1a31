"""Centra's event vocabulary (digest §8): the object types and the five change types.

The digest announces 57 object types but lists 56; Centra's schema reference lists the same 56
(its line numbers run to 57 because they count the `enum` line). We serve those 56.
"""

EVENT_OBJECT_TYPES = (
    "Account", "AdminUser", "Affiliate", "AllocationRule", "Brand", "BrickAndMortar", "Bundle",
    "Buyer", "Campaign", "Category", "Collection", "Country", "Currency", "Customer",
    "DeliveryWindow", "Display", "EmailHistoryEntry", "Folder", "GiftCertificateGenerator",
    "Invoice", "Language", "LowestPrice", "MappedAttribute", "Market", "MeasurementChart",
    "NewsletterSubscription", "Order", "OrderHistoryEntry", "PaymentHistoryEntry", "PaymentTerms",
    "Price", "PriceAlteration", "Pricelist", "Product", "ProductMedia", "ProductSize",
    "ProductVariant", "PurchaseOrder", "PurchaseOrderDelivery", "Return", "SalesRepresentative",
    "Shipment", "ShippingOption", "ShippingTerms", "SizeChart", "StockChange", "Store",
    "StorePlugin", "Subscription", "SubscriptionContract", "SubscriptionPlan", "Supplier",
    "TaxRule", "Voucher", "Warehouse", "Wishlist",
)  # fmt: skip

# Canonical order; listeners store and return their change types in this order.
EVENT_CHANGE_TYPES = ("CREATED", "UPDATED", "COMPLETED", "DELETED", "DEPENDENT_DATA_CHANGED")
