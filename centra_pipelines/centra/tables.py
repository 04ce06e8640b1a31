"""Every raw Centra table in the warehouse, declared once.

Column names are snake_case versions of Centra's field names; ids keep Centra's values so that rows
join back to the Integration API. Partitioned tables carry `market_id` and `partition_date`, the
two dimensions of their Dagster partition.
"""

from centra_pipelines.centra.fields import MONEY, RATE, RawField, field, raw_table

ID = "BIGINT"
TEXT = "VARCHAR"
BOOL = "BOOLEAN"
INT = "INTEGER"
TS = "TIMESTAMPTZ"
JSON = "JSON"

PARTITION_FIELDS = [
    field("market_id", ID, None, "Centra market the row belongs to (partition dimension)."),
    field("partition_date", "DATE", None, "UTC day of the partition the row was synced in."),
]
PARTITION_COLUMNS = ("market_id", "partition_date")


def _attribute_fields() -> list[RawField]:
    return [
        field("object_type", TEXT, None, "Centra object type the attribute is set on."),
        field("object_id", TEXT, None, "Id of that object (order ids are 32-hex strings)."),
        field("attribute_type", TEXT, "type.name", "Attribute type key from Centra's config."),
        field("is_mapped", BOOL, "type.isMapped", "True for mapped (reusable) attributes."),
        field("element_key", TEXT, "element.key", "Element key within the attribute type."),
        field("kind", TEXT, "element.kind", "Element kind: INPUT, TEXTAREA, SELECT, IMAGE, ..."),
        field("value", TEXT, "element.value", "Free-text value, for string elements."),
        field("selected_value", TEXT, "element.selectedValue", "Chosen value, for choices."),
        field("selected_value_name", TEXT, "element.selectedValueName", "Label of that choice."),
        field("url", TEXT, "element.url", "File or image URL, for file and image elements."),
        field("element", JSON, "element", "The element exactly as Centra returned it."),
    ]


ATTRIBUTE_KEY = ("object_type", "object_id", "attribute_type", "element_key")

stores = raw_table(
    "stores",
    "Centra stores (Retail DTC, Wholesale, ...).",
    [
        field("id", ID, "id", "Store id."),
        field("name", TEXT, "name", "Store name."),
        field("type", TEXT, "type", "DIRECT_TO_CONSUMER or WHOLESALE."),
    ],
    key=("id",),
)

markets = raw_table(
    "markets",
    "Markets per store; each market is a partition dimension value for orders.",
    [
        field("id", ID, "id", "Market id; also its Dagster partition key."),
        field("name", TEXT, "name", "Market name, unique within its store."),
        field("store_id", ID, "store.id", "Store the market belongs to."),
        field("country_codes", JSON, None, "ISO codes of the countries assigned to the market."),
        field("allocation_rule_id", ID, "allocationRule.id", "Allocation rule serving it."),
        field("allocation_rule_name", TEXT, "allocationRule.name", "Name of that rule."),
    ],
    key=("id",),
    preview_columns=("id", "name", "store_id"),
)

countries = raw_table(
    "countries",
    "Countries known to Centra.",
    [
        field("id", ID, "id", "Country id."),
        field("name", TEXT, "name", "Country name."),
        field("code", TEXT, "code", "ISO 3166-1 alpha-2 code."),
        field("continent", TEXT, "continent", "Continent."),
        field("is_eu", BOOL, "isEU", "Member of the EU (VAT area)."),
    ],
    key=("id",),
    preview_columns=("id", "code", "name"),
)

currencies = raw_table(
    "currencies",
    "Currencies and which one is the base currency of documents' conversion rates.",
    [
        field("id", ID, "id", "Currency id."),
        field("code", TEXT, "code", "ISO 4217 code."),
        field("is_base", BOOL, None, "True for the base currency of conversion rates."),
    ],
    key=("id",),
    preview_columns=("id", "code", "is_base"),
)

languages = raw_table(
    "languages",
    "Languages available for translations.",
    [
        field("id", ID, "id", "Language id."),
        field("name", TEXT, "name", "Language name."),
        field("language_code", TEXT, "languageCode", "ISO 639-1 code, e.g. de."),
        field("country_code", TEXT, "countryCode", "Country variant, e.g. DE."),
        field("is_active", BOOL, "isActive", "Whether the language is active."),
    ],
    key=("id",),
    preview_columns=("id", "language_code", "name"),
)

pricelists = raw_table(
    "pricelists",
    "Pricelists: one currency each, assigned to countries.",
    [
        field("id", ID, "id", "Pricelist id."),
        field("name", TEXT, "name", "Pricelist name."),
        field("status", TEXT, "status", "ACTIVE, INACTIVE or CANCELLED."),
        field("store_id", ID, "store.id", "Store of the pricelist."),
        field("currency", TEXT, "currency.code", "ISO 4217 currency of every price in it."),
        field("country_codes", JSON, None, "ISO codes of the countries it is assigned to."),
    ],
    key=("id",),
    preview_columns=("id", "name", "currency"),
)

warehouses = raw_table(
    "warehouses",
    "Warehouses that hold stock.",
    [
        field("id", ID, "id", "Warehouse id."),
        field("name", TEXT, "name", "Warehouse name."),
        field("status", TEXT, "status", "ACTIVE, INACTIVE or CANCELLED."),
        field("stock_ownership", TEXT, "stockOwnership", "Who owns the stock."),
        field("allocation_policy", TEXT, "allocationPolicy", "How orders allocate from it."),
        field("stock_master", TEXT, "stockMaster", "Which system masters its stock."),
        field("is_hidden_from_stock_view", BOOL, "isHiddenFromStockView", "Hidden in AMS."),
        field("is_consignation", BOOL, "isConsignation", "Consignment warehouse."),
        field("threshold", INT, "threshold", "Stock threshold kept back from sale."),
        field("country_code", TEXT, "country.code", "Country the warehouse is in."),
    ],
    key=("id",),
    preview_columns=("id", "name", "status"),
)

size_charts = raw_table(
    "size_charts",
    "Size charts and their sizes.",
    [
        field("id", ID, "id", "Size chart id."),
        field("name", TEXT, "name", "Size chart name."),
        field("divider_symbol", TEXT, "dividerSymbol", "Symbol between axes in 2D sizes."),
        field("display_unit", TEXT, "displayUnit", "Unit shown to shoppers."),
        field("horizontal_labels", JSON, "horizontalLabels", "Labels of the horizontal axis."),
        field("vertical_labels", JSON, "verticalLabels", "Labels of the vertical axis, or null."),
        field("sizes", JSON, "sizes", "Sizes as [{id, name}]."),
    ],
    key=("id",),
    preview_columns=("id", "name"),
)

categories = raw_table(
    "categories",
    "Display categories (up to three levels per store).",
    [
        field("id", ID, "id", "Category id."),
        field("name", TEXT, "name", "Category name."),
        field("uri", TEXT, "uri", "URI segment."),
        field("meta_description", TEXT, "metaDescription", "SEO meta description."),
        field("child_category_ids", JSON, None, "Ids of the categories directly below it."),
    ],
    key=("id",),
    preview_columns=("id", "name", "uri"),
)

brands = raw_table(
    "brands",
    "Brands.",
    [
        field("id", ID, "id", "Brand id."),
        field("name", TEXT, "name", "Brand name."),
        field("uri", TEXT, "uri", "URI segment."),
    ],
    key=("id",),
)

collections = raw_table(
    "collections",
    "Collections (seasons, capsules).",
    [
        field("id", ID, "id", "Collection id."),
        field("name", TEXT, "name", "Collection name."),
        field("status", TEXT, "status", "ACTIVE, INACTIVE or CANCELLED."),
    ],
    key=("id",),
)

mapped_attributes = raw_table(
    "mapped_attributes",
    "Reusable (mapped) custom attribute values defined in Centra.",
    [
        field("id", ID, "id", "Mapped attribute id."),
        field("name", TEXT, "name", "Name."),
        field("description", TEXT, "description", "Description."),
        field("object_type", TEXT, "objectType", "Object type it applies to."),
        field("attribute_type", TEXT, "type.name", "Attribute type key."),
        field("is_mapped", BOOL, "type.isMapped", "Always true here."),
        field("elements", JSON, "elements", "Elements exactly as Centra returned them."),
    ],
    key=("id",),
    preview_columns=("id", "attribute_type", "name"),
)

products = raw_table(
    "products",
    "Products (the style level above variants and sizes).",
    [
        field("id", ID, "id", "Product id."),
        field("name", TEXT, "name", "Product name."),
        field("status", TEXT, "status", "ACTIVE or INACTIVE."),
        field("product_number", TEXT, "productNumber", "Product number, the SKU prefix."),
        field("created_at", TS, "createdAt", "Created (UTC)."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("harmonized_commodity_code", TEXT, "harmonizedCommodityCode", "HS code."),
        field("is_bundle", BOOL, "isBundle", "True when the product is a bundle."),
        field("weight_value", "DECIMAL(18,3)", "weight.value", "Weight."),
        field("weight_unit", TEXT, "weight.unit", "KILOGRAMS or POUNDS."),
        field("brand_id", ID, "brand.id", "Brand."),
        field("collection_id", ID, "collection.id", "Collection."),
        field("folder_id", ID, "folder.id", "Internal folder."),
        field("country_of_origin", TEXT, "countryOfOrigin.code", "ISO country of origin."),
    ],
    key=("id",),
    preview_columns=("id", "product_number", "name", "status"),
)

product_variants = raw_table(
    "product_variants",
    "Product variants (colourways).",
    [
        field("id", ID, "id", "Variant id."),
        field("product_id", ID, None, "Product of the variant."),
        field("name", TEXT, "name", "Variant name."),
        field("status", TEXT, "status", "ACTIVE, INACTIVE or CANCELLED."),
        field("variant_number", TEXT, "variantNumber", "Variant number, the SKU middle."),
        field("internal_name", TEXT, "internalName", "Internal name."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("unit_cost", MONEY, "unitCost.value", "Unit cost."),
        field("unit_cost_currency", TEXT, "unitCost.currency.code", "Currency of the unit cost."),
    ],
    key=("id",),
    preview_columns=("id", "product_id", "variant_number", "name"),
)

product_sizes = raw_table(
    "product_sizes",
    "Sellable sizes: the level stock and order lines refer to.",
    [
        field("id", ID, "id", "Product size id."),
        field("product_id", ID, None, "Product."),
        field("variant_id", ID, None, "Variant."),
        field("description", TEXT, "description", "Size name, e.g. S."),
        field("size_number", TEXT, "sizeNumber", "Size number, the SKU suffix."),
        field("ean", TEXT, "EAN", "EAN barcode."),
        field("sku", TEXT, "SKU", "productNumber + variantNumber + sizeNumber."),
        field("preorder", BOOL, "preorder", "Sold as preorder."),
        field("is_active", BOOL, "isActive", "Active for sale."),
    ],
    key=("id",),
    preview_columns=("id", "sku", "description"),
)

product_media = raw_table(
    "product_media",
    "Product images and other media.",
    [
        field("id", ID, "id", "Media id."),
        field("product_id", ID, None, "Product."),
        field("url", TEXT, "source.url", "URL of the standard size."),
        field("mime_type", TEXT, "source.mimeType", "MIME type."),
        field("metadata_json", TEXT, "metaDataJSON", "Media metadata as Centra stores it."),
    ],
    key=("id",),
    preview_columns=("id", "product_id", "mime_type"),
)

bundles = raw_table(
    "bundles",
    "Bundle definitions of bundle products.",
    [
        field("product_id", ID, None, "The bundle product."),
        field("bundle_id", ID, "id", "Bundle id."),
        field("type", TEXT, "type", "FIXED or flexible."),
        field("price_type", TEXT, "priceType", "STATIC or dynamic."),
        field("sections", JSON, "sections", "Sections as [{id, quantity, productVariants}]."),
    ],
    key=("product_id",),
    preview_columns=("product_id", "bundle_id", "type"),
)

displays = raw_table(
    "displays",
    "Displays: how a product is shown per store, with SEO fields.",
    [
        field("id", ID, "id", "Display id."),
        field("name", TEXT, "name", "Display name."),
        field("status", TEXT, "status", "ACTIVE or INACTIVE."),
        field("uri", TEXT, "uri", "URI segment."),
        field("description", TEXT, "description", "Long description."),
        field("short_description", TEXT, "shortDescription", "Short description."),
        field("meta_title", TEXT, "metaTitle", "SEO title."),
        field("meta_description", TEXT, "metaDescription", "SEO description."),
        field("meta_keywords", TEXT, "metaKeywords", "SEO keywords."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("store_id", ID, "store.id", "Store of the display."),
        field("product_id", ID, "product.id", "Product shown."),
        field("canonical_category_id", ID, "canonicalCategory.id", "Canonical category."),
        field("category_ids", JSON, None, "Categories the display is in."),
        field("market_ids", JSON, None, "Markets the display is visible in."),
        field("variant_ids", JSON, None, "Variants shown on the display."),
    ],
    key=("id",),
    preview_columns=("id", "name", "uri"),
)

translations = raw_table(
    "translations",
    "Translated fields of products, variants and displays.",
    [
        field("object_type", TEXT, None, "Product, ProductVariant or Display."),
        field("object_id", ID, None, "Id of that object."),
        field("language_code", TEXT, None, "Language of the translation."),
        field("field", TEXT, "field", "Translated field, e.g. name or metaTitle."),
        field("value", TEXT, "value", "Translation; null means untranslated (falls back)."),
    ],
    key=("object_type", "object_id", "language_code", "field"),
)

catalog_attribute_values = raw_table(
    "catalog_attribute_values",
    "Custom attributes set on products, variants and displays, preserved as Centra sends them.",
    _attribute_fields(),
    key=ATTRIBUTE_KEY,
    preview_columns=("object_type", "object_id", "attribute_type", "element_key"),
)

prices = raw_table(
    "prices",
    "Prices per display and pricelist, in each market's pricelists.",
    [
        field("market_id", ID, None, "Market (partition)."),
        field("display_id", ID, None, "Display the price was read from."),
        field("price_id", ID, "id", "Price id."),
        field("product_id", ID, None, "Product."),
        field("variant_id", ID, "productVariant.id", "Variant, when the price is per variant."),
        field("pricelist_id", ID, "pricelist.id", "Pricelist."),
        field("price", MONEY, "price.value", "Price including tax."),
        field("currency", TEXT, "price.currency.code", "Currency of the price."),
        field("conversion_rate", RATE, "price.conversionRate", "Rate to the base currency."),
        field("recommended_retail_price", MONEY, "recommendedRetailPrice.value", "RRP."),
    ],
    key=("market_id", "display_id", "price_id"),
    partition_columns=("market_id",),
    preview_columns=("price_id", "pricelist_id", "price", "currency"),
)

stock = raw_table(
    "stock",
    "Stock per warehouse and product size, with every Centra quantity.",
    [
        field("warehouse_id", ID, None, "Warehouse."),
        field("product_id", ID, "product.id", "Product."),
        field("variant_id", ID, "productVariant.id", "Variant."),
        field("size_id", ID, "productSize.id", "Product size."),
        field("sku", TEXT, "productSize.SKU", "SKU of the size."),
        field("free_to_allocate", INT, "freeToAllocateQuantity", "Free to allocate (FTA)."),
        field("available", INT, "availableQuantity", "FTA - demand + unlinked incoming."),
        field("available_now", INT, "availableNowQuantity", "FTA - demand."),
        field("physical", INT, "physicalQuantity", "FTA + allocated."),
        field("demand", INT, "demandQuantity", "Ordered but not allocated."),
        field("allocated", INT, "allocatedQuantity", "Allocated to orders."),
        field("unshipped", INT, "unshippedQuantity", "Ordered and not yet shipped."),
        field("on_delivery", INT, "onDeliveryQuantity", "On delivery."),
        field("incoming", INT, "incomingQuantity", "Linked + unlinked incoming."),
        field("linked_incoming", INT, "linkedIncomingQuantity", "Incoming linked to demand."),
        field("unlinked_incoming", INT, "unlinkedIncomingQuantity", "Incoming not yet linked."),
    ],
    key=("warehouse_id", "size_id"),
    preview_columns=("warehouse_id", "sku", "physical", "free_to_allocate"),
)

customers = raw_table(
    "customers",
    "DTC customers.",
    [
        field("id", ID, "id", "Customer id."),
        field("status", TEXT, "status", "ACTIVE, INACTIVE or CANCELLED."),
        field("email", TEXT, "email", "E-mail address (PII)."),
        field("first_name", TEXT, "firstName", "First name (PII)."),
        field("last_name", TEXT, "lastName", "Last name (PII)."),
        field("gender", TEXT, "gender", "Gender, when given."),
        field("total_orders", INT, "totalOrders", "Orders placed."),
        field("created_at", TS, "createdAt", "Created (UTC)."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("store_id", ID, "store.id", "Store."),
    ],
    key=("id",),
    preview_columns=("id", "status", "total_orders"),
)

customer_addresses = raw_table(
    "customer_addresses",
    "Customer addresses.",
    [
        field("customer_id", ID, None, "Customer."),
        field("address_type", TEXT, None, "billing."),
        field("first_name", TEXT, "firstName", "First name (PII)."),
        field("last_name", TEXT, "lastName", "Last name (PII)."),
        field("address1", TEXT, "address1", "Street (PII)."),
        field("address2", TEXT, "address2", "Street, second line (PII)."),
        field("city", TEXT, "city", "City."),
        field("zip_code", TEXT, "zipCode", "Postal code."),
        field("state_or_province", TEXT, "stateOrProvince", "State or province."),
        field("cell_phone_number", TEXT, "cellPhoneNumber", "Mobile phone (PII)."),
        field("phone_number", TEXT, "phoneNumber", "Phone (PII)."),
        field("email", TEXT, "email", "E-mail (PII)."),
        field("company_name", TEXT, "companyName", "Company."),
        field("vat_number", TEXT, "vatNumber", "VAT number."),
        field("country_code", TEXT, "country.code", "ISO country."),
    ],
    key=("customer_id", "address_type"),
    preview_columns=("customer_id", "address_type", "city", "country_code"),
)

customer_attribute_values = raw_table(
    "customer_attribute_values",
    "Custom attributes set on customers, preserved as Centra sends them.",
    _attribute_fields(),
    key=ATTRIBUTE_KEY,
    preview_columns=("object_id", "attribute_type", "element_key"),
)

orders = raw_table(
    "orders",
    "DTC orders with their totals, partitioned by market and UTC order day.",
    [
        field("order_id", TEXT, "id", "Order id (32-hex hash)."),
        field("order_number", ID, "number", "Human order number."),
        field("status", TEXT, "status", "PENDING, CONFIRMED, PROCESSING, SHIPPED, ..."),
        field("order_date", TS, "orderDate", "When the order was placed (UTC)."),
        field("created_at", TS, "createdAt", "Created (UTC)."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("currency", TEXT, "grandTotal.currency.code", "Order currency."),
        field("pricelist_currency", TEXT, None, "Currency of the order's pricelist, if synced."),
        field("currency_base_rate", RATE, "currencyBaseRate", "Rate to the base currency."),
        field("is_on_hold", BOOL, "isOnHold", "On hold."),
        field("other_comment", TEXT, "otherComment", "Shopper's comment."),
        field("store_id", ID, "store.id", "Store."),
        field("pricelist_id", ID, "pricelist.id", "Pricelist used."),
        field("country_code", TEXT, "country.code", "Destination country."),
        field("customer_id", ID, "customer.id", "Customer."),
        field("grand_total", MONEY, "grandTotal.value", "Grand total including tax."),
        field("grand_total_ex_tax", MONEY, "grandTotalExTax.value", "Grand total excl. tax."),
        field("total_quantity", INT, "totals.quantity", "Items ordered."),
        field("shipping", MONEY, "totals.shipping.value", "Shipping charged."),
        field("handling", MONEY, "totals.handling.value", "Handling charged."),
        field("discounts", MONEY, None, "Sum of the discounts applied to the order."),
        field("lines_total", MONEY, None, "Sum of the line values incl. tax, as read."),
        field("line_count", INT, None, "Lines read, fully cancelled ones included."),
        field("tax_added", MONEY, "totals.taxAdded.value", "Tax added on top of prices."),
        field("tax_deducted", MONEY, "totals.taxDeducted.value", "Tax deducted."),
        field("tax_included", MONEY, "totals.taxIncluded.value", "Tax included in prices."),
        *PARTITION_FIELDS,
    ],
    key=("order_number",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("order_number", "status", "grand_total", "currency"),
)

order_lines = raw_table(
    "order_lines",
    "Order lines; quantity excludes cancelled units.",
    [
        field("line_id", ID, "id", "Order line id."),
        field("order_number", ID, None, "Order."),
        field("product_id", ID, "product.id", "Product."),
        field("variant_id", ID, "productVariant.id", "Variant."),
        field("size_id", ID, "productSize.id", "Product size."),
        field("sku", TEXT, "productSize.SKU", "SKU."),
        field("product_number", TEXT, "productNumber", "Product number."),
        field("product_name", TEXT, "productName", "Product name at order time."),
        field("variant_name", TEXT, "productVariantName", "Variant name at order time."),
        field("size", TEXT, "size", "Size name."),
        field("quantity", INT, "quantity", "Ordered quantity, cancelled units excluded."),
        field("cancelled_quantity", INT, "cancelledQuantity", "Cancelled units."),
        field("returned_quantity", INT, "returnedQuantity", "Returned units."),
        field("tax_percent", "DECIMAL(9,4)", "taxPercent", "VAT rate in percent."),
        field("discount_percent", "DECIMAL(9,4)", "discountPercent", "Line discount percent."),
        field("unit_original_price", MONEY, "unitOriginalPrice.value", "Price before discount."),
        field("unit_price", MONEY, "unitPrice.value", "Price paid per unit incl. tax."),
        field("line_value", MONEY, "lineValue.value", "unit_price x quantity incl. tax."),
        field("line_value_ex_tax", MONEY, "lineValueExTax.value", "Line value excl. tax."),
        field("currency", TEXT, None, "Order currency."),
        *PARTITION_FIELDS,
    ],
    key=("line_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("line_id", "order_number", "sku", "quantity", "line_value"),
)

order_discounts = raw_table(
    "order_discounts",
    "Discounts and vouchers applied to orders.",
    [
        field("order_number", ID, None, "Order."),
        field("discount_index", INT, None, "Position in the order's discount list."),
        field("name", TEXT, "discount.name", "Discount or voucher name."),
        field("code", TEXT, "discount.code", "Voucher code."),
        field("type", TEXT, "discount.type", "Discount type."),
        field("value", MONEY, "value.value", "Amount discounted."),
        field("applied_at", TS, "date", "When it was applied (UTC)."),
        field("currency", TEXT, None, "Order currency."),
        *PARTITION_FIELDS,
    ],
    key=("order_number", "discount_index"),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("order_number", "name", "value"),
)

payments = raw_table(
    "payments",
    "Payment history entries: method, status, amounts and PSP reference only, no card data.",
    [
        field("payment_id", ID, "id", "Payment history entry id."),
        field("order_number", ID, None, "Order."),
        field("created_at", TS, "createdAt", "When the entry was recorded (UTC)."),
        field("status", TEXT, "status", "SUCCESS, FAILED or PENDING."),
        field("entry_type", TEXT, "entryType", "AUTH, CAPTURE, REFUND, CANCEL, ..."),
        field("external_reference", TEXT, "externalReference", "PSP transaction reference."),
        field("payment_method", TEXT, "paymentMethod", "Payment plugin or method."),
        field("amount", MONEY, "value.value", "Amount of the entry."),
        field("currency", TEXT, "value.currency.code", "Currency."),
        field("currency_base_rate", RATE, "currencyBaseRate", "Rate to the base currency."),
        *PARTITION_FIELDS,
    ],
    key=("payment_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("payment_id", "order_number", "entry_type", "status", "amount"),
)

shipments = raw_table(
    "shipments",
    "Shipments of orders, with tracking.",
    [
        field("shipment_id", ID, "id", "Shipment id."),
        field("shipment_number", TEXT, "number", "Shipment number, <order number>-<n>."),
        field("order_number", ID, None, "Order."),
        field("created_at", TS, "createdAt", "Created (UTC)."),
        field("updated_at", TS, "updatedAt", "Last updated (UTC)."),
        field("is_good_to_go", BOOL, "isGoodToGo", "Packed and ready."),
        field("is_shipped", BOOL, "isShipped", "Completed."),
        field("is_paid", BOOL, "isPaid", "Paid (captured or marked paid)."),
        field("is_captured", BOOL, "isCaptured", "Captured with the PSP."),
        field("shipped_at", TS, "shippedAt", "When it shipped (UTC)."),
        field("tracking_number", TEXT, "trackingNumber", "Carrier tracking number."),
        field("return_tracking_number", TEXT, "returnTrackingNumber", "Return tracking number."),
        field("number_of_packages", INT, "numberOfPackages", "Packages."),
        field("carrier_name", TEXT, "carrierInformation.carrierName", "Carrier."),
        field("service_name", TEXT, "carrierInformation.serviceName", "Carrier service."),
        field("grand_total", MONEY, "grandTotal.value", "Shipment value including tax."),
        field("currency", TEXT, None, "Order currency."),
        *PARTITION_FIELDS,
    ],
    key=("shipment_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("shipment_number", "is_shipped", "tracking_number"),
)

shipment_lines = raw_table(
    "shipment_lines",
    "Order line quantities in each shipment.",
    [
        field("shipment_line_id", ID, "id", "Shipment line id."),
        field("shipment_id", ID, None, "Shipment."),
        field("order_number", ID, None, "Order."),
        field("order_line_id", ID, "orderLine.id", "Order line shipped."),
        field("quantity", INT, "quantity", "Units shipped."),
        field("line_value", MONEY, "lineValue.value", "Value shipped including tax."),
        *PARTITION_FIELDS,
    ],
    key=("shipment_line_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("shipment_line_id", "shipment_id", "quantity"),
)

order_attribute_values = raw_table(
    "order_attribute_values",
    "Custom attributes set on orders, preserved as Centra sends them.",
    [*_attribute_fields(), *PARTITION_FIELDS],
    key=ATTRIBUTE_KEY,
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("object_id", "attribute_type", "element_key"),
)

returns = raw_table(
    "returns",
    "Returns, partitioned by the order's market and the UTC day the return was created.",
    [
        field("return_id", ID, "id", "Return id."),
        field("order_id", TEXT, "order.id", "Order id."),
        field("order_number", ID, "order.number", "Order number."),
        field("return_status", TEXT, "returnStatus", "Return status."),
        field("created_at", TS, "createdAt", "Created (UTC)."),
        field("total_quantity", INT, "totalQuantity", "Units returned."),
        field("returned_to_stock", BOOL, "returnedToStock", "Units went back to stock."),
        field("grand_total", MONEY, "grandTotal.value", "Value returned including tax."),
        field("currency", TEXT, "grandTotal.currency.code", "Currency."),
        field("currency_base_rate", RATE, "currencyBaseRate", "Rate to the base currency."),
        *PARTITION_FIELDS,
    ],
    key=("return_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("return_id", "order_number", "return_status", "grand_total"),
)

return_lines = raw_table(
    "return_lines",
    "Returned quantities per order line.",
    [
        field("return_line_id", ID, "id", "Return line id."),
        field("return_id", ID, None, "Return."),
        field("order_line_id", ID, "orderLine.id", "Order line returned."),
        field("shipment_line_id", ID, "shipmentLine.id", "Shipment line returned."),
        field("quantity", INT, "quantity", "Units returned."),
        field("line_value", MONEY, "lineValue.value", "Value returned including tax."),
        *PARTITION_FIELDS,
    ],
    key=("return_line_id",),
    partition_columns=PARTITION_COLUMNS,
    preview_columns=("return_line_id", "return_id", "quantity"),
)
