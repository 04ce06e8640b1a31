"""Mutations: userErrors with paths, successful writes, and updatedAt bumps."""

from centra_pipelines_tests.sandbox.conftest import gql, post

SET_STOCK = """mutation Set($warehouse: Int!, $variant: Int!, $size: String!, $quantity: Int!) {
  setStock(input: {warehouse: {id: $warehouse}, description: "WMS sync",
                   stockQuantityType: PHYSICAL,
                   productVariants: [{productVariant: {id: $variant},
                                      sizeStockLevels: [{size: {name: $size},
                                                         quantity: $quantity}]}]}) {
    stockChanges { id lines { deliveredQuantity productSize { SKU } } }
    userErrors { message path }
    userWarnings { message path }
  }
}"""
STOCK_ROW = """{ warehouses(where: {id: 1}) { stock(where: {productSizeId: 101}) {
  physicalQuantity freeToAllocateQuantity allocatedQuantity updatedAt } } }"""
ORDER = """query Order($number: Int!) { order(number: $number) { ... on DirectToConsumerOrder {
  status updatedAt isOnHold otherComment grandTotal { value }
  lines { id quantity cancelledQuantity unitPrice { value } } shipments { id } } } }"""


def _set_stock(sandbox, **overrides) -> dict:
    variables = {"warehouse": 1, "variant": 10, "size": "S", "quantity": 50, **overrides}
    return gql(sandbox, SET_STOCK, variables)["setStock"]


def test_set_stock_negative_quantity_is_a_user_error_with_path(make_sandbox):
    sandbox = make_sandbox()

    payload = _set_stock(sandbox, quantity=-1)

    assert payload["stockChanges"] == []
    assert payload["userErrors"] == [
        {
            "message": "Quantity must be 0 or more; got -1.",
            "path": ["input", "productVariants", "0", "sizeStockLevels", "0", "quantity"],
        }
    ]


def test_set_stock_unknown_warehouse_and_size(make_sandbox):
    sandbox = make_sandbox()

    warehouse = _set_stock(sandbox, warehouse=999)["userErrors"]
    size = _set_stock(sandbox, size="NoSuchSize")["userErrors"]

    assert warehouse[0]["message"] == "Could not find Warehouse with ID 999."
    assert warehouse[0]["path"] == ["input", "warehouse", "id"]
    assert size[0]["message"].startswith("Could not find Size with ID NoSuchSize")


def test_set_stock_physical_keeps_allocations(make_sandbox):
    sandbox = make_sandbox()
    before = gql(sandbox, STOCK_ROW)["warehouses"][0]["stock"][0]

    payload = _set_stock(sandbox, quantity=50)

    after = gql(sandbox, STOCK_ROW)["warehouses"][0]["stock"][0]
    assert payload["userErrors"] == []
    assert payload["stockChanges"][0]["lines"][0]["deliveredQuantity"] == 12
    assert payload["stockChanges"][0]["lines"][0]["productSize"]["SKU"] == "Prod123Var456789S"
    assert after["physicalQuantity"] == 50
    assert after["freeToAllocateQuantity"] == 50 - before["allocatedQuantity"]
    assert after["updatedAt"] > before["updatedAt"]


def test_change_stock_moves_between_warehouses(make_sandbox):
    sandbox = make_sandbox()
    mutation = """mutation { changeStock(input: {outFromWarehouse: {id: 1}, intoWarehouse: {id: 2},
        description: "Transfer", productSizes: [{productSize: {SKU: "Prod123Var456789S"},
        deliveredQuantity: 5}]}) { stockChange { id } userErrors { message path } } }"""
    too_many = mutation.replace("deliveredQuantity: 5", "deliveredQuantity: 500")

    moved = gql(sandbox, mutation)["changeStock"]
    refused = gql(sandbox, too_many)["changeStock"]

    assert moved["userErrors"] == [] and moved["stockChange"]["id"] > 0
    fta = gql(sandbox, STOCK_ROW)["warehouses"][0]["stock"][0]["freeToAllocateQuantity"]
    assert fta == 13
    assert refused["stockChange"] is None
    assert "only 13 free to allocate" in refused["userErrors"][0]["message"]


def test_confirm_order_and_user_error_on_second_confirm(make_sandbox):
    sandbox = make_sandbox()
    number = sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE status = 'PENDING'")
    before = gql(sandbox, ORDER, {"number": number})["order"]
    mutation = (
        f"mutation {{ confirmOrder(input: {{order: {{number: {number}}}}}) "
        "{ order { number status } userErrors { message path } userWarnings { message } } }"
    )

    first = gql(sandbox, mutation)["confirmOrder"]
    second = gql(sandbox, mutation)["confirmOrder"]

    assert first == {
        "order": {"number": number, "status": "CONFIRMED"},
        "userErrors": [],
        "userWarnings": [],
    }
    assert "only PENDING orders can be confirmed" in second["userErrors"][0]["message"]
    after = gql(sandbox, ORDER, {"number": number})["order"]
    assert after["updatedAt"] > before["updatedAt"]


def test_update_order_comments_hold_and_cancel_lines(make_sandbox):
    sandbox = make_sandbox()
    number = sandbox.app.db.scalar(
        "SELECT MIN(o.number) FROM orders o JOIN orderLines l ON l.orderNumber = o.number "
        "WHERE o.status = 'CONFIRMED' AND l.quantity >= 2"
    )
    order = gql(sandbox, ORDER, {"number": number})["order"]
    line = next(line for line in order["lines"] if line["quantity"] >= 2)
    mutation = """mutation Update($number: Int!, $line: Int!) {
      updateDirectToConsumerOrder(order: {number: $number}, input: {otherComment: "Ring på",
          internalComment: "VIP", isOnHold: true,
          cancelLines: [{line: {id: $line}, quantity: 1}]}) {
        order { otherComment isOnHold } userErrors { message path } } }"""

    payload = gql(sandbox, mutation, {"number": number, "line": line["id"]})[
        "updateDirectToConsumerOrder"
    ]

    assert payload == {"order": {"otherComment": "Ring på", "isOnHold": True}, "userErrors": []}
    after = gql(sandbox, ORDER, {"number": number})["order"]
    changed = next(row for row in after["lines"] if row["id"] == line["id"])
    assert (changed["quantity"], changed["cancelledQuantity"]) == (
        line["quantity"] - 1,
        line["cancelledQuantity"] + 1,
    )
    assert (
        round(order["grandTotal"]["value"] - after["grandTotal"]["value"], 2)
        == line["unitPrice"]["value"]
    )


def test_cancel_order_and_refuse_shipped(make_sandbox):
    sandbox = make_sandbox()
    db = sandbox.app.db
    confirmed = db.one("SELECT id FROM orders WHERE status = 'CONFIRMED' LIMIT 1")["id"]
    shipped = db.one("SELECT id FROM orders WHERE status = 'SHIPPED' LIMIT 1")["id"]
    mutation = (
        'mutation {{ cancelDirectToConsumerOrder(id: "{id}", '
        "input: {{cancelAuthorization: true}}) "
        "{{ order {{ id status }} userErrors {{ message }} }} }}"
    )

    ok = gql(sandbox, mutation.format(id=confirmed))["cancelDirectToConsumerOrder"]
    refused = gql(sandbox, mutation.format(id=shipped))["cancelDirectToConsumerOrder"]

    assert ok["order"] == {"id": confirmed, "status": "CANCELLED"} and ok["userErrors"] == []
    assert "Create a return and refund instead" in refused["userErrors"][0]["message"]


def test_mutation_needs_write_permission(make_sandbox):
    sandbox = make_sandbox(tokens={"reader": ["Order:read"]})
    mutation = (
        "mutation { confirmOrder(input: {order: {number: 39790}}) { userErrors { message } } }"
    )

    body = post(sandbox, mutation, token="reader").json()

    assert "data" not in body
    assert body["errors"][0]["message"] == "You need Order:write permission to access confirmOrder."
