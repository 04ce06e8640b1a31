"""Every query of docs/centra-api-usage.md, with exactly the fields and arguments it lists.

Where the page abbreviates a selection as `{…}`, the expansion is the shape the page gives
elsewhere (attributes, translations) or the digest's field list (money, addresses).
"""

ATTRIBUTES = """attributes { type { name isMapped } description objectType
elements { key description kind ... on AttributeStringElement { value } ... on
AttributeChoiceElement { isMulti selectedValue selectedValueName } ... on AttributeFileElement
{ url } ... on AttributeImageElement { url width height mimeType } } }"""

TRANSLATIONS = "translations { language { code } fields { field value } }"

ADDRESS = """{ firstName lastName address1 address2 city zipCode stateOrProvince cellPhoneNumber
phoneNumber email companyName vatNumber country { id name code } }"""

PAGED = "limit: $limit, page: $page, sort: [id_ASC]"
VARS = "($limit: Int!, $page: Int!)"

REFERENCE = {
    "stores": f"query Stores{VARS} {{ stores({PAGED}) {{ id name type }} }}",
    "markets": f"""query Markets{VARS} {{ markets({PAGED}) {{ id name store {{ id }}
        assignedToCountries {{ id code }} allocationRule {{ id name }} }} }}""",
    "countries": f"""query Countries{VARS} {{ countries({PAGED}) {{ id name code continent
        isEU }} }}""",
    "currencies": f"query Currencies{VARS} {{ currencies({PAGED}) {{ id code isBase }} }}",
    "languages": f"""query Languages{VARS} {{ languages({PAGED}) {{ id name languageCode
        countryCode isActive }} }}""",
    "pricelists": f"""query Pricelists{VARS} {{ pricelists({PAGED}) {{ id name status
        store {{ id }} currency {{ code }} assignedToCountries {{ id code }} }} }}""",
    "warehouses": f"""query Warehouses{VARS} {{ warehouses({PAGED}) {{ id name status
        stockOwnership allocationPolicy stockMaster isHiddenFromStockView isConsignation
        threshold country {{ code }} }} }}""",
}

CATALOGUE = {
    "products": f"""query Products{VARS} {{ products({PAGED}) {{ id name status productNumber
        createdAt updatedAt harmonizedCommodityCode isBundle weight {{ value unit }}
        brand {{ id }} collection {{ id }} folder {{ id }} countryOfOrigin {{ code }}
        {ATTRIBUTES} {TRANSLATIONS} media {{ id source {{ url mimeType }} metaDataJSON }}
        variants {{ id name status variantNumber internalName updatedAt
          unitCost {{ value currency {{ code }} }} sizeChart {{ id }} {ATTRIBUTES} {TRANSLATIONS}
          productSizes {{ id description sizeNumber EAN SKU preorder isActive }} }}
        bundle {{ id type priceType sections {{ id quantity productVariants {{ id }} }} }} }} }}""",
    "sizeCharts": f"""query SizeCharts{VARS} {{ sizeCharts({PAGED}) {{ id name dividerSymbol
        displayUnit horizontalLabels verticalLabels sizes {{ id name }} }} }}""",
    "categories": f"""query Categories{VARS} {{ categories({PAGED}) {{ id name uri
        metaDescription store {{ id }} parentCategory {{ id }} }} }}""",
    "brands": f"query Brands{VARS} {{ brands({PAGED}) {{ id name uri }} }}",
    "collections": f"query Collections{VARS} {{ collections({PAGED}) {{ id name status }} }}",
    "displays": f"""query Displays{VARS} {{ displays({PAGED}) {{ id name status uri description
        shortDescription metaTitle metaDescription metaKeywords updatedAt store {{ id }}
        product {{ id }} canonicalCategory {{ id }} categories {{ id }} markets {{ id }}
        productVariants {{ id }} {TRANSLATIONS} }} }}""",
    "mappedAttributes": f"""query MappedAttributes{VARS} {{ mappedAttributes({PAGED}) {{ id name
        description objectType type {{ name isMapped }} elements {{ key description kind
        ... on AttributeStringElement {{ value }} ... on AttributeChoiceElement {{ isMulti
        selectedValue selectedValueName }} ... on AttributeFileElement {{ url }}
        ... on AttributeImageElement {{ url width height mimeType }} }} }} }}""",
}

PRICES = """query MarketPrices($market: Int!, $limit: Int!, $page: Int!) {
  displays(where: {marketId: [$market]}, sort: [id_ASC], limit: $limit, page: $page) {
    id
    product { id }
    prices { id price { value currency { code } conversionRate }
      recommendedRetailPrice { value currency { code } }
      pricelist { id } productVariant { id } }
  }
}"""

STOCK = """query WarehouseStock($warehouse: Int!, $limit: Int!, $page: Int!) {
  warehouses(where: {id: [$warehouse]}) {
    stock(limit: $limit, page: $page,
          sort: [productId_ASC, productVariantId_ASC, productSizeSort_ASC]) {
      product { id } productVariant { id } productSize { id SKU }
      freeToAllocateQuantity availableQuantity availableNowQuantity physicalQuantity
      demandQuantity allocatedQuantity unshippedQuantity onDeliveryQuantity incomingQuantity
      linkedIncomingQuantity unlinkedIncomingQuantity
    }
  }
}"""

CUSTOMERS = f"""query Customers($first: Int!, $after: String) {{
  customerConnection(first: $first, after: $after, sort: [id_ASC]) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ id status email firstName lastName gender birthdate newsletter
      registered totalOrders createdAt updatedAt store {{ id }} billingAddress {ADDRESS}
      {ATTRIBUTES} }} }}
  }}
}}"""

ORDERS = """query Orders($first: Int!, $after: String, $markets: [Int!], $from: DateTimeTz,
                      $to: DateTimeTz) {
  orderConnection(first: $first, after: $after,
                  where: {marketId: $markets, orderDate: {from: $from, to: $to},
                          storeType: DIRECT_TO_CONSUMER},
                  sort: [number_ASC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ... on DirectToConsumerOrder {
      id number status orderDate createdAt updatedAt currencyBaseRate isOnHold otherComment
      market { id } store { id } pricelist { id } country { code } customer { id }
      grandTotal { value currency { code } }
      grandTotalExTax: grandTotal(includingTax: false) { value }
      totals { quantity shipping { value } handling { value } discounts { value }
        taxAdded { value } taxDeducted { value } taxIncluded { value } }
      discountsApplied { value { value } date ... on AppliedDiscount { discount { name
        code type } } }
      lines(includeFullyCancelled: true) { id productNumber productName productVariantName
        size quantity cancelledQuantity returnedQuantity taxPercent discountPercent
        unitOriginalPrice { value } unitPrice { value } lineValue { value }
        lineValueExTax: lineValue(includingTax: false) { value } product { id }
        productVariant { id } productSize { id SKU } }
      shipments { id number createdAt updatedAt isGoodToGo isShipped isPaid isCaptured
        shippedAt trackingNumber returnTrackingNumber numberOfPackages carrierInformation {
        carrierName serviceName } grandTotal { value } lines { id quantity lineValue { value }
        orderLine { id } } }
      paymentHistory { id createdAt status entryType externalReference paymentMethod
        value { value currency { code } } currencyBaseRate }
    } } }
  }
}"""

RETURNS = """query Returns($from: DateTimeTz, $to: DateTimeTz, $limit: Int!, $page: Int!) {
  returns(where: {createdAt: {from: $from, to: $to}}, sort: [id_ASC], limit: $limit,
          page: $page) {
    ... on DirectToConsumerReturn { id returnStatus createdAt totalQuantity
      grandTotal { value currency { code } } returnedToStock currencyBaseRate
      order { id number market { id } }
      lines { id quantity lineValue { value } orderLine { id } shipmentLine { id } } }
  }
}"""

RATE_LIMITS = (
    "query RateLimits { rateLimits { type intervalSeconds quota usedQuota remainingQuota } }"
)

PAGE_VARS = {"limit": 100, "page": 1}
ORDER_VARS = {
    "first": 100,
    "after": None,
    "markets": [1],
    "from": "2026-11-01T00:00:00+00:00",
    "to": "2026-11-01T23:59:59+00:00",
}
RETURN_VARS = {"from": "2026-11-01T00:00:00+00:00", "to": "2026-11-14T23:59:59+00:00", **PAGE_VARS}

# (name, document, variables, root field)
ALL_QUERIES = [
    *[(name, doc, PAGE_VARS, name) for name, doc in REFERENCE.items()],
    *[(name, doc, PAGE_VARS, name) for name, doc in CATALOGUE.items()],
    ("prices", PRICES, {"market": 1, **PAGE_VARS}, "displays"),
    ("stock", STOCK, {"warehouse": 1, **PAGE_VARS}, "warehouses"),
    ("customers", CUSTOMERS, {"first": 100, "after": None}, "customerConnection"),
    ("orders", ORDERS, ORDER_VARS, "orderConnection"),
    ("returns", RETURNS, RETURN_VARS, "returns"),
    ("rateLimits", RATE_LIMITS, {}, "rateLimits"),
]
