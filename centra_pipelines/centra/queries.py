"""GraphQL documents sent to Centra's Integration API.

Each document selects only the fields the warehouse stores (Centra charges complexity per field) and
sorts by an immutable key so that paging stays stable while data changes. docs/centra-api-usage.md
lists the same surface with the permissions a token needs.
"""

MONEY = "value currency { code }"

ATTRIBUTES = """
attributes {
  type { name isMapped }
  description
  objectType
  elements {
    key
    description
    kind
    ... on AttributeStringElement { value }
    ... on AttributeChoiceElement { isMulti selectedValue selectedValueName }
    ... on AttributeFileElement { url }
    ... on AttributeImageElement { url width height mimeType }
  }
}
"""

TRANSLATIONS = "translations { language { code } fields { field value } }"

STORES = """
query Stores($limit: Int!, $page: Int!) {
  stores(sort: [id_ASC], limit: $limit, page: $page) { id name type }
}
"""

MARKETS = """
query Markets($limit: Int!, $page: Int!) {
  markets(sort: [id_ASC], limit: $limit, page: $page) {
    id name store { id } assignedToCountries { id code } allocationRule { id name }
  }
}
"""

COUNTRIES = """
query Countries($limit: Int!, $page: Int!) {
  countries(sort: [id_ASC], limit: $limit, page: $page) { id name code continent isEU }
}
"""

CURRENCIES = """
query Currencies($limit: Int!, $page: Int!) {
  currencies(sort: [id_ASC], limit: $limit, page: $page) { id code }
}
"""

# `isBase` is documented as a filter only, so the base currency is found by filtering on it.
BASE_CURRENCY = """
query BaseCurrency {
  currencies(where: {isBase: true}) { id }
}
"""

LANGUAGES = """
query Languages($limit: Int!, $page: Int!) {
  languages(sort: [id_ASC], limit: $limit, page: $page) {
    id name languageCode countryCode isActive
  }
}
"""

PRICELISTS = """
query Pricelists($limit: Int!, $page: Int!) {
  pricelists(sort: [id_ASC], limit: $limit, page: $page) {
    id name status store { id } currency { code } assignedToCountries { id code }
  }
}
"""

WAREHOUSES = """
query Warehouses($limit: Int!, $page: Int!) {
  warehouses(sort: [id_ASC], limit: $limit, page: $page) {
    id name status stockOwnership allocationPolicy stockMaster isHiddenFromStockView
    isConsignation threshold country { code }
  }
}
"""

SIZE_CHARTS = """
query SizeCharts($limit: Int!, $page: Int!) {
  sizeCharts(sort: [id_ASC], limit: $limit, page: $page) {
    id name dividerSymbol displayUnit horizontalLabels verticalLabels sizes { id name }
  }
}
"""

CATEGORIES = """
query Categories($limit: Int!, $page: Int!) {
  categories(sort: [id_ASC], limit: $limit, page: $page) {
    id name uri metaDescription childCategories { id }
  }
}
"""

BRANDS = """
query Brands($limit: Int!, $page: Int!) {
  brands(sort: [id_ASC], limit: $limit, page: $page) { id name uri }
}
"""

COLLECTIONS = """
query Collections($limit: Int!, $page: Int!) {
  collections(sort: [id_ASC], limit: $limit, page: $page) { id name status }
}
"""

MAPPED_ATTRIBUTES = """
query MappedAttributes($limit: Int!, $page: Int!) {
  mappedAttributes(sort: [id_ASC], limit: $limit, page: $page) {
    id name description objectType type { name isMapped }
    elements {
      key description kind
      ... on AttributeStringElement { value }
      ... on AttributeChoiceElement { isMulti selectedValue selectedValueName }
    }
  }
}
"""

PRODUCTS = f"""
query Products($limit: Int!, $page: Int!) {{
  products(sort: [id_ASC], limit: $limit, page: $page) {{
    id name status productNumber createdAt updatedAt harmonizedCommodityCode isBundle
    weight {{ value unit }}
    brand {{ id }}
    collection {{ id }}
    folder {{ id }}
    countryOfOrigin {{ code }}
    {ATTRIBUTES}
    {TRANSLATIONS}
    media {{ id source {{ url mimeType }} metaDataJSON }}
    variants {{
      id name status variantNumber internalName updatedAt
      unitCost {{ {MONEY} }}
      {ATTRIBUTES}
      {TRANSLATIONS}
      productSizes {{ id description sizeNumber EAN SKU preorder isActive }}
    }}
    bundle {{ id type priceType sections {{ id quantity productVariants {{ id }} }} }}
  }}
}}
"""

DISPLAYS = f"""
query Displays($limit: Int!, $page: Int!) {{
  displays(sort: [id_ASC], limit: $limit, page: $page) {{
    id name status uri description shortDescription metaTitle metaDescription metaKeywords
    updatedAt
    store {{ id }}
    product {{ id }}
    canonicalCategory {{ id }}
    categories {{ id }}
    markets {{ id }}
    productVariants {{ id }}
    {ATTRIBUTES}
    {TRANSLATIONS}
  }}
}}
"""

MARKET_PRICES = f"""
query MarketPrices($marketId: Int!, $limit: Int!, $page: Int!) {{
  displays(where: {{marketId: [$marketId]}}, sort: [id_ASC], limit: $limit, page: $page) {{
    id
    product {{ id }}
    prices {{
      id
      price {{ {MONEY} conversionRate }}
      recommendedRetailPrice {{ {MONEY} }}
      pricelist {{ id }}
      productVariant {{ id }}
    }}
  }}
}}
"""

WAREHOUSE_STOCK = """
query WarehouseStock($warehouseId: Int!, $limit: Int!, $page: Int!) {
  warehouses(where: {id: [$warehouseId]}) {
    id
    stock(
      sort: [productId_ASC, productVariantId_ASC, productSizeSort_ASC]
      limit: $limit
      page: $page
    ) {
      product { id }
      productVariant { id }
      productSize { id SKU }
      freeToAllocateQuantity availableQuantity availableNowQuantity physicalQuantity
      demandQuantity allocatedQuantity unshippedQuantity onDeliveryQuantity incomingQuantity
      linkedIncomingQuantity unlinkedIncomingQuantity
    }
  }
}
"""

ADDRESS = """
firstName lastName address1 address2 city zipCode stateOrProvince cellPhoneNumber phoneNumber
email companyName vatNumber country { code }
"""

CUSTOMERS = f"""
query Customers($first: Int!, $after: String) {{
  customerConnection(first: $first, after: $after, sort: [id_ASC]) {{
    edges {{
      node {{
        id status email firstName lastName gender totalOrders createdAt updatedAt
        store {{ id }}
        billingAddress {{ {ADDRESS} }}
        {ATTRIBUTES}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ORDERS = f"""
query Orders(
  $first: Int!, $after: String, $marketIds: [Int!], $from: DateTimeTz, $to: DateTimeTz
) {{
  orderConnection(
    first: $first
    after: $after
    where: {{
      marketId: $marketIds
      orderDate: {{from: $from, to: $to}}
      storeType: DIRECT_TO_CONSUMER
    }}
    sort: [number_ASC]
  ) {{
    edges {{
      node {{
        ... on DirectToConsumerOrder {{
          id number status orderDate createdAt updatedAt currencyBaseRate isOnHold otherComment
          market {{ id }}
          store {{ id }}
          pricelist {{ id }}
          country {{ code }}
          customer {{ id }}
          grandTotal {{ {MONEY} }}
          grandTotalExTax: grandTotal(includingTax: false) {{ value }}
          totals {{
            quantity
            shipping {{ value }}
            handling {{ value }}
            taxAdded {{ value }}
            taxDeducted {{ value }}
            taxIncluded {{ value }}
          }}
          discountsApplied {{
            value {{ value }}
            date
            ... on AppliedDiscount {{ discount {{ name code type }} }}
          }}
          lines(includeFullyCancelled: true) {{
            id productNumber productName productVariantName size quantity cancelledQuantity
            returnedQuantity taxPercent discountPercent
            unitOriginalPrice {{ value }}
            unitPrice {{ value }}
            lineValue {{ value }}
            lineValueExTax: lineValue(includingTax: false) {{ value }}
            product {{ id }}
            productVariant {{ id }}
            productSize {{ id SKU }}
          }}
          shipments {{
            ... on DirectToConsumerShipment {{
              id number createdAt updatedAt isGoodToGo isShipped isPaid isCaptured shippedAt
              trackingNumber returnTrackingNumber numberOfPackages
              carrierInformation {{ carrierName serviceName }}
              grandTotal {{ value }}
              lines {{ id quantity lineValue {{ value }} orderLine {{ id }} }}
            }}
          }}
          paymentHistory {{
            id createdAt status entryType externalReference paymentMethod currencyBaseRate
            value {{ {MONEY} }}
          }}
          {ATTRIBUTES}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

RETURNS = f"""
query Returns($from: DateTimeTz, $to: DateTimeTz, $limit: Int!, $page: Int!) {{
  returns(
    where: {{createdAt: {{from: $from, to: $to}}}}
    sort: [id_ASC]
    limit: $limit
    page: $page
  ) {{
    ... on DirectToConsumerReturn {{
      id returnStatus createdAt totalQuantity returnedToStock currencyBaseRate
      grandTotal {{ {MONEY} }}
      order {{ id number market {{ id }} }}
      lines {{ id quantity lineValue {{ value }} orderLine {{ id }} shipmentLine {{ id }} }}
    }}
  }}
}}
"""


# Change detection: just enough of each changed record to know which partitions to re-read.

ORDER_PARTITIONS_BY_NUMBER = """
query OrderPartitionsByNumber($numbers: [Int!], $limit: Int!, $page: Int!) {
  orders(where: {number: $numbers}, sort: [number_ASC], limit: $limit, page: $page) {
    number orderDate market { id }
  }
}
"""

CHANGED_ORDERS = """
query ChangedOrders($from: DateTimeTz, $to: DateTimeTz, $limit: Int!, $page: Int!) {
  orders(
    where: {updatedAt: {from: $from, to: $to}, storeType: DIRECT_TO_CONSUMER}
    sort: [number_ASC]
    limit: $limit
    page: $page
  ) {
    number orderDate updatedAt market { id }
  }
}
"""

# Centra has no top-level shipment query (digest §11.12): a shipment is found through the orders
# updated around the time of its event, since creating or changing a shipment updates its order.
ORDERS_WITH_SHIPMENTS = """
query OrdersWithShipments($from: DateTimeTz, $to: DateTimeTz, $limit: Int!, $page: Int!) {
  orders(
    where: {updatedAt: {from: $from, to: $to}, storeType: DIRECT_TO_CONSUMER}
    sort: [number_ASC]
    limit: $limit
    page: $page
  ) {
    number orderDate market { id }
    ... on DirectToConsumerOrder { shipments { id } }
  }
}
"""

RETURN_PARTITIONS_BY_ID = """
query ReturnPartitionsById($ids: [Int!], $limit: Int!, $page: Int!) {
  returns(where: {id: $ids}, sort: [id_ASC], limit: $limit, page: $page) {
    ... on DirectToConsumerReturn { id createdAt order { number orderDate market { id } } }
  }
}
"""

CREATED_RETURNS = """
query CreatedReturns($from: DateTimeTz, $to: DateTimeTz, $limit: Int!, $page: Int!) {
  returns(
    where: {createdAt: {from: $from, to: $to}}
    sort: [id_ASC]
    limit: $limit
    page: $page
  ) {
    ... on DirectToConsumerReturn { id createdAt order { number orderDate market { id } } }
  }
}
"""

MARKET_IDS = """
query MarketIds($limit: Int!, $page: Int!) {
  markets(sort: [id_ASC], limit: $limit, page: $page) { id }
}
"""

# Centra's event queue (digest §8). `object` is the record's current state, null once deleted.
SET_EVENT_LISTENERS = """
mutation SetEventListeners($input: [EventListenerSetInput!]!) {
  setEventListeners(input: $input) {
    eventListeners { objectType changeTypes }
    userErrors { message path }
  }
}
"""

EVENTS = """
query Events($limit: Int) {
  events(limit: $limit) {
    id objectType changeType objectReference
    market { id }
    object {
      __typename
      ... on DirectToConsumerOrder { number orderDate market { id } }
      ... on DirectToConsumerShipment { order { number orderDate market { id } } }
      ... on DirectToConsumerReturn {
        createdAt order { number orderDate market { id } }
      }
    }
  }
}
"""

CONFIRM_EVENTS = """
mutation ConfirmEvents($ids: [Int!]!) {
  confirmEvents(input: {eventsIds: $ids}) {
    events { id }
    userErrors { message path }
  }
}
"""
