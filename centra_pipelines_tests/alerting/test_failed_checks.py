"""A failing check alerts once per episode: not again while it keeps failing, again after a pass."""

import dagster as dg
import pytest

from centra_pipelines.alerting.definitions import FAILED_CHECKS, alerting_definitions
from centra_pipelines.config.alerting import load_alerting_config
from centra_pipelines_tests.alerting.conftest import Ticker, use_slack

# What the next materialization's check reports; each test sets it before materializing.
OUTCOME = {"passed": True, "severity": dg.AssetCheckSeverity.ERROR}


@dg.asset(
    group_name="shop",
    check_specs=[dg.AssetCheckSpec("no_rejects", asset="orders_table", blocking=True)],
)
def orders_table():
    yield dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="no_rejects",
                passed=OUTCOME["passed"],
                severity=OUTCOME["severity"],
                metadata={"rejected_records": 0 if OUTCOME["passed"] else 3},
            )
        ]
    )


@dg.asset(deps=[orders_table], group_name="shop")
def orders_report() -> None:
    """Runs only when the blocking check on orders_table passed."""


@pytest.fixture
def ticker(instance) -> Ticker:
    config = load_alerting_config()
    definitions = dg.Definitions.merge(
        dg.Definitions(assets=[orders_table, orders_report]), alerting_definitions(config)
    )
    return Ticker(instance, definitions, config)


def materialize(instance, *, passed: bool, severity=dg.AssetCheckSeverity.ERROR) -> None:
    OUTCOME.update(passed=passed, severity=severity)
    dg.materialize([orders_table, orders_report], instance=instance, raise_on_error=False)


def test_a_failing_blocking_check_alerts_once_until_it_passes_again(
    instance, ticker, slack, monkeypatch
):
    use_slack(monkeypatch, slack)
    materialize(instance, passed=False)

    for _ in range(3):
        ticker.tick(FAILED_CHECKS)

    assert len(slack.delivered) == 1
    text = slack.delivered[0]["text"]
    assert "Check failed: no_rejects on orders_table" in text
    assert "Blocking: yes" in text and "rejected_records: 3" in text

    materialize(instance, passed=False)
    ticker.tick(FAILED_CHECKS)
    assert len(slack.delivered) == 1  # still the same episode

    materialize(instance, passed=True)
    ticker.tick(FAILED_CHECKS)
    assert len(slack.delivered) == 1

    materialize(instance, passed=False)
    ticker.tick(FAILED_CHECKS)
    ticker.tick(FAILED_CHECKS)
    assert len(slack.delivered) == 2


def test_a_warning_alerts_only_when_the_settings_ask_for_it(instance, slack, monkeypatch):
    use_slack(monkeypatch, slack)
    default = load_alerting_config()
    strict = default.model_copy(
        update={
            "failed_checks": default.failed_checks.model_copy(update={"include_warnings": True})
        }
    )
    assets = dg.Definitions(assets=[orders_table, orders_report])
    quiet = Ticker(instance, dg.Definitions.merge(assets, alerting_definitions(default)), default)
    loud = Ticker(instance, dg.Definitions.merge(assets, alerting_definitions(strict)), strict)

    materialize(instance, passed=False, severity=dg.AssetCheckSeverity.WARN)
    quiet.tick(FAILED_CHECKS)
    assert slack.delivered == []

    loud.tick(FAILED_CHECKS)
    assert len(slack.delivered) == 1
    assert "Severity: WARN" in slack.delivered[0]["text"]
