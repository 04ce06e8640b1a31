"""`CentraClient` as a Dagster resource: configured from environment variables at run time."""

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines_tests.centra_client.conftest import Reply, envelope


def test_the_client_works_as_a_resource_inside_materialize(stub, monkeypatch) -> None:
    stub.script(Reply(envelope({"markets": [{"id": 1}, {"id": 2}]}, complexity=12)))
    monkeypatch.setenv("CENTRA_API_URL", stub.url)
    monkeypatch.setenv("CENTRA_API_TOKEN", "token-from-env")

    @dg.asset
    def market_ids(centra: CentraClient) -> dg.MaterializeResult:
        with centra.measure() as cost:
            markets = centra.execute("query { markets { id } }")["markets"]
        return dg.MaterializeResult(
            metadata={"dagster/row_count": len(markets), "api/complexity": cost.complexity}
        )

    client = CentraClient(
        api_url=dg.EnvVar("CENTRA_API_URL"),
        api_token=dg.EnvVar("CENTRA_API_TOKEN"),
        read_rate_limits=False,
    )
    result = dg.materialize([market_ids], resources={"centra": client})

    assert result.success
    materialization = result.asset_materializations_for_node("market_ids")[0]
    assert materialization.metadata["dagster/row_count"].value == 2
    assert materialization.metadata["api/complexity"].value == 12
    assert stub.requests[0].headers["Authorization"] == "Bearer token-from-env"
