"""Market x day partition keys parse into UTC windows and group by day."""

from datetime import UTC, date, datetime

from centra_pipelines.models.partitions import market_days_by_day, parse_market_day


def test_a_key_becomes_its_market_and_utc_window():
    market_day = parse_market_day("2026-11-02|12")

    assert market_day.market_id == 12
    assert market_day.window_start == datetime(2026, 11, 2, tzinfo=UTC)
    assert market_day.window_end == datetime(2026, 11, 3, tzinfo=UTC)
    assert market_day.key == "2026-11-02|12"


def test_keys_group_by_day_in_date_order():
    grouped = market_days_by_day(["2026-11-02|1", "2026-11-01|2", "2026-11-02|3"])

    assert list(grouped) == [date(2026, 11, 1), date(2026, 11, 2)]
    assert [m.market_id for m in grouped[date(2026, 11, 2)]] == [1, 3]
