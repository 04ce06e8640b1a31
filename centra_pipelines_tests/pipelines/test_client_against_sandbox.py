"""The client and the sandbox, two independent readings of Centra's API, meet over HTTP here."""

from datetime import date

import dagster as dg
import pytest

from centra_pipelines.centra.assets.orders import centra_orders
from centra_pipelines.centra.assets.reference import listed_entity_assets
from centra_pipelines.centra.client import errors
from centra_pipelines.models.partitions import market_partitions

STORES = "query Stores { stores(limit: 10, page: 1) { id name type } }"

SET_STOCK = """
mutation SetStock($input: StockSetInput!) {
  setStock(input: $input) {
    stockChanges { id }
    userErrors { message path }
    userWarnings { message }
  }
}
"""


FIRST_VARIANT = """
query FirstVariant {
  products(sort: [id_ASC], limit: 1, page: 1) { variants { id productSizes { description } } }
}
"""


@pytest.mark.parametrize("retry_after_format", ["seconds", "http-date", "epoch"])
def test_a_429_is_waited_out_in_each_retry_after_form(pipeline, retry_after_format):
    """Centra documents Retry-After as 'a timestamp' without a format; every form must work."""
    pipeline.sandbox.faults.throttle_next(
        retry_after_seconds=1, retry_after_format=retry_after_format
    )
    client = pipeline.client()

    data = client.execute(STORES)

    assert data["stores"], "the retried request returned no stores"
    assert client.usage.throttled == 1
    assert client.usage.retries == 1
    assert pipeline.sandbox.metrics()["throttled"] == 1
    assert client.usage.waited_seconds >= 0.9


def test_a_user_error_from_a_mutation_raises_with_its_path(pipeline):
    client = pipeline.client()
    product = client.execute(FIRST_VARIANT)["products"][0]
    variant = product["variants"][0]
    stock_input = {
        "warehouse": {"id": 1},
        "description": "negative stock from a test",
        "stockQuantityType": "PHYSICAL",
        "productVariants": [
            {
                "productVariant": {"id": variant["id"]},
                "sizeStockLevels": [
                    {"size": {"name": variant["productSizes"][0]["description"]}, "quantity": -5}
                ],
            }
        ],
    }

    with pytest.raises(errors.CentraUserErrors) as raised:
        client.mutate(SET_STOCK, variables={"input": stock_input}, payload_field="setStock")

    assert raised.value.user_errors, "no userErrors were carried by the exception"
    assert any(error.get("path") for error in raised.value.user_errors)


def test_orders_inserted_and_updated_between_pages_are_neither_skipped_nor_repeated(pipeline):
    dg.materialize(
        [next(a for a in listed_entity_assets if a.key.path[-1] == "markets")],
        instance=pipeline.instance,
        resources=pipeline.resources(),
    )
    market_id = int(pipeline.instance.get_dynamic_partitions(market_partitions.name)[0])
    day = date(2026, 11, 2)
    before = _order_numbers(pipeline, market_id, day)
    changed = []

    def change_data_between_pages(operation_name, variables):
        if operation_name == "Orders" and variables.get("after") and not changed:
            changed.extend(pipeline.sandbox.control.create_orders(market_id, day, count=3))
            pipeline.sandbox.control.touch_orders(before[:3])

    pipeline.sandbox.add_request_hook(change_data_between_pages)
    dg.materialize(
        [centra_orders],
        partition_key=f"{day.isoformat()}|{market_id}",
        instance=pipeline.instance,
        resources=pipeline.resources(page_size=3),
    )

    synced = [
        row[0] for row in pipeline.warehouse.fetch("SELECT order_number FROM centra_raw.orders")
    ]
    assert changed, "the hook never ran: the partition had a single page"
    assert len(synced) == len(set(synced))
    assert set(before) <= set(synced)


def _order_numbers(pipeline, market_id: int, day: date) -> list[int]:
    query = """
    query Numbers(
      $first: Int!, $after: String, $market: [Int!], $from: DateTimeTz, $to: DateTimeTz
    ) {
      orderConnection(first: $first, after: $after, sort: [number_ASC],
                      where: {marketId: $market, orderDate: {from: $from, to: $to}}) {
        edges { node { number } }
        pageInfo { hasNextPage endCursor }
      }
    }
    """
    variables = {
        "market": [market_id],
        "from": f"{day.isoformat()}T00:00:00+00:00",
        "to": f"{day.isoformat()}T23:59:59+00:00",
    }
    pages = pipeline.client().iter_connection(
        query, connection_path="orderConnection", variables=variables, key="number"
    )
    return [node["number"] for page in pages for node in page]
