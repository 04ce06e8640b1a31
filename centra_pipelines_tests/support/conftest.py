"""The synced sandbox of the automation tests, a help desk seeded from it, and a flow runner."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import pytest

from centra_pipelines.definitions import defs
from centra_pipelines_tests.automation.conftest import Synced, synced, synced_state  # noqa: F401
from sandbox_systems.support import RunningSupport, start_support

# Enough customers for a few account tickets without a mutation per customer of the sandbox.
SEEDED_CUSTOMERS = 30


@dataclass
class SupportFlow:
    """A synced sandbox, a help desk about its orders and customers, and the Centra calls made."""

    synced: Synced
    desk: RunningSupport
    operations: list[str] = field(default_factory=list)

    def run(self, job: str = "support_sync") -> dg.ExecuteInProcessResult:
        self.synced.warehouse.close()
        return defs.resolve_job_def(job).execute_in_process(
            instance=self.synced.instance, raise_on_error=False
        )

    def writes(self) -> list[str]:
        """Support mutations Centra received so far."""
        return [name for name in self.operations if (name or "").startswith("SupportNoteOn")]

    def order_comment(self, number: int) -> str | None:
        query = "query($n: Int!) { orders(where: {number: [$n]}) { internalComment } }"
        return self.synced.client().execute(query, variables={"n": number})["orders"][0][
            "internalComment"
        ]

    def customer_note(self, customer_id: int) -> str | None:
        query = """query($id: Int!) { customers(where: {id: [$id]}) {
          attributes(where: {typeName: {equals: "cus_extra"}}) {
            elements { key ... on AttributeStringElement { value } } } } }"""
        customer = self.synced.client().execute(query, variables={"id": customer_id})
        for attribute in customer["customers"][0]["attributes"] or []:
            for element in attribute["elements"]:
                if element["key"] == "text":
                    return element["value"]
        return None


def centra_orders(pipeline: Synced) -> list[dict]:
    rows = pipeline.warehouse.fetch(
        "SELECT o.order_number, c.email FROM centra_raw.orders o "
        "LEFT JOIN centra_raw.customers c ON c.id = o.customer_id ORDER BY o.order_number"
    )
    return [{"number": number, "email": email} for number, email in rows]


def centra_customers(pipeline: Synced) -> list[dict]:
    rows = pipeline.warehouse.fetch(
        f"SELECT id, email FROM centra_raw.customers ORDER BY id LIMIT {SEEDED_CUSTOMERS}"
    )
    return [{"id": customer_id, "email": email} for customer_id, email in rows]


@pytest.fixture
def support(synced, monkeypatch) -> Iterator[SupportFlow]:  # noqa: F811 (imported fixture)
    with start_support(centra_orders(synced), centra_customers(synced), seed=11) as desk:
        for name, value in desk.environment().items():
            monkeypatch.setenv(name, value)
        flow = SupportFlow(synced, desk)

        def hook(operation: str, _variables: dict) -> None:
            flow.operations.append(operation)

        synced.sandbox.add_request_hook(hook)
        yield flow
        synced.sandbox.remove_request_hook(hook)
