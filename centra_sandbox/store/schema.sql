-- Tables of the sandbox store. Column names follow the GraphQL field names, so that most fields
-- resolve straight from a row. Timestamps are Unix seconds (UTC); money is integer minor units.

CREATE TABLE stores (id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL);
CREATE TABLE allocationRules (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE markets (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, storeId INTEGER NOT NULL,
    allocationRuleId INTEGER, comment TEXT
);
CREATE TABLE currencies (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, isBase INTEGER NOT NULL,
    baseRate TEXT NOT NULL
);
CREATE TABLE countries (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL, continent TEXT,
    isEU INTEGER NOT NULL, marketId INTEGER, pricelistId INTEGER, taxPercent INTEGER NOT NULL
);
CREATE TABLE languages (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL, languageCode TEXT NOT NULL,
    countryCode TEXT, isActive INTEGER NOT NULL
);
CREATE TABLE pricelists (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, storeId INTEGER NOT NULL,
    currencyId INTEGER NOT NULL
);
CREATE TABLE warehouses (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, stockOwnership TEXT NOT NULL,
    allocationPolicy TEXT NOT NULL, stockMaster TEXT NOT NULL,
    isHiddenFromStockView INTEGER NOT NULL, isConsignation INTEGER NOT NULL, threshold INTEGER,
    countryId INTEGER, zipCode TEXT, allocationRuleId INTEGER
);
CREATE TABLE brands (id INTEGER PRIMARY KEY, name TEXT NOT NULL, uri TEXT NOT NULL);
CREATE TABLE collections (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE folders (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, isTopFolder INTEGER NOT NULL, parentId INTEGER
);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, uri TEXT NOT NULL, metaDescription TEXT,
    storeId INTEGER NOT NULL, parentId INTEGER
);
CREATE TABLE sizeCharts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, dividerSymbol TEXT, displayUnit TEXT,
    horizontalLabels TEXT NOT NULL, verticalLabels TEXT
);
CREATE TABLE sizes (
    id INTEGER PRIMARY KEY, sizeChartId INTEGER NOT NULL, name TEXT NOT NULL,
    sortOrder INTEGER NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, productNumber TEXT NOT NULL,
    createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, harmonizedCommodityCode TEXT,
    harmonizedCommodityCodeDescription TEXT, internalComment TEXT, isBundle INTEGER NOT NULL,
    isSerializableProduct INTEGER NOT NULL, weightGrams INTEGER, brandId INTEGER,
    collectionId INTEGER, folderId INTEGER, countryOfOriginId INTEGER
);
CREATE TABLE productVariants (
    id INTEGER PRIMARY KEY, productId INTEGER NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    variantNumber TEXT NOT NULL, internalName TEXT, unitCostCents INTEGER, unitCostCurrencyId
    INTEGER, stockOffset INTEGER NOT NULL, updatedAt INTEGER NOT NULL, sizeChartId INTEGER NOT NULL
);
CREATE TABLE productSizes (
    id INTEGER PRIMARY KEY, productVariantId INTEGER NOT NULL, sizeId INTEGER NOT NULL,
    description TEXT NOT NULL, sizeNumber TEXT, EAN TEXT, UPC TEXT, preorder INTEGER NOT NULL,
    isActive INTEGER NOT NULL, updatedAt INTEGER NOT NULL, sortOrder INTEGER NOT NULL
);
CREATE TABLE bundles (
    id INTEGER PRIMARY KEY, productId INTEGER NOT NULL, type TEXT NOT NULL, priceType TEXT NOT NULL
);
CREATE TABLE bundleSections (
    id INTEGER PRIMARY KEY, bundleId INTEGER NOT NULL, quantity INTEGER NOT NULL
);
CREATE TABLE bundleSectionVariants (sectionId INTEGER NOT NULL, productVariantId INTEGER NOT NULL);
CREATE TABLE productMedia (
    id INTEGER PRIMARY KEY, productId INTEGER NOT NULL, productVariantId INTEGER,
    url TEXT NOT NULL, mimeType TEXT NOT NULL, metaDataJSON TEXT
);
CREATE TABLE displays (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, uri TEXT NOT NULL,
    description TEXT, shortDescription TEXT, metaTitle TEXT, metaDescription TEXT,
    metaKeywords TEXT, comment TEXT, tags TEXT NOT NULL, minimumOrderQuantity INTEGER NOT NULL,
    orderQuantityDenominator INTEGER NOT NULL, updatedAt INTEGER NOT NULL,
    storeId INTEGER NOT NULL, productId INTEGER NOT NULL, canonicalCategoryId INTEGER
);
CREATE TABLE displayCategories (displayId INTEGER NOT NULL, categoryId INTEGER NOT NULL);
CREATE TABLE displayMarkets (displayId INTEGER NOT NULL, marketId INTEGER NOT NULL);
CREATE TABLE displayItems (
    id INTEGER PRIMARY KEY, displayId INTEGER NOT NULL, productVariantId INTEGER NOT NULL
);
CREATE TABLE prices (
    id INTEGER PRIMARY KEY, displayId INTEGER NOT NULL, pricelistId INTEGER NOT NULL,
    productId INTEGER NOT NULL, productVariantId INTEGER, priceCents INTEGER NOT NULL,
    rrpCents INTEGER
);
CREATE TABLE attributeTypes (
    name TEXT PRIMARY KEY, description TEXT, objectType TEXT NOT NULL, isMapped INTEGER NOT NULL,
    elementsJSON TEXT NOT NULL
);
CREATE TABLE mappedAttributes (
    id INTEGER PRIMARY KEY, typeName TEXT NOT NULL, name TEXT, description TEXT,
    valuesJSON TEXT NOT NULL
);
CREATE TABLE objectAttributes (
    objectType TEXT NOT NULL, objectId INTEGER NOT NULL, typeName TEXT NOT NULL,
    mappedAttributeId INTEGER, valuesJSON TEXT
);
CREATE TABLE translations (
    objectType TEXT NOT NULL, objectId INTEGER NOT NULL, languageId INTEGER NOT NULL,
    field TEXT NOT NULL, value TEXT
);
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT, address1 TEXT, address2 TEXT,
    city TEXT, zipCode TEXT, stateOrProvince TEXT, cellPhoneNumber TEXT, phoneNumber TEXT,
    email TEXT, companyName TEXT, vatNumber TEXT, countryId INTEGER
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY, status TEXT NOT NULL, email TEXT NOT NULL, firstName TEXT,
    lastName TEXT, gender TEXT, birthdate TEXT, newsletter INTEGER NOT NULL,
    registered INTEGER NOT NULL, createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL,
    storeId INTEGER NOT NULL, billingAddressId INTEGER, countryId INTEGER NOT NULL
);
CREATE TABLE orders (
    number INTEGER PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL, storeId INTEGER NOT NULL,
    marketId INTEGER NOT NULL, pricelistId INTEGER NOT NULL, countryId INTEGER NOT NULL,
    currencyId INTEGER NOT NULL, customerId INTEGER, orderDate INTEGER NOT NULL,
    createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, currencyBaseRate TEXT NOT NULL,
    isOnHold INTEGER NOT NULL, isLocked INTEGER NOT NULL, otherComment TEXT NOT NULL,
    internalComment TEXT, userIP TEXT, shippingCents INTEGER NOT NULL,
    handlingCents INTEGER NOT NULL, discountCents INTEGER NOT NULL,
    grandTotalCents INTEGER NOT NULL, taxPercent INTEGER NOT NULL, paymentPlugin TEXT NOT NULL,
    billingAddressId INTEGER, shippingAddressId INTEGER, shippingOptionId INTEGER NOT NULL
);
CREATE TABLE orderLines (
    id INTEGER PRIMARY KEY, orderNumber INTEGER NOT NULL, lineType TEXT NOT NULL,
    productId INTEGER, productVariantId INTEGER, productSizeId INTEGER,
    productNumber TEXT NOT NULL, productName TEXT NOT NULL, productVariantName TEXT,
    productBrand TEXT, size TEXT NOT NULL, comment TEXT, quantity INTEGER NOT NULL,
    cancelledQuantity INTEGER NOT NULL, returnedQuantity INTEGER NOT NULL,
    unitOriginalPriceCents INTEGER NOT NULL, unitPriceCents INTEGER NOT NULL,
    taxPercent INTEGER NOT NULL
);
CREATE TABLE orderDiscounts (
    id INTEGER PRIMARY KEY, orderNumber INTEGER NOT NULL, name TEXT NOT NULL, code TEXT,
    type TEXT NOT NULL, valueCents INTEGER NOT NULL, date INTEGER NOT NULL
);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY, orderNumber INTEGER NOT NULL, returnId INTEGER,
    createdAt INTEGER NOT NULL, status TEXT NOT NULL, entryType TEXT NOT NULL,
    externalReference TEXT, paymentMethod TEXT, valueCents INTEGER NOT NULL, source TEXT,
    paramsJSON TEXT
);
CREATE TABLE shipments (
    id INTEGER PRIMARY KEY, orderNumber INTEGER NOT NULL, number TEXT NOT NULL,
    createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, isGoodToGo INTEGER NOT NULL,
    isPrinted INTEGER NOT NULL, isShipped INTEGER NOT NULL, isOnHold INTEGER NOT NULL,
    isPaid INTEGER NOT NULL, isCaptured INTEGER NOT NULL, shippedAt INTEGER, paidAt INTEGER,
    capturedAt INTEGER, trackingNumber TEXT, returnTrackingNumber TEXT,
    numberOfPackages INTEGER NOT NULL, carrierName TEXT, serviceName TEXT,
    shippingCents INTEGER NOT NULL, handlingCents INTEGER NOT NULL,
    discountCents INTEGER NOT NULL, additionalMessage TEXT, internalShippingCostCents INTEGER
);
CREATE TABLE shipmentLines (
    id INTEGER PRIMARY KEY, shipmentId INTEGER NOT NULL, orderLineId INTEGER NOT NULL,
    quantity INTEGER NOT NULL
);
CREATE TABLE returns (
    id INTEGER PRIMARY KEY, orderNumber INTEGER NOT NULL, shipmentId INTEGER,
    returnStatus TEXT NOT NULL, createdAt INTEGER NOT NULL, returnedToStock INTEGER NOT NULL,
    comment TEXT, storeId INTEGER NOT NULL
);
CREATE TABLE returnLines (
    id INTEGER PRIMARY KEY, returnId INTEGER NOT NULL, shipmentLineId INTEGER,
    orderLineId INTEGER NOT NULL, quantity INTEGER NOT NULL
);
CREATE TABLE stock (
    id INTEGER PRIMARY KEY, warehouseId INTEGER NOT NULL, productSizeId INTEGER NOT NULL,
    freeToAllocateQuantity INTEGER NOT NULL, allocatedQuantity INTEGER NOT NULL,
    linkedIncomingQuantity INTEGER NOT NULL, unlinkedIncomingQuantity INTEGER NOT NULL,
    demandQuantity INTEGER NOT NULL, unshippedQuantity INTEGER NOT NULL,
    onDeliveryQuantity INTEGER NOT NULL, updatedAt INTEGER NOT NULL
);
CREATE TABLE stockChanges (
    id INTEGER PRIMARY KEY, warehouseId INTEGER NOT NULL, description TEXT NOT NULL,
    createdAt INTEGER NOT NULL
);
CREATE TABLE stockChangeLines (
    id INTEGER PRIMARY KEY, stockChangeId INTEGER NOT NULL, productSizeId INTEGER NOT NULL,
    deliveredQuantity INTEGER NOT NULL
);

-- Values served verbatim instead of what the rows say: bad records planted by tests through
-- `sandbox.control` (null SKUs, malformed dates, unknown currencies, ids listed twice).
CREATE TABLE rawOverrides (
    typeName TEXT NOT NULL, objectId INTEGER NOT NULL, field TEXT NOT NULL,
    valueJSON TEXT NOT NULL, PRIMARY KEY (typeName, objectId, field)
);

-- Change notifications (digest §8). `changes` holds every data change once, at change time;
-- `events` is each integration's queue, filled from its listeners when a change is recorded.
-- AUTOINCREMENT: an event id is never reused after `unsetEventListeners` deletes events.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY, objectType TEXT NOT NULL, changeType TEXT NOT NULL,
    objectReference INTEGER NOT NULL, storeId INTEGER, marketId INTEGER,
    createdAtMicros INTEGER NOT NULL
);
CREATE TABLE eventListeners (
    integrationName TEXT NOT NULL, objectType TEXT NOT NULL, changeTypes TEXT NOT NULL,
    createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL,
    PRIMARY KEY (integrationName, objectType)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, integrationName TEXT NOT NULL,
    changeId INTEGER NOT NULL, confirmedAt INTEGER
);
CREATE INDEX ix_events_queue ON events (integrationName, confirmedAt, id);

-- The ID conversion table (digest §7): per integration name and object type, external and
-- internal ids are each unique; API writes that collide overwrite the older entry.
-- AUTOINCREMENT: an entry id is never reused after `unsetIdConversions` removes one.
CREATE TABLE idConversions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, integrationName TEXT NOT NULL,
    objectType TEXT NOT NULL, externalId TEXT NOT NULL, internalId INTEGER NOT NULL,
    UNIQUE (integrationName, objectType, externalId),
    UNIQUE (integrationName, objectType, internalId)
);
