"""Customers both ways between the Centra sandbox and an ERP in a real PostgreSQL."""

import time
from dataclasses import dataclass

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.definitions import defs
from centra_pipelines.erp.customers import CUSTOMER_ASSETS, erp_customers_plan
from centra_pipelines.outbound.conflicts import CONFLICTS_CHECK
from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines.outbound.outbox import Change, Outbox
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines_tests.automation.conftest import Synced, synced, synced_state  # noqa: F401
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from sandbox_systems.erp import create_erp
from sandbox_systems.erp.customers import FIRST_CUSTOMER_NUMBER, seed_customers

# Centra customers the ERP already knows. Customer 10 is a VIP in Centra (the sandbox sets
# cus_extra.vip on every tenth customer) and not in the ERP: a disagreement nobody settled.
SHARED_IDS = (1, 2, 3, 4, 5, 10)
DISPUTED_VIP = "centra:10"
ERP_ONLY = 3

CUSTOMER_BY_EMAIL = """
query CustomerByEmail($email: String!) {
  customers(where: {email: {equals: $email}}) { id firstName lastName registered }
}
"""

ID_CONVERSIONS = """
query ErpCustomerNumbers {
  idConversions(where: {objectType: Customer}, limit: 100) { internalId externalId }
}
"""


@dataclass
class TwoWay:
    synced: Synced
    url: str

    def run(self, *assets) -> dg.ExecuteInProcessResult:
        self.synced.warehouse.close()
        resources = {
            "warehouse": self.synced.warehouse,
            "centra": self.synced.client(),
            "erp_database": SqlDatabase(url=self.url),
        }
        return dg.materialize(
            list(assets) or CUSTOMER_ASSETS,
            resources=resources,
            instance=self.synced.instance,
            raise_on_error=False,
        )

    def sync_centra(self) -> None:
        """The Centra customer sync the main job runs before the ERP flows."""
        self.synced.warehouse.close()
        job = defs.resolve_job_def("centra_customers_sync")
        assert job.execute_in_process(instance=self.synced.instance).success

    def erp(self, sql: str, **params) -> list[tuple]:
        engine = create_engine(self.url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(sql), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def erp_customer(self, centra_id: int) -> tuple:
        return self.erp(
            "SELECT email, first_name, last_name, vip FROM erp.customers "
            "WHERE centra_customer_id = :id",
            id=centra_id,
        )[0]

    def centra_customer(self, centra_id: int) -> tuple:
        """Centra's copy as the warehouse holds it after a sync."""
        return self.synced.warehouse.fetch(
            "SELECT email, first_name, last_name FROM centra_raw.customers WHERE id = ?",
            [centra_id],
        )[0]

    def mutations(self) -> int:
        return self.synced.sandbox.metrics()["mutations"]


@pytest.fixture
def two_way(synced, postgres_url) -> TwoWay:  # noqa: F811 (fixtures imported above)
    create_erp(postgres_url)
    rows = synced.warehouse.fetch(
        "SELECT id, email, first_name, last_name, gender FROM centra_raw.customers "
        f"WHERE id IN {SHARED_IDS} ORDER BY id"
    )
    columns = ("id", "email", "first_name", "last_name", "gender")
    seed_customers(
        postgres_url, [dict(zip(columns, row, strict=True)) for row in rows], erp_only=ERP_ONLY
    )
    return TwoWay(synced, postgres_url)


def metadata(result, node: str) -> dict:
    materialization = result.asset_materializations_for_node(node)[0]
    return {name: value.value for name, value in materialization.metadata.items()}


def checks(result) -> dict:
    return {check.check_name: check for check in result.get_asset_check_evaluations()}


def test_new_customers_are_created_both_ways_and_a_second_run_sends_nothing(two_way):
    centra_count = two_way.synced.count("customers")
    erp_only = two_way.erp("SELECT email FROM erp.customers WHERE centra_customer_id IS NULL")
    mutations = two_way.mutations()

    dry = two_way.run(erp_customers_plan)

    planned = metadata(dry, "erp__customers_plan")
    assert (planned["creates_in_centra"], planned["creates_in_erp"]) == (
        ERP_ONLY,
        centra_count - len(SHARED_IDS),
    )
    first_erp_only = FIRST_CUSTOMER_NUMBER + len(SHARED_IDS)
    assert f"| centra | erp:{first_erp_only} | yes |" in planned["preview"]
    assert two_way.mutations() == mutations
    assert two_way.erp("SELECT count(*) FROM erp.customers") == [(len(SHARED_IDS) + ERP_ONLY,)]

    first = two_way.run()

    assert first.success
    assert metadata(first, "erp__customers_sent_to_centra")["sent"] == ERP_ONLY
    assert metadata(first, "erp__customers_sent_to_erp")["sent"] == centra_count - len(SHARED_IDS)
    assert two_way.erp("SELECT count(*) FROM erp.customers") == [(centra_count + ERP_ONLY,)]
    client = two_way.synced.client()
    created = {}
    for (email,) in erp_only:
        found = client.execute(CUSTOMER_BY_EMAIL, variables={"email": email})["customers"]
        assert len(found) == 1 and found[0]["registered"] is False
        created[found[0]["id"]] = email
    numbers = dict(two_way.erp("SELECT email, customer_no FROM erp.customers"))
    links = client.execute(ID_CONVERSIONS)["idConversions"]
    linked = {entry["internalId"]: entry["externalId"] for entry in links}
    assert {linked[centra_id] for centra_id in created} == {
        str(numbers[email]) for email in created.values()
    }

    # The VIP flag both sides set differently before they were ever synced waits for a person.
    verdict = checks(first)
    assert verdict[PLAN_CHECK].passed
    assert not verdict[CONFLICTS_CHECK].passed
    assert verdict[CONFLICTS_CHECK].metadata["held"].value == 1
    assert DISPUTED_VIP in verdict[CONFLICTS_CHECK].metadata["this_run"].value
    assert two_way.erp_customer(10)[3] is False

    two_way.sync_centra()
    mutations = two_way.mutations()
    second = two_way.run()

    assert second.success
    assert metadata(second, "erp__customers_plan")["would_send_to_centra"] == 0
    assert metadata(second, "erp__customers_plan")["would_send_to_erp"] == 0
    assert metadata(second, "erp__customers_sent_to_centra")["sent"] == 0
    assert metadata(second, "erp__customers_sent_to_erp")["sent"] == 0
    assert two_way.mutations() == mutations
    vip = two_way.synced.warehouse.fetch(
        "SELECT value FROM centra_raw.customer_attribute_values "
        "WHERE object_id = '10' AND element_key = 'vip'"
    )
    assert vip == [("1",)] and two_way.erp_customer(10)[3] is False


def test_changes_on_one_side_are_copied_and_both_sided_ones_settled_by_policy(two_way):
    assert two_way.run().success
    two_way.sync_centra()
    control = two_way.synced.sandbox.control

    # One side each.
    control.update_customer(1, lastName="Bergström")
    two_way.erp("UPDATE erp.customers SET first_name = 'Greta' WHERE centra_customer_id = 2")
    # Both sides: the first name by newest_wins (the ERP edits last), the e-mail by Centra.
    control.update_customer(3, firstName="Centra-Name")
    control.update_customer(4, email="d.centra@example.com")
    time.sleep(1.1)  # Centra keeps whole seconds; the ERP's edit must be clearly later
    two_way.erp("UPDATE erp.customers SET first_name = 'Erp-Name' WHERE centra_customer_id = 3")
    two_way.erp("UPDATE erp.customers SET email = 'd.erp@example.com' WHERE centra_customer_id = 4")
    two_way.sync_centra()

    changed = two_way.run()

    assert changed.success
    settled = two_way.synced.warehouse.fetch(
        "SELECT record_key, field, policy, winner, status FROM outbound.conflicts "
        "WHERE status <> 'held' ORDER BY record_key"
    )
    assert settled == [
        ("centra:3", "first_name", "newest_wins", "erp", "resolved"),
        ("centra:4", "email", "system_of_record (centra)", "centra", "resolved"),
    ]
    two_way.sync_centra()
    assert two_way.centra_customer(1)[2] == "Bergström" == two_way.erp_customer(1)[2]
    assert two_way.centra_customer(2)[1] == "Greta" == two_way.erp_customer(2)[1]
    assert two_way.centra_customer(3)[1] == "Erp-Name" == two_way.erp_customer(3)[1]
    assert two_way.centra_customer(4)[0] == "d.centra@example.com" == two_way.erp_customer(4)[0]

    mutations = two_way.mutations()
    third = two_way.run()

    assert third.success
    assert metadata(third, "erp__customers_sent_to_centra")["sent"] == 0
    assert metadata(third, "erp__customers_sent_to_erp")["sent"] == 0
    assert two_way.mutations() == mutations


def test_the_outbox_lists_the_ids_it_was_given_for_created_records(tmp_path):
    outbox = Outbox(DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb")))
    outbox.remember_remote_id(Change("centra", "customers", "erp:10007", {}, "test"), 61)
    outbox.remember_remote_id(Change("erp", "customers", "centra:5", {}, "test"), 10010)

    assert outbox.remote_ids("centra", "customers") == {"erp:10007": 61}
    assert outbox.remote_ids("centra", "prices") == {}
