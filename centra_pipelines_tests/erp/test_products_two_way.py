"""Products both ways between Centra and the ERP's item master: copied, settled, held, sent once."""

from decimal import Decimal

import requests
import yaml

from centra_pipelines.config.conflicts import DEFAULT_PATH, PATH_VARIABLE
from centra_pipelines.definitions import defs
from centra_pipelines.erp.products import (
    centra_products,
    erp_products_plan,
    erp_products_sent_to_centra,
    erp_products_sent_to_erp,
)
from centra_pipelines_tests.erp.helpers import erp_rows, metadata, run
from sandbox_systems.erp import products as erp_items

FLOW = (erp_products_plan, erp_products_sent_to_centra, erp_products_sent_to_erp)
NEW_IN_ERP = {
    "product_number": "ERP-ONLY-1",
    "name": "Prototype jacket",
    "harmonized_commodity_code": "6201400000",
    "country_of_origin": "PT",
    "weight_kg": Decimal("0.800"),
}

UPDATE = """
mutation Update($id: Int!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { userErrors { message } }
}
"""


def seed(world) -> dict[str, list[str]]:
    world.warehouse.close()
    rows = [
        {"product_number": number, **side.values}
        for number, side in centra_products(world.warehouse).items()
    ]
    return erp_items.seed(world.erp_url, rows, erp_only=[NEW_IN_ERP])


def sync_products(world) -> dict[str, dict]:
    """Read the catalogue from Centra again, as the main job does; Centra's products."""
    world.warehouse.close()
    job = defs.resolve_job_def("centra_catalog_sync")
    assert job.execute_in_process(instance=world.instance).success
    return {number: side.values for number, side in centra_products(world.warehouse).items()}


def update_centra(world, number: str, product_input: dict) -> None:
    world.warehouse.close()
    product_id = world.warehouse.fetch(
        "SELECT id FROM centra_raw.products WHERE product_number = ?", [number]
    )[0][0]
    response = requests.post(
        world.sandbox.url,
        json={"query": UPDATE, "variables": {"id": product_id, "input": product_input}},
        headers={"Authorization": f"Bearer {world.sandbox.token}"},
        timeout=30,
    )
    assert response.json()["data"]["updateProduct"]["userErrors"] == []


def erp_item(world, number: str) -> tuple:
    return erp_rows(
        world,
        "SELECT description, tariff_code, origin_country, net_weight_g FROM erp.items "
        "WHERE item_number = :n",
        n=number,
    )[0]


def update_erp(world, number: str, **columns) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    erp_rows(
        world, f"UPDATE erp.items SET {assignments} WHERE item_number = :n", n=number, **columns
    )


def checks(result) -> dict:
    return {check.check_name: check for check in result.get_asset_check_evaluations()}


def test_a_weight_changed_on_both_sides_goes_to_the_newer_side_and_is_sent_once(world):
    differences = seed(world)

    first = run(world, *FLOW)

    assert first.success
    plan = metadata(first, "erp__products_plan")
    # Nothing agreed yet: the ERP's heavier weights are conflicts its newer rows win.
    assert (plan["to_centra"], plan["to_erp"], plan["conflicts"]) == (2, 1, 2)
    (created,) = differences["left_out"]
    assert erp_item(world, created)[0]
    item_only = checks(first)["conflicts"]
    assert not item_only.passed
    assert item_only.metadata["erp_only_records"].value == "ERP-ONLY-1"

    centra = sync_products(world)
    heavier = differences["reweighed"][0]
    assert centra[heavier]["weight_kg"] == Decimal(erp_item(world, heavier)[3]) / 1000

    # Between two runs: both sides weigh the same product; the ERP's change comes later.
    both, centra_only, erp_only = sorted(centra)[5:8]
    update_centra(world, both, {"weight": {"value": 1.111, "unit": "KILOGRAMS"}})
    update_erp(world, both, net_weight_g=2222)
    update_centra(world, centra_only, {"name": "Renamed in Centra"})
    country = "SE" if centra[erp_only]["country_of_origin"] != "SE" else "NO"
    update_erp(world, erp_only, origin_country=country)
    sync_products(world)

    second = run(world, *FLOW)

    assert second.success
    world.warehouse.close()
    conflict = world.warehouse.fetch(
        "SELECT field, centra_value, other_value, policy, winner, status FROM outbound.conflicts "
        "WHERE entity = 'products' AND record_key = ? ORDER BY conflict_id DESC LIMIT 1",
        [both],
    )
    assert conflict == [("weight_kg", '"1.111"', '"2.222"', "newest_wins", "erp", "resolved")]
    centra = sync_products(world)
    assert centra[both]["weight_kg"] == Decimal("2.222") and erp_item(world, both)[3] == 2222
    assert erp_item(world, centra_only)[0] == "Renamed in Centra"
    assert centra[erp_only]["country_of_origin"] == country

    third = run(world, *FLOW)

    assert metadata(third, "erp__products_plan")["would_send"] == 0
    assert metadata(third, "erp__products_sent_to_centra")["sent"] == 0
    assert metadata(third, "erp__products_sent_to_erp")["sent"] == 0


def test_a_held_field_is_written_nowhere_and_shows_in_the_check(world, tmp_path, monkeypatch):
    config = yaml.safe_load(DEFAULT_PATH.read_text())
    config["entities"]["products"]["fields"]["weight_kg"] = {"policy": "hold"}
    (tmp_path / "conflicts.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path / "conflicts.yaml"))
    differences = seed(world)
    heavier = differences["reweighed"][0]
    erp_before = erp_item(world, heavier)
    mutations = world.sandbox.metrics()["mutations"]

    dry = run(world, erp_products_plan)

    assert metadata(dry, "erp__products_plan")["to_centra"] == 0
    held = checks(dry)["conflicts"]
    assert not held.passed and held.metadata["held"].value == 2
    assert f"| {heavier} | weight_kg |" in held.metadata["this_run"].value

    result = run(world, *FLOW)

    assert metadata(result, "erp__products_sent_to_centra")["sent"] == 0
    assert world.sandbox.metrics()["mutations"] == mutations
    assert erp_item(world, heavier) == erp_before
    assert sync_products(world)[heavier]["weight_kg"] != Decimal(erp_before[3]) / 1000
