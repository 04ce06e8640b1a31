"""Prices both ways between Centra and the ERP: copied, settled by policy, sent once."""

from decimal import Decimal

import requests

from centra_pipelines.definitions import defs
from centra_pipelines.erp.prices import (
    centra_prices,
    erp_prices_plan,
    erp_prices_sent_to_centra,
    erp_prices_sent_to_erp,
)
from centra_pipelines_tests.erp.helpers import erp_rows, metadata, run
from sandbox_systems.erp import prices as erp_prices

FLOW = (erp_prices_plan, erp_prices_sent_to_centra, erp_prices_sent_to_erp)

SET_PRICE = """
mutation Set($input: ProductPricesSetInput!) {
  setPrices(input: $input) { userErrors { message } }
}
"""


def seed(world) -> dict[str, list[str]]:
    """The ERP's price lists from Centra's prices, three raised and one left out."""
    world.warehouse.close()
    names = dict(world.warehouse.fetch("SELECT id, name FROM centra_raw.pricelists"))
    rows = [
        {
            "pricelist_id": int(key.split("|")[0]),
            "pricelist_name": names[int(key.split("|")[0])],
            "currency": side.values["currency"],
            "product_number": key.split("|", 1)[1],
            "price": side.values["price"],
        }
        for key, side in centra_prices(world.warehouse).items()
    ]
    return erp_prices.seed(world.erp_url, rows)


def sync_prices(world, *markets: int) -> dict[str, Decimal]:
    """Read the markets' prices from Centra again, as the main job does; Centra's prices."""
    world.warehouse.close()
    for market in markets or (1, 2, 3, 4, 5):
        job = defs.resolve_job_def("centra_prices_sync")
        assert job.execute_in_process(instance=world.instance, partition_key=str(market)).success
    return {key: side.values["price"] for key, side in centra_prices(world.warehouse).items()}


def plain_products(world) -> list[str]:
    """Product numbers of products that are not bundles (a bundle may be priced by its items)."""
    world.warehouse.close()
    rows = world.warehouse.fetch(
        "SELECT product_number FROM centra_raw.products WHERE NOT is_bundle ORDER BY product_number"
    )
    return [row[0] for row in rows]


def erp_price(world, code: str, item: str) -> Decimal:
    sql = (
        "SELECT unit_price FROM erp.price_list_prices "
        "WHERE price_list_code = :c AND item_number = :i"
    )
    return erp_rows(world, sql, c=code, i=item)[0][0]


def set_centra_price(world, pricelist_id: int, product_number: str, price: str) -> None:
    world.warehouse.close()
    product_id = world.warehouse.fetch(
        "SELECT id FROM centra_raw.products WHERE product_number = ?", [product_number]
    )[0][0]
    price_input = {
        "pricelist": {"id": pricelist_id},
        "productPrices": [
            {
                "product": {"id": product_id},
                "price": {"value": float(price)},
                "overrideIndividualVariantPrices": True,
            }
        ],
    }
    response = requests.post(
        world.sandbox.url,
        json={"query": SET_PRICE, "variables": {"input": price_input}},
        headers={"Authorization": f"Bearer {world.sandbox.token}"},
        timeout=30,
    )
    assert response.json()["data"]["setPrices"]["userErrors"] == []


def set_erp_price(world, code: str, item: str, price: str) -> None:
    erp_rows(
        world,
        "UPDATE erp.price_list_prices SET unit_price = :p "
        "WHERE price_list_code = :c AND item_number = :i",
        p=Decimal(price),
        c=code,
        i=item,
    )


def test_a_price_changed_on_both_sides_is_settled_by_the_erp_and_sent_once(world):
    differences = seed(world)
    raised = differences["raised"][0]
    code, item = raised.split("|")
    eu_key = f"2|{item}"
    before = sync_prices(world, 2)

    first = run(world, *FLOW)

    assert first.success
    plan = metadata(first, "erp__prices_plan")
    # With nothing agreed yet, a difference is a conflict: the ERP decides prices.
    assert (plan["to_centra"], plan["to_erp"], plan["conflicts"]) == (3, 1, 3)
    assert metadata(first, "erp__prices_sent_to_centra")["sent"] == 3
    assert metadata(first, "erp__prices_sent_to_erp")["sent"] == 1
    code_us, item_us = differences["left_out"][0].split("|")
    assert erp_price(world, code_us, item_us) > 0

    # Before Centra's prices are read again, the warehouse still shows the old price: nothing
    # may bounce back to the ERP.
    again = run(world, *FLOW)
    assert metadata(again, "erp__prices_sent_to_erp")["sent"] == 0
    assert metadata(again, "erp__prices_sent_to_centra")["sent"] == 0

    after = sync_prices(world)
    assert after[eu_key] == erp_price(world, code, item) != before[eu_key]

    # Between two runs, the same Swedish price changes in Centra and in the ERP.
    both, centra_only, erp_only = plain_products(world)[:3]
    set_centra_price(world, 1, both, "111")
    set_erp_price(world, "RET-SE", both, "222")
    set_centra_price(world, 1, centra_only, "333")
    set_erp_price(world, "RET-SE", erp_only, "444")
    sync_prices(world, 1)

    second = run(world, *FLOW)

    assert second.success
    world.warehouse.close()
    row = world.warehouse.fetch(
        "SELECT field, centra_value, other_value, policy, winner, status FROM outbound.conflicts "
        "WHERE entity = 'prices' AND record_key = ? ORDER BY conflict_id DESC LIMIT 1",
        [f"1|{both}"],
    )
    assert row == [("price", '"111.00"', '"222.00"', "system_of_record (erp)", "erp", "resolved")]
    centra_now = sync_prices(world, 1)
    assert centra_now[f"1|{both}"] == Decimal("222.00") == erp_price(world, "RET-SE", both)
    assert erp_price(world, "RET-SE", centra_only) == Decimal("333.00")
    assert centra_now[f"1|{erp_only}"] == Decimal("444.00")

    third = run(world, *FLOW)

    assert metadata(third, "erp__prices_plan")["would_send"] == 0
    assert metadata(third, "erp__prices_sent_to_centra")["sent"] == 0
    assert metadata(third, "erp__prices_sent_to_erp")["sent"] == 0


def test_the_dry_run_lists_the_writes_and_sends_nothing(world):
    differences = seed(world)
    mutations = world.sandbox.metrics()["mutations"]
    code, item = differences["raised"][0].split("|")
    erp_before = erp_price(world, code, item)

    dry = run(world, erp_prices_plan)

    plan = metadata(dry, "erp__prices_plan")
    assert plan["would_send"] == 4
    assert f"| centra | 2|{item} |  | price {erp_before} |" in plan["preview"]
    assert world.sandbox.metrics()["mutations"] == mutations
    assert erp_price(world, code, item) == erp_before
    code_us, item_us = differences["left_out"][0].split("|")
    assert not erp_rows(
        world,
        "SELECT 1 FROM erp.price_list_prices WHERE price_list_code = :c AND item_number = :i",
        c=code_us,
        i=item_us,
    )


def test_an_erp_price_in_another_currency_blocks_the_send(world):
    differences = seed(world)
    code, item = differences["raised"][0].split("|")
    erp_rows(
        world,
        "UPDATE erp.price_list_prices SET currency = 'USD' "
        "WHERE price_list_code = :c AND item_number = :i",
        c=code,
        i=item,
    )
    mutations = world.sandbox.metrics()["mutations"]

    result = run(world, *FLOW)

    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert not checks["every_row_planned"].passed
    assert "currency USD" in checks["every_row_planned"].metadata["reasons"].value
    assert world.sandbox.metrics()["mutations"] == mutations


def hidden_us_product(world) -> str:
    """A plain product whose displays are in no market the USD pricelist (5, US) serves."""
    world.warehouse.close()
    rows = world.warehouse.fetch(
        "SELECT p.product_number FROM centra_raw.products p "
        "JOIN centra_raw.displays d ON d.product_id = p.id WHERE NOT p.is_bundle "
        "GROUP BY p.product_number "
        "HAVING NOT bool_or(list_contains(CAST(d.market_ids AS INTEGER[]), 5)) "
        "AND bool_or(list_contains(CAST(d.market_ids AS INTEGER[]), 1)) ORDER BY 1 LIMIT 1"
    )
    return rows[0][0]


def test_an_erp_price_centra_cannot_show_is_neither_sent_nor_a_conflict(world):
    """Centra stores a price of a product with no display in the pricelist's markets, but the
    market-by-market price sync never reads it back: sent, it would look deleted in Centra on
    every later run, a conflict nobody can close."""
    number = hidden_us_product(world)
    rows = [
        {
            "pricelist_id": int(key.split("|")[0]),
            "pricelist_name": "",
            "currency": side.values["currency"],
            "product_number": key.split("|", 1)[1],
            "price": side.values["price"],
        }
        for key, side in centra_prices(world.warehouse).items()
    ]
    us = {"pricelist_id": 5, "pricelist_name": "", "currency": "USD", "price": Decimal("59")}
    erp_prices.seed(world.erp_url, [*rows, {**us, "product_number": number}], raised=0, left_out=0)
    mutations = world.sandbox.metrics()["mutations"]

    first = run(world, *FLOW)

    assert first.success
    plan = metadata(first, "erp__prices_plan")
    assert (plan["would_send"], plan["conflicts"]) == (0, 0)
    assert plan["not_shown_in_centra"] == 1
    assert plan["not_shown_in_centra_records"] == f"5|{number}"
    assert world.sandbox.metrics()["mutations"] == mutations
    logged = [entry.user_message for entry in world.instance.all_logs(first.run_id)]
    assert any(f"5|{number}" in text and "add its display to a market" in text for text in logged)

    sync_prices(world)
    second = run(world, *FLOW)

    assert metadata(second, "erp__prices_plan")["would_send"] == 0
    world.warehouse.close()
    assert world.warehouse.fetch("SELECT * FROM outbound.conflicts WHERE status = 'held'") == []
