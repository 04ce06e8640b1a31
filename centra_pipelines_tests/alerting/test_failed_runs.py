"""A failed run raises exactly one alert, on every channel, however often the sensor ticks."""

from collections.abc import Iterator

import dagster as dg
import pytest

from centra_pipelines.alerting.definitions import FAILED_RUNS
from centra_pipelines.centra.full_sync import RUN_CONFIG
from centra_pipelines.definitions import defs
from centra_pipelines_tests.alerting.conftest import Ticker, use_email, use_slack
from centra_pipelines_tests.pipelines.conftest import sandbox_config
from centra_sandbox import start_sandbox

JOB = "centra_stock_sync"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    with start_sandbox(sandbox_config(orders=10, window_days=1)) as sandbox:
        yield sandbox


@pytest.fixture
def refused_token(sandbox, tmp_path, monkeypatch) -> None:
    """Centra is up but does not accept the token, so every sync run fails at its first step."""
    monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
    monkeypatch.setenv("CENTRA_API_TOKEN", "a-token-centra-revoked")
    monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))


def failed_run(instance: dg.DagsterInstance) -> str:
    result = defs.resolve_job_def(JOB).execute_in_process(
        run_config=RUN_CONFIG, instance=instance, raise_on_error=False
    )
    assert not result.success
    return result.run_id


def test_a_failed_run_posts_exactly_one_alert_naming_the_job_and_run(
    instance, slack, refused_token, monkeypatch
):
    use_slack(monkeypatch, slack)
    monkeypatch.setenv("CENTRA_ALERT_DAGSTER_URL", "http://dagster.internal:3000/")
    ticker = Ticker(instance, defs)
    ticker.tick(FAILED_RUNS)  # a new sensor starts watching from now

    first = failed_run(instance)
    for _ in range(3):
        ticker.tick(FAILED_RUNS)

    assert len(slack.received) == 1
    text = slack.delivered[0]["text"]
    assert JOB in text and first in text
    # The step that failed and the first line of what it raised, not Dagster's wrapper.
    assert "Failed step: centra_warehouses" in text
    assert "CentraAuthenticationError: Centra answered HTTP 401" in text
    assert f"http://dagster.internal:3000/runs/{first}" in text
    assert slack.delivered[0]["blocks"][0]["text"]["text"] == f"Run failed: {JOB}"

    second = failed_run(instance)
    ticker.tick(FAILED_RUNS)
    ticker.tick(FAILED_RUNS)

    assert len(slack.received) == 2
    assert second in slack.delivered[1]["text"] and first not in slack.delivered[1]["text"]


def test_the_same_alert_arrives_once_by_email(instance, slack, smtp, refused_token, monkeypatch):
    use_slack(monkeypatch, slack)
    use_email(monkeypatch, smtp)
    ticker = Ticker(instance, defs)
    ticker.tick(FAILED_RUNS)

    run_id = failed_run(instance)
    ticker.tick(FAILED_RUNS)
    ticker.tick(FAILED_RUNS)

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == f"[centra-pipelines] Run failed: {JOB}"
    assert message["From"] == "dagster@shop.example"
    assert smtp.mailbox.envelopes[0][1] == ["oncall@shop.example", "data@shop.example"]
    body = message.get_payload(decode=True).decode()
    assert f"Run: {run_id}" in body and "What to do first:" in body
    assert len(slack.delivered) == 1


def test_without_a_channel_the_alert_goes_to_the_sensor_log_once(instance, refused_token, capfd):
    ticker = Ticker(instance, defs)
    ticker.tick(FAILED_RUNS)
    run_id = failed_run(instance)
    capfd.readouterr()

    ticker.tick(FAILED_RUNS)
    ticker.tick(FAILED_RUNS)

    logged = capfd.readouterr().err
    assert logged.count(f"ALERT run:{run_id}") == 1
    assert "What to do first:" in logged
