"""A channel that does not take an alert keeps it owed: logged, sent on a later tick, once."""

import dagster as dg
import pytest

from centra_pipelines.alerting.definitions import FAILED_RUNS, alerting_definitions
from centra_pipelines.config.alerting import load_alerting_config
from centra_pipelines_tests.alerting.conftest import (
    WEBHOOK_PATH,
    Ticker,
    free_port,
    use_email,
    use_slack,
)


@dg.op
def send_invoices() -> None:
    raise RuntimeError("the ERP refused the invoice file\nline two is not shown")


@dg.job
def invoices_to_erp() -> None:
    send_invoices()


@pytest.fixture
def definitions() -> dg.Definitions:
    default = load_alerting_config()
    # No pause between attempts: the test is about what is kept, not about how long it waits.
    slack = default.channels.slack.model_copy(update={"backoff_seconds": 0})
    channels = default.channels.model_copy(update={"slack": slack})
    config = default.model_copy(update={"channels": channels})
    return dg.Definitions.merge(
        dg.Definitions(jobs=[invoices_to_erp]), alerting_definitions(config)
    )


@pytest.fixture
def ticker(instance, definitions) -> Ticker:
    ticker = Ticker(instance, definitions)
    ticker.tick(FAILED_RUNS)  # starts watching
    return ticker


def fail_a_run(instance) -> str:
    return invoices_to_erp.execute_in_process(instance=instance, raise_on_error=False).run_id


@pytest.mark.parametrize(
    ("answers", "requests_in_first_tick"),
    [((500, 503, 500), 3), ((404,), 1)],
    ids=["server-errors-retried-in-the-tick", "refusal-not-retried-in-the-tick"],
)
def test_an_alert_the_webhook_refused_is_sent_on_the_next_tick_and_only_there(
    instance, ticker, slack, smtp, monkeypatch, capfd, answers, requests_in_first_tick
):
    use_slack(monkeypatch, slack)
    use_email(monkeypatch, smtp)
    run_id = fail_a_run(instance)
    slack.answer_next_with(*answers)
    capfd.readouterr()

    first = ticker.tick(FAILED_RUNS)

    logged = capfd.readouterr().err
    assert len(slack.received) == requests_in_first_tick and slack.delivered == []
    assert f"alert run:{run_id} (Run failed: invoices_to_erp) not delivered to slack" in logged
    assert f"answered HTTP {answers[-1]}" in logged
    assert WEBHOOK_PATH not in logged
    assert "alerts waiting for slack: 1" in first.skip_reason.skip_message
    assert len(smtp.messages) == 1  # the channel that worked is not held back

    ticker.tick(FAILED_RUNS)
    ticker.tick(FAILED_RUNS)

    assert len(slack.delivered) == 1 and run_id in slack.delivered[0]["text"]
    assert "RuntimeError: the ERP refused the invoice file" in slack.delivered[0]["text"]
    assert "line two" not in slack.delivered[0]["text"]
    assert len(smtp.messages) == 1


def test_an_unreachable_webhook_is_logged_without_its_url_and_tried_again(
    instance, definitions, ticker, slack, monkeypatch, capfd
):
    unreachable = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"
    monkeypatch.setenv("CENTRA_ALERT_SLACK_WEBHOOK_URL", unreachable)
    run_id = fail_a_run(instance)
    capfd.readouterr()

    ticker.tick(FAILED_RUNS)

    logged = capfd.readouterr().err
    assert "could not reach 127.0.0.1 (ConnectionError)" in logged
    assert WEBHOOK_PATH not in logged

    # The endpoint comes back; a restarted daemon starts from the stored cursor.
    use_slack(monkeypatch, slack)
    restarted = Ticker(instance, definitions)
    restarted.cursors = dict(ticker.cursors)
    restarted.tick(FAILED_RUNS)
    restarted.tick(FAILED_RUNS)

    assert len(slack.delivered) == 1 and run_id in slack.delivered[0]["text"]
