"""ID conversion table (digest §7): per-integration entries, overwrites, externalId selectors."""

from centra_pipelines_tests.sandbox.conftest import gql, post

SET = """mutation Set($input: [IdConversionSetInput!]!) { setIdConversions(input: $input) {
  entries { id objectType internalId externalId integrationName }
  userErrors { message path } userWarnings { message path } } }"""
UNSET = """mutation Unset($input: [IdConversionUnsetInput!]!) { unsetIdConversions(input: $input) {
  entries { id externalId } userErrors { message path } userWarnings { message } } }"""
LIST = """query List($where: IdConversionFilter) { idConversions(where: $where) {
  id objectType internalId externalId integrationName } }"""
CONFIRM = """mutation Confirm($order: OrderInput!) { confirmOrder(input: {order: $order}) {
  order { number status } userErrors { message path } } }"""
OTHER_TOKEN = {"tokens": {"wms": ["IdConversion:read", "IdConversion:write", "Order:write"]}}


def _set(sandbox, *entries: dict, token: str | None = None) -> dict:
    body = post(sandbox, SET, {"input": list(entries)}, token=token).json()
    return body["data"]["setIdConversions"]


def _list(sandbox, where: dict | None = None, token: str | None = None) -> list[dict]:
    return post(sandbox, LIST, {"where": where}, token=token).json()["data"]["idConversions"]


def _pending(sandbox) -> int:
    return sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE status = 'PENDING'")


def test_set_is_idempotent_and_listed_per_integration(make_sandbox):
    sandbox = make_sandbox(orders=20, **OTHER_TOKEN, token_integrations={"wms": "wms-bridge"})
    entry = {"objectType": "Warehouse", "internalId": 2, "externalId": "WH-BER"}

    first = _set(sandbox, entry)
    again = _set(sandbox, entry)

    assert first["userErrors"] == [] and first["userWarnings"] == []
    assert first["entries"] == again["entries"]
    assert first["entries"][0] | {"id": 0} == {
        "id": 0,
        "objectType": "Warehouse",
        "internalId": 2,
        "externalId": "WH-BER",
        "integrationName": "centra-pipelines",
    }
    assert (
        _list(sandbox, {"objectType": "Warehouse", "externalId": {"equals": "WH-BER"}})
        == (first["entries"])
    )
    assert _list(sandbox, token="wms") == []


def test_colliding_writes_overwrite_older_entries(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _set(sandbox, {"objectType": "Product", "internalId": 1, "externalId": "P-1"})
    _set(sandbox, {"objectType": "Product", "internalId": 2, "externalId": "P-2"})

    # P-1 now points at product 2, which drops P-2 (one external id per internal id).
    moved = _set(sandbox, {"objectType": "Product", "internalId": 2, "externalId": "P-1"})

    listed = _list(sandbox, {"objectType": ["Product"]})
    assert [(row["externalId"], row["internalId"]) for row in listed] == [("P-1", 2)]
    assert moved["entries"][0]["id"] == listed[0]["id"]


def test_set_refuses_bad_input_and_warns_about_unknown_objects(make_sandbox):
    sandbox = make_sandbox(orders=20)

    payload = _set(
        sandbox,
        {"objectType": "Product", "internalId": 0, "externalId": "X"},
        {"objectType": "Product", "internalId": 1, "externalId": "x" * 256},
        {"objectType": "Customer", "internalId": 999999, "externalId": "C-GONE"},
    )

    assert [error["path"] for error in payload["userErrors"]] == [
        ["input", "0", "internalId"],
        ["input", "1", "externalId"],
    ]
    assert payload["userErrors"][1]["message"] == "externalId must be 1 to 255 characters; got 256."
    assert [entry["externalId"] for entry in payload["entries"]] == ["C-GONE"]
    assert payload["userWarnings"][0]["message"].startswith("No Customer with ID 999999 exists")


def test_unset_by_each_selector_and_unknown_is_a_user_error(make_sandbox):
    sandbox = make_sandbox(orders=20)
    created = _set(
        sandbox,
        {"objectType": "Market", "internalId": 1, "externalId": "SE"},
        {"objectType": "Market", "internalId": 2, "externalId": "EU"},
        {"objectType": "Market", "internalId": 3, "externalId": "NO"},
    )["entries"]

    payload = gql(
        sandbox,
        UNSET,
        {
            "input": [
                {"objectType": "Market", "idConversion": {"id": created[0]["id"]}},
                {"objectType": "Market", "idConversion": {"internalId": 2}},
                {"objectType": "Market", "idConversion": {"externalId": "NO"}},
                {"objectType": "Market", "idConversion": {"externalId": "DK"}},
            ]
        },
    )["unsetIdConversions"]

    assert [entry["externalId"] for entry in payload["entries"]] == ["SE", "EU", "NO"]
    assert payload["userErrors"] == [
        {
            "message": "Could not find IdConversionEntry with ID DK for Market.",
            "path": ["input", "3", "idConversion", "externalId"],
        }
    ]
    assert _list(sandbox) == []


def test_external_id_selectors_resolve_through_the_callers_table(make_sandbox):
    sandbox = make_sandbox(orders=20, **OTHER_TOKEN, token_integrations={"wms": "wms-bridge"})
    number = _pending(sandbox)
    _set(sandbox, {"objectType": "Order", "internalId": number, "externalId": "ERP-SO-1"})

    foreign = post(sandbox, CONFIRM, {"order": {"externalId": "ERP-SO-1"}}, token="wms").json()
    confirmed = gql(sandbox, CONFIRM, {"order": {"externalId": "ERP-SO-1"}})["confirmOrder"]

    assert foreign["data"]["confirmOrder"]["userErrors"] == [
        {
            "message": "Could not find Order with ID ERP-SO-1.",
            "path": ["input", "order", "externalId"],
        }
    ]
    assert confirmed["order"] == {"number": number, "status": "CONFIRMED"}


def test_external_id_of_warehouse_and_variant_in_set_stock(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _set(
        sandbox,
        {"objectType": "Warehouse", "internalId": 1, "externalId": "WH-STO"},
        {"objectType": "ProductVariant", "internalId": 10, "externalId": "SKU-10"},
    )
    mutation = """mutation($variant: String!) { setStock(input: {warehouse: {externalId: "WH-STO"},
      description: "WMS", stockQuantityType: FREE_TO_ALLOCATE, productVariants: [
        {productVariant: {externalId: $variant}, sizeStockLevels: [{size: {name: "S"},
         quantity: 7}]}]}) { stockChanges { warehouse { id } } userErrors { message path } } }"""

    stored = gql(sandbox, mutation, {"variant": "SKU-10"})["setStock"]
    unknown = gql(sandbox, mutation, {"variant": "SKU-NOPE"})["setStock"]

    assert stored == {"stockChanges": [{"warehouse": {"id": 1}}], "userErrors": []}
    assert unknown["userErrors"] == [
        {
            "message": "Could not find ProductVariant with ID SKU-NOPE.",
            "path": ["input", "productVariants", "0", "productVariant", "externalId"],
        }
    ]


def test_size_external_id_is_chart_and_size_name(make_sandbox):
    sandbox = make_sandbox(orders=20)
    chart = sandbox.app.db.one(
        "SELECT c.name AS chart, s.name AS size FROM productSizes ps "
        "JOIN sizes s ON s.id = ps.sizeId JOIN sizeCharts c ON c.id = s.sizeChartId "
        "WHERE ps.productVariantId = 10 ORDER BY ps.sortOrder LIMIT 1"
    )
    mutation = """mutation($size: String!) { setStock(input: {warehouse: {id: 1},
      description: "WMS", stockQuantityType: FREE_TO_ALLOCATE, productVariants: [
        {productVariant: {id: 10}, sizeStockLevels: [{size: {externalId: $size}, quantity: 3}]}]})
      { stockChanges { lines { productSize { description } } } userErrors { message } } }"""

    payload = gql(sandbox, mutation, {"size": f"{chart['chart']}|{chart['size']}"})["setStock"]

    assert payload["userErrors"] == []
    assert payload["stockChanges"][0]["lines"][0]["productSize"]["description"] == chart["size"]


def test_order_update_external_id_becomes_an_entry(make_sandbox):
    sandbox = make_sandbox(orders=20)
    mutation = """mutation { updateDirectToConsumerOrder(order: {number: 39790},
      input: {externalId: "ERP-4711", internalComment: "Booked in ERP"}) {
        order { number internalComment } userErrors { message } } }"""

    payload = gql(sandbox, mutation)["updateDirectToConsumerOrder"]

    assert payload == {
        "order": {"number": 39790, "internalComment": "Booked in ERP"},
        "userErrors": [],
    }
    [entry] = _list(sandbox, {"objectType": "Order"})
    assert (entry["internalId"], entry["externalId"]) == (39790, "ERP-4711")


def test_id_conversions_need_their_permissions(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"reader": ["IdConversion:read"]})
    entry = {"objectType": "Product", "internalId": 1, "externalId": "P-1"}

    denied = post(sandbox, SET, {"input": [entry]}, token="reader").json()
    listed = post(sandbox, LIST, token="reader").json()

    assert denied["errors"][0]["message"] == (
        "You need IdConversion:write permission to access setIdConversions."
    )
    assert listed["data"]["idConversions"] == []
    assert listed["extensions"]["permissionsUsed"] == ["IdConversion:read"]


def test_aliased_writes_each_count_as_a_mutation(make_sandbox):
    sandbox = make_sandbox(orders=20)
    field = (
        "a{0}: setIdConversions(input: {{objectType: Product, internalId: {0}, "
        'externalId: "P{0}"}}) {{ entries {{ id }} }}'
    )
    mutation = "mutation { " + " ".join(field.format(i) for i in (1, 2, 3)) + " }"

    gql(sandbox, mutation)

    assert sandbox.metrics()["mutations"] == 3
    assert len(_list(sandbox)) == 3
