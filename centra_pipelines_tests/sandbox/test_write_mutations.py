"""Catalogue, translation, customer and price writes (digest §5.2, §10.3, §10.4)."""

from centra_pipelines_tests.sandbox.conftest import gql, post
from centra_pipelines_tests.sandbox.webhook_receiver import Receiver
from centra_sandbox import WebhookSettings

LISTEN = """mutation { setEventListeners(input: [{objectType: Product}, {objectType: Display},
  {objectType: Customer}, {objectType: Price}]) { userErrors { message } } }"""
EVENTS = """{ events(limit: 200) { objectType changeType objectReference store { id }
  object { __typename } } }"""
PRODUCT = """query P($id: Int!) { products(where: {id: [$id]}) { name status updatedAt
  harmonizedCommodityCode weight { value unit }
  attributes { type { name } elements { key ... on AttributeStringElement { value }
    ... on AttributeChoiceElement { selectedValue } } } } }"""
UPDATE_PRODUCT = """mutation U($id: Int!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id name }
  userErrors { message path } userWarnings { message path } } }"""
DISPLAY = """query D($id: Int!) { displays(where: {id: [$id]}) { name uri description metaTitle
  updatedAt translations { language { code } fields { field value } } } }"""
UPDATE_DISPLAY = """mutation U($id: Int!, $input: DisplayUpdateInput!) {
  updateDisplay(id: $id, input: $input) { display { id uri } userErrors { message path } } }"""
ASSIGN = """mutation A($input: AttributesAssignInput!) { assignAttributes(input: $input) {
  object { ... on Customer { id } ... on Product { id }
    attributes { type { name } elements { key ... on AttributeStringElement { value } } } }
  userErrors { message path } userWarnings { message } } }"""
UNASSIGN = """mutation A($input: AttributesUnassignInput!) { unassignAttributes(input: $input) {
  object { attributes { type { name } } } userErrors { message path } userWarnings { message } }
}"""
LOCALIZE = """mutation L($input: LocalizeInput!) { localize(input: $input) {
  localizedObject { ... on Display { id } } userErrors { message path } } }"""
CREATE_CUSTOMER = """mutation C($input: CustomerCreateInput!) { createCustomer(input: $input) {
  customer { id email firstName registered country: store { id } }
  userErrors { message path } } }"""
UPDATE_CUSTOMER = """mutation U($id: Int!, $input: CustomerUpdateInput!) {
  updateCustomer(id: $id, input: $input) { customer { id firstName newsletter updatedAt }
  userErrors { message path } } }"""
SET_PRICES = """mutation S($input: ProductPricesSetInput!) { setPrices(input: $input) {
  pricelist { id } products { id } userErrors { message path } userWarnings { message path } } }"""
PRICES = """query P($display: Int!) { displays(where: {id: [$display]}) {
  prices(where: {pricelistId: [1]}) { id price { value } recommendedRetailPrice { value }
  productVariant { id } } } }"""


def _events(sandbox) -> list[tuple]:
    return [
        (e["objectType"], e["changeType"], e["objectReference"])
        for e in gql(sandbox, EVENTS)["events"]
    ]


def _product(sandbox, product_id: int) -> dict:
    return gql(sandbox, PRODUCT, {"id": product_id})["products"][0]


def _attribute(product: dict, type_name: str) -> dict:
    found = [a for a in product["attributes"] if a["type"]["name"] == type_name]
    return {e["key"]: e.get("value", e.get("selectedValue")) for e in found[0]["elements"]}


def test_update_product_fields_weight_and_attributes(make_sandbox):
    sandbox = make_sandbox(orders=20)
    before = _product(sandbox, 1)
    gql(sandbox, LISTEN)
    input_value = {
        "name": "Björk Ullkofta II",
        "status": "INACTIVE",
        "harmonizedCommodityCode": "6110.11",
        "weight": {"value": 0.45678, "unit": "KILOGRAMS"},
        "assignMappedAttributes": [{"attributeTypeName": "pr_care", "attributeId": 12}],
        "assignDynamicAttributes": [
            {
                "attributeTypeName": "pr_long_name",
                "attributeElementKey": "text",
                "attributeElementValue": "Björk ullkofta i merino",
            }
        ],
    }

    payload = gql(sandbox, UPDATE_PRODUCT, {"id": 1, "input": input_value})["updateProduct"]

    assert payload["userErrors"] == []
    assert payload["userWarnings"] == [
        {
            "message": "Weight has been rounded to 3 decimal places",
            "path": ["input", "weight", "value"],
        }
    ]
    after = _product(sandbox, 1)
    assert (after["name"], after["status"], after["harmonizedCommodityCode"]) == (
        "Björk Ullkofta II",
        "INACTIVE",
        "6110.11",
    )
    assert after["weight"] == {"value": 0.457, "unit": "KILOGRAMS"}
    assert _attribute(after, "pr_care") == {"care": "machine_40"}
    assert _attribute(after, "pr_long_name") == {"text": "Björk ullkofta i merino"}
    assert after["updatedAt"] > before["updatedAt"]
    assert _events(sandbox) == [("Product", "UPDATED", 1)]


def test_update_product_refusals(make_sandbox):
    sandbox = make_sandbox(orders=20)

    def errors(product_id: int, **input_value) -> list[dict]:
        variables = {"id": product_id, "input": input_value}
        return gql(sandbox, UPDATE_PRODUCT, variables)["updateProduct"]["userErrors"]

    assert errors(99999, name="X") == [
        {"message": "Could not find Product with ID 99999.", "path": ["id"]}
    ]
    assert errors(1, name=" ")[0]["path"] == ["input", "name"]
    assert errors(1, weight={"value": -1, "unit": "GRAMS"})[0]["path"] == ["input", "weight"]
    wrong_kind = errors(
        1, assignMappedAttributes=[{"attributeTypeName": "pr_long_name", "attributeId": 1}]
    )
    assert wrong_kind[0]["message"] == (
        "Attribute type pr_long_name is dynamic; send it in dynamicAttributes."
    )
    other_type = errors(
        1, assignMappedAttributes=[{"attributeTypeName": "var_swatch", "attributeId": 21}]
    )
    assert other_type[0]["message"] == (
        "Attribute type var_swatch belongs to ProductVariant, not Product."
    )
    unknown = errors(1, assignMappedAttributes=[{"attributeTypeName": "pr_care", "attributeId": 1}])
    assert unknown[0]["path"] == ["input", "assignMappedAttributes", "0", "attributeId"]
    assert _product(sandbox, 1)["name"] != " "


def test_update_product_attributes_need_their_own_permission(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"pim": ["Product:read", "Product:write"]})
    plain = {"id": 1, "input": {"name": "Ny"}}
    with_attributes = {
        "id": 1,
        "input": {"assignMappedAttributes": [{"attributeTypeName": "pr_care", "attributeId": 12}]},
    }

    allowed = post(sandbox, UPDATE_PRODUCT, plain, token="pim").json()
    denied = post(sandbox, UPDATE_PRODUCT, with_attributes, token="pim").json()

    assert allowed["data"]["updateProduct"]["product"]["name"] == "Ny"
    assert denied["errors"][0]["message"] == (
        "You need Product.attributes:write permission to access updateProduct."
    )


def test_update_display_seo_fields_and_uri(make_sandbox):
    sandbox = make_sandbox(orders=20)
    before = gql(sandbox, DISPLAY, {"id": 1})["displays"][0]
    gql(sandbox, LISTEN)

    payload = gql(
        sandbox,
        UPDATE_DISPLAY,
        {"id": 1, "input": {"name": "Björk Tröja", "uri": "", "metaTitle": "Tröja | Fjäll"}},
    )["updateDisplay"]
    taken = gql(sandbox, UPDATE_DISPLAY, {"id": 2, "input": {"uri": "bjork-troja"}})[
        "updateDisplay"
    ]

    assert payload == {"display": {"id": 1, "uri": "bjork-troja"}, "userErrors": []}
    after = gql(sandbox, DISPLAY, {"id": 1})["displays"][0]
    assert (after["name"], after["metaTitle"]) == ("Björk Tröja", "Tröja | Fjäll")
    assert after["description"] == before["description"]
    assert after["updatedAt"] > before["updatedAt"]
    assert taken["userErrors"][0]["path"] == ["input", "uri"]
    assert gql(sandbox, EVENTS)["events"] == [
        {
            "objectType": "Display",
            "changeType": "UPDATED",
            "objectReference": 1,
            "store": {"id": 1},
            "object": {"__typename": "Display"},
        }
    ]


def test_assign_and_unassign_attributes_of_a_customer(make_sandbox):
    sandbox = make_sandbox(orders=20)
    gql(sandbox, LISTEN)
    dynamic = {"attributeTypeName": "cus_extra", "attributeElementKey": "text"}

    assigned = gql(
        sandbox,
        ASSIGN,
        {
            "input": {
                "objectType": "Customer",
                "objectId": 1,
                "dynamicAttributes": [{**dynamic, "attributeElementValue": "Ringer ofta"}],
            }
        },
    )["assignAttributes"]
    removed = gql(
        sandbox,
        UNASSIGN,
        {"input": {"objectType": "Customer", "objectId": 1, "dynamicAttributes": [dynamic]}},
    )["unassignAttributes"]
    again = gql(
        sandbox,
        UNASSIGN,
        {"input": {"objectType": "Customer", "objectId": 1, "dynamicAttributes": [dynamic]}},
    )["unassignAttributes"]

    assert assigned["userErrors"] == []
    assert assigned["object"]["id"] == 1
    assert assigned["object"]["attributes"] == [
        {
            "type": {"name": "cus_extra"},
            "elements": [{"key": "text", "value": "Ringer ofta"}, {"key": "vip", "value": None}],
        }
    ]
    assert removed["object"]["attributes"] == []
    assert "nothing to unassign" in again["userWarnings"][0]["message"]
    assert _events(sandbox) == [("Customer", "UPDATED", 1), ("Customer", "UPDATED", 1)]


def test_unassign_mapped_attribute_and_refusals(make_sandbox):
    sandbox = make_sandbox(orders=20)
    material = sandbox.app.db.scalar(
        "SELECT mappedAttributeId FROM objectAttributes WHERE objectType = 'Product' "
        "AND objectId = 1 AND typeName = 'pr_materials'"
    )
    mapped = [{"attributeTypeName": "pr_materials", "attributeId": material}]

    removed = gql(
        sandbox,
        UNASSIGN,
        {"input": {"objectType": "Product", "objectId": 1, "mappedAttributes": mapped}},
    )["unassignAttributes"]
    voucher = gql(
        sandbox,
        ASSIGN,
        {"input": {"objectType": "Voucher", "objectId": 1, "mappedAttributes": mapped}},
    )["assignAttributes"]
    empty = gql(sandbox, ASSIGN, {"input": {"objectType": "Product", "objectId": 1}})[
        "assignAttributes"
    ]

    names = [a["type"]["name"] for a in removed["object"]["attributes"]]
    assert removed["userErrors"] == [] and "pr_materials" not in names
    assert voucher["userErrors"][0]["path"] == ["input", "objectType"]
    assert empty["userErrors"] == [
        {"message": "Give mappedAttributes, dynamicAttributes or both.", "path": ["input"]}
    ]


def _translations(sandbox, display_id: int, code: str) -> dict:
    display = gql(sandbox, DISPLAY, {"id": display_id})["displays"][0]
    [language] = [t for t in display["translations"] if t["language"]["code"] == code]
    return {field["field"]: field["value"] for field in language["fields"]}


def test_localize_sets_and_removes_translations(make_sandbox):
    sandbox = make_sandbox(orders=20)
    gql(sandbox, LISTEN)
    translations = [
        {"field": "metaTitle", "value": "Björktröja | Fjällgården"},
        {"field": "description", "value": None},
        {"field": "attributes.prd_meta_title.text", "value": "Meta"},
    ]

    payload = gql(
        sandbox,
        LOCALIZE,
        {
            "input": {
                "objectType": "Display",
                "objectId": 1,
                "language": {"code": "sv"},
                "translations": translations,
            }
        },
    )["localize"]

    assert payload == {"localizedObject": {"id": 1}, "userErrors": []}
    swedish = _translations(sandbox, 1, "sv")
    assert swedish["metaTitle"] == "Björktröja | Fjällgården"
    assert swedish["attributes.prd_meta_title.text"] == "Meta"
    assert "description" not in swedish
    assert _events(sandbox) == [("Display", "UPDATED", 1)]


def test_localize_refusals_and_permission(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"reader": ["Translation:read"]})
    input_value = {
        "objectType": "Display",
        "objectId": 1,
        "language": {"code": "xx"},
        "translations": [{"field": "colour", "value": "Röd"}],
    }

    payload = gql(sandbox, LOCALIZE, {"input": input_value})["localize"]
    denied = post(sandbox, LOCALIZE, {"input": input_value}, token="reader").json()

    assert [error["path"] for error in payload["userErrors"]] == [
        ["input", "language", "code"],
        ["input", "translations", "0", "field"],
    ]
    assert denied["errors"][0]["message"] == (
        "You need Translation:write permission to access localize."
    )


def test_create_and_update_customer(make_sandbox):
    sandbox = make_sandbox(orders=20)
    gql(sandbox, LISTEN)
    new = {"email": "elin.nystrom@example.com", "firstName": "Elin", "externalId": "ZD-77"}

    created = gql(sandbox, CREATE_CUSTOMER, {"input": new})["createCustomer"]
    duplicate = gql(sandbox, CREATE_CUSTOMER, {"input": new})["createCustomer"]
    guest_input = {"email": new["email"], "registered": False}
    guest = gql(sandbox, CREATE_CUSTOMER, {"input": guest_input})
    customer_id = created["customer"]["id"]
    updated = gql(sandbox, UPDATE_CUSTOMER, {"id": customer_id, "input": {"newsletter": True}})[
        "updateCustomer"
    ]

    assert created["userErrors"] == []
    assert created["customer"]["email"] == "elin.nystrom@example.com"
    assert "already the registered customer" in duplicate["userErrors"][0]["message"]
    assert guest["createCustomer"]["userErrors"] == []
    assert updated["customer"]["newsletter"] is True
    read = gql(
        sandbox, '{ customers(where: {email: {equals: "elin.nystrom@example.com"}}) { id } }'
    )
    assert len(read["customers"]) == 2
    external = gql(sandbox, "{ idConversions(where: {objectType: Customer}) { internalId } }")
    assert external["idConversions"] == [{"internalId": customer_id}]
    guest_id = guest["createCustomer"]["customer"]["id"]
    assert _events(sandbox) == [
        ("Customer", "CREATED", customer_id),
        ("Customer", "CREATED", guest_id),
        ("Customer", "UPDATED", customer_id),
    ]


def test_customer_refusals(make_sandbox):
    sandbox = make_sandbox(orders=20)

    bad_email = gql(sandbox, CREATE_CUSTOMER, {"input": {"email": "not-an-email"}})
    wholesale = gql(sandbox, CREATE_CUSTOMER, {"input": {"email": "a@b.se", "store": {"id": 2}}})
    missing = gql(sandbox, UPDATE_CUSTOMER, {"id": 999999, "input": {"firstName": "X"}})

    assert bad_email["createCustomer"]["userErrors"][0]["path"] == ["input", "email"]
    assert "direct-to-consumer" in wholesale["createCustomer"]["userErrors"][0]["message"]
    assert missing["updateCustomer"]["userErrors"] == [
        {"message": "Could not find Customer with ID 999999.", "path": ["id"]}
    ]


def _prices(sandbox, display_id: int) -> dict[int, float]:
    rows = gql(sandbox, PRICES, {"display": display_id})["displays"][0]["prices"]
    return {row["productVariant"]["id"]: row["price"]["value"] for row in rows}


def test_set_prices_keeps_individual_variant_prices_unless_overridden(make_sandbox):
    sandbox = make_sandbox(orders=20)
    # Product 4: variants 40-42 at the product price, 43 with an individual price.
    before = _prices(sandbox, 4)
    gql(sandbox, LISTEN)
    entry = {"product": {"id": 4}, "price": {"value": 899, "currencyIsoCode": "SEK"}}

    kept = gql(
        sandbox,
        SET_PRICES,
        {
            "input": {
                "pricelist": {"id": 1},
                "productPrices": [{**entry, "overrideIndividualVariantPrices": False}],
            }
        },
    )["setPrices"]
    after_kept = _prices(sandbox, 4)
    overridden = gql(
        sandbox,
        SET_PRICES,
        {
            "input": {
                "pricelist": {"id": 1},
                "productPrices": [
                    {
                        **entry,
                        "overrideIndividualVariantPrices": True,
                        "recommendedRetailPrice": {"value": 999},
                        "individualVariantPrices": [
                            {"productVariant": {"id": 41}, "price": {"value": 850}}
                        ],
                    }
                ],
            }
        },
    )["setPrices"]

    assert kept == {
        "pricelist": {"id": 1},
        "products": [{"id": 4}],
        "userErrors": [],
        "userWarnings": [],
    }
    assert after_kept == {40: 899.0, 41: 899.0, 42: 899.0, 43: before[43]}
    assert overridden["userErrors"] == []
    assert _prices(sandbox, 4) == {40: 899.0, 41: 850.0, 42: 899.0, 43: 899.0}
    price_ids = {row["objectReference"] for row in gql(sandbox, EVENTS)["events"]}
    assert len(price_ids) == 4
    assert {kind for kind, *_ in _events(sandbox)} == {"Price"}


def test_set_prices_refusals_and_warnings(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"reader": ["Price:read"]})

    def set_prices(*entries: dict) -> dict:
        variables = {"input": {"pricelist": {"id": 1}, "productPrices": list(entries)}}
        return gql(sandbox, SET_PRICES, variables)["setPrices"]

    euro = set_prices(
        {"product": {"id": 4}, "price": {"value": 80, "currencyIsoCode": "EUR"},
         "overrideIndividualVariantPrices": False}
    )  # fmt: skip
    warned = set_prices(
        {"product": {"id": 5}, "overrideIndividualVariantPrices": False,
         "individualVariantPrices": [{"productVariant": {"id": 40}, "price": {"value": 1}}]},
        {"product": {"id": 5}, "overrideIndividualVariantPrices": False},
        {"product": {"id": 83}, "overrideIndividualVariantPrices": False},
    )  # fmt: skip
    denied = post(
        sandbox, SET_PRICES, {"input": {"pricelist": {"id": 1}, "productPrices": []}}, "reader"
    ).json()

    assert euro["userErrors"] == [
        {
            "message": "Currency EUR does not match the pricelist's currency SEK.",
            "path": ["input", "productPrices", "0", "price", "currencyIsoCode"],
        }
    ]
    assert [warning["message"] for warning in warned["userWarnings"]] == [
        "Product variant with id 40 not assigned to product 5",
        "Duplicate product ID 5 skipped",
        "Product ID 83 is a bundle with dynamic price type, changing its prices has no effect, "
        "skipped",
    ]
    assert denied["errors"][0]["message"] == "You need Price:write permission to access setPrices."


def test_aliased_catalogue_writes_each_count(make_sandbox):
    sandbox = make_sandbox(orders=20)
    mutation = """mutation { a: updateProduct(id: 1, input: {name: "A"}) { product { id } }
      b: updateProduct(id: 2, input: {name: "B"}) { product { id } }
      c: updateDisplay(id: 1, input: {metaKeywords: "ull"}) { display { id } } }"""

    gql(sandbox, mutation)

    assert sandbox.metrics()["mutations"] == 3
    assert [_product(sandbox, i)["name"] for i in (1, 2)] == ["A", "B"]


def test_price_and_display_writes_reach_the_checkout_webhook(make_sandbox):
    receiver = Receiver().start()
    try:
        webhook = WebhookSettings(url=receiver.url, mode="checkout")
        sandbox = make_sandbox(orders=20, webhook=webhook)
        entry = {
            "product": {"id": 4},
            "overrideIndividualVariantPrices": False,
            "individualVariantPrices": [{"productVariant": {"id": 41}, "price": {"value": 5}}],
        }

        gql(sandbox, SET_PRICES, {"input": {"pricelist": {"id": 1}, "productPrices": [entry]}})
        gql(sandbox, UPDATE_DISPLAY, {"id": 1, "input": {"metaKeywords": "ull"}})
        sandbox.webhooks.flush(timeout=5)

        payloads = [call.payload for call in receiver.calls]
    finally:
        receiver.stop()
    items = sandbox.app.db.all("SELECT id, displayId, productVariantId FROM displayItems")
    item_of_41 = next(str(row["id"]) for row in items if row["productVariantId"] == 41)
    display_1 = [str(row["id"]) for row in items if row["displayId"] == 1]
    assert [payload["products"] for payload in payloads] in (
        [[item_of_41], display_1],
        [[item_of_41, *display_1]],
    )
