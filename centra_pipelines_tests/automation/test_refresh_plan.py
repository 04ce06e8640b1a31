"""A plan becomes runs of exactly the changed partitions, as few runs as ranges allow."""

from datetime import date

from centra_pipelines.centra.automation.refresh import RefreshPlan, partition_limits, planned_runs
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.models.partitions import MarketDay

MARKETS = ["1", "2", "3", "4", "5", "6"]


def ranges(plan: RefreshPlan) -> list[tuple[str, str, str]]:
    return [
        (run.job_name, run.tags.get(RANGE_START_TAG), run.tags.get(RANGE_END_TAG))
        for run in planned_runs(plan, MARKETS)
    ]


def test_adjacent_markets_of_a_day_share_a_run_and_a_gap_splits_it():
    day = date(2026, 11, 3)
    plan = RefreshPlan({MarketDay(1, day), MarketDay(2, day), MarketDay(5, day)})

    assert ranges(plan) == [
        ("centra_orders_sync", "2026-11-03|1", "2026-11-03|2"),
        ("centra_orders_sync", "2026-11-03|5", "2026-11-03|5"),
    ]


def test_each_day_is_its_own_run_and_data_types_run_their_jobs():
    plan = RefreshPlan(
        {MarketDay(3, date(2026, 11, 2)), MarketDay(3, date(2026, 11, 4))},
        jobs={"centra_stock_sync"},
        prices=True,
    )

    assert ranges(plan) == [
        ("centra_stock_sync", None, None),
        ("centra_prices_sync", "1", "6"),
        ("centra_orders_sync", "2026-11-02|3", "2026-11-02|3"),
        ("centra_orders_sync", "2026-11-04|3", "2026-11-04|3"),
    ]


def test_days_without_a_partition_are_dropped_with_a_reason():
    plan = RefreshPlan({MarketDay(1, date(2025, 1, 1)), MarketDay(1, date(2026, 11, 2))})

    kept, dropped = partition_limits(plan, today=date(2026, 12, 4))

    assert kept.market_days == {MarketDay(1, date(2026, 11, 2))}
    assert len(dropped) == 1 and "ORDER_HISTORY_START" in dropped[0]


def test_a_record_without_a_readable_date_or_market_is_not_planned():
    plan = RefreshPlan()

    assert not plan.add_order(None, "2026-11-02T10:00:00+01:00")
    assert not plan.add_order(3, "yesterday")
    assert not plan.add_order(3, None)
    assert plan.add_order(3, "2026-11-02T00:30:00+01:00")
    assert plan.market_days == {MarketDay(3, date(2026, 11, 1))}  # the UTC day
