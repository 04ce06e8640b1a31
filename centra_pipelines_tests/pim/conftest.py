"""A local PIM seeded from the synced sandbox's catalogue, and the PIM flow run against both."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import pytest
import requests

from centra_pipelines.pim import definitions as pim_definitions
from centra_pipelines.pim.assets import pim_enrichment_plan, pim_enrichment_sent_to_centra
from centra_pipelines_tests.automation.conftest import Synced, synced, synced_state  # noqa: F401
from sandbox_systems.pim import (
    RunningPim,
    centra_mapped_attributes,
    centra_products,
    start_pim,
)

# Few enough that a first run is quick; the third has a wholesale display besides its retail one.
PIM_PRODUCTS = 4

FLOW_MUTATIONS = {
    "PimUpdateProduct",
    "PimUpdateDisplay",
    "PimLocalizeDisplay",
    "PimAssignAttributes",
}

CENTRA_PRODUCTS = """
query PimTestProducts {
  products(limit: 200) {
    id productNumber status harmonizedCommodityCode weight { value unit }
    attributes {
      type { name isMapped }
      elements {
        key
        ... on AttributeStringElement { value }
        ... on AttributeChoiceElement { selectedValueName }
      }
    }
    displays { id }
  }
}
"""

CENTRA_DISPLAYS = """
query PimTestDisplays($ids: [Int!]) {
  displays(where: {productId: $ids}, limit: 200) {
    id description shortDescription metaTitle metaDescription metaKeywords
    product { productNumber }
    translations { language { code } fields { field value } }
  }
}
"""


@dataclass
class PimFlow:
    """The synced sandbox, the PIM seeded from it, and what a run of the flow needs."""

    synced: Synced
    pim: RunningPim
    resources: dict
    mutations_seen: list[tuple[str, dict]] = field(default_factory=list)

    def run(self, *assets, full_refresh: bool = False) -> dg.ExecuteInProcessResult:
        self.synced.warehouse.close()
        selected = list(assets) or [pim_enrichment_plan, pim_enrichment_sent_to_centra]
        config = {"ops": {"pim__enrichment_plan": {"config": {"full_refresh": full_refresh}}}}
        return dg.materialize(
            selected,
            resources=self.resources,
            instance=self.synced.instance,
            run_config=config,
            raise_on_error=False,
        )

    def mutations(self) -> int:
        return self.synced.sandbox.metrics()["mutations"]

    def centra(self, query: str, **variables) -> dict:
        sandbox = self.synced.sandbox
        response = requests.post(
            sandbox.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {sandbox.token}"},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def centra_products(self) -> dict[str, dict]:
        """Products of the PIM as Centra holds them, by product number, with their displays."""
        numbers = sorted(self.pim_numbers())
        data = self.centra(CENTRA_PRODUCTS)
        products = {
            p["productNumber"]: p for p in data["products"] if p["productNumber"] in numbers
        }
        ids = [product["id"] for product in products.values()]
        for display in self.centra(CENTRA_DISPLAYS, ids=ids)["displays"]:
            products[display["product"]["productNumber"]].setdefault("shown", []).append(display)
        return products

    def pim_numbers(self) -> list[str]:
        page, _ = self.pim.store.page(updated_since=None, cursor=None, limit=200)
        return [record["identifier"] for record in page]


@pytest.fixture
def flow(synced, monkeypatch) -> Iterator[PimFlow]:  # noqa: F811 (the fixture imported above)
    sandbox = synced.sandbox
    products = centra_products(sandbox.url, sandbox.token)[:PIM_PRODUCTS]
    attributes = centra_mapped_attributes(sandbox.url, sandbox.token)
    with start_pim(products, mapped_attributes=attributes) as pim:
        # The resource exactly as the definitions configure it, pointed at this PIM.
        monkeypatch.setenv("CENTRA_PIM_URL", pim.url)
        monkeypatch.setenv("CENTRA_PIM_TOKEN", pim.token)
        resources = {
            "pim_api": pim_definitions.defs.resources["pim_api"],
            "centra": synced.client(),
            "warehouse": synced.warehouse,
        }
        flow = PimFlow(synced, pim, resources)
        hook = _record_mutations(flow.mutations_seen)
        sandbox.add_request_hook(hook)
        try:
            yield flow
        finally:
            sandbox.remove_request_hook(hook)


def _record_mutations(seen: list):
    def hook(operation_name, variables):
        if operation_name in FLOW_MUTATIONS:
            seen.append((operation_name, variables))

    return hook


def metadata(result: dg.ExecuteInProcessResult, node: str) -> dict:
    materializations = result.asset_materializations_for_node(node)
    assert materializations, f"{node} was not materialized"
    return {name: value.value for name, value in materializations[0].metadata.items()}
