"""An asset older than its group's window alerts once; materialized again, it is fresh again."""

import dagster as dg
import pytest

from centra_pipelines.alerting.definitions import STALE_DATA, alerting_definitions
from centra_pipelines.config.alerting import GroupFreshness, load_alerting_config
from centra_pipelines_tests.alerting.conftest import Ticker, use_slack

HOUR = 3600


@dg.asset(group_name="stock_levels")
def stock_table() -> None:
    """Stands for a synced table of the watched group."""


@dg.asset(group_name="stock_levels")
def stock_snapshot() -> None:
    """A second asset of the group, never materialized in these tests."""


@dg.asset(group_name="elsewhere")
def unwatched_table() -> None:
    """In a group alerting.yaml does not watch."""


@pytest.fixture
def ticker(instance) -> Ticker:
    default = load_alerting_config()
    watched = {"stock_levels": GroupFreshness(max_lag_minutes=60)}
    config = default.model_copy(
        update={"stale_data": default.stale_data.model_copy(update={"groups": watched})}
    )
    assets = dg.Definitions(assets=[stock_table, stock_snapshot, unwatched_table])
    return Ticker(instance, dg.Definitions.merge(assets, alerting_definitions(config)), config)


def materialized_at(instance) -> float:
    dg.materialize([stock_table, unwatched_table], instance=instance)
    return instance.get_latest_materialization_event(stock_table.key).timestamp


def texts(slack) -> list[str]:
    return [post["text"] for post in slack.delivered]


def test_a_stale_asset_alerts_once_and_not_while_it_is_fresh(instance, ticker, slack, monkeypatch):
    use_slack(monkeypatch, slack)
    first = materialized_at(instance)

    ticker.tick_at(STALE_DATA, first + 10 * 60)
    # The asset never materialized is stale from the start, and said so once.
    assert len(slack.delivered) == 1
    assert "stock_snapshot: never materialized" in texts(slack)[0]
    assert "stock_table" not in texts(slack)[0]

    ticker.tick_at(STALE_DATA, first + 2 * HOUR)
    ticker.tick_at(STALE_DATA, first + 3 * HOUR)

    assert len(slack.delivered) == 2
    assert "stock_table: last materialized" in texts(slack)[1]
    assert "(2 h ago)" in texts(slack)[1]
    assert "unwatched_table" not in "".join(texts(slack))

    second = materialized_at(instance)
    ticker.tick_at(STALE_DATA, second + 60)
    ticker.tick_at(STALE_DATA, second + 30 * 60)
    assert len(slack.delivered) == 2  # fresh again: nothing to say

    ticker.tick_at(STALE_DATA, second + 2 * HOUR)
    assert len(slack.delivered) == 3  # a new episode
    assert "stock_table" in texts(slack)[2] and "stock_snapshot" not in texts(slack)[2]
