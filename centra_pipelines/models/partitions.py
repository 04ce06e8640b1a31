"""Partition definitions shared by assets, jobs, schedules and sensors.

Orders and everything that hangs off an order are partitioned by market and UTC day. Markets come
from Centra itself: the markets asset registers each market id in the dynamic dimension, so a
market created in Centra gets partitions without a code change.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from centra_pipelines.settings import MARKET_PARTITIONS_NAME, ORDER_HISTORY_START

market_partitions = dg.DynamicPartitionsDefinition(name=MARKET_PARTITIONS_NAME)

# end_offset=1 includes today, so webhooks and delta syncs can refresh the day that is still open.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=ORDER_HISTORY_START, timezone="UTC", end_offset=1
)

market_day_partitions = dg.MultiPartitionsDefinition(
    {"date": daily_partitions, "market": market_partitions}
)


@dataclass(frozen=True)
class MarketDay:
    """One market x day partition with its UTC window [start, end)."""

    market_id: int
    day: date

    @property
    def key(self) -> str:
        # Dagster orders dimensions by name, so the date comes first in the key.
        return f"{self.day.isoformat()}|{self.market_id}"

    @property
    def window_start(self) -> datetime:
        return datetime.combine(self.day, time.min, tzinfo=UTC)

    @property
    def window_end(self) -> datetime:
        return self.window_start + timedelta(days=1)


def parse_market_day(partition_key: str) -> MarketDay:
    """Turn a `2026-11-01|3` multi-partition key into a MarketDay."""
    keys = market_day_partitions.get_partition_key_from_str(partition_key).keys_by_dimension
    return MarketDay(market_id=int(keys["market"]), day=date.fromisoformat(keys["date"]))


def market_days_by_day(partition_keys: list[str]) -> dict[date, list[MarketDay]]:
    """Group partition keys by day, so one Centra query can serve every market of that day."""
    grouped: dict[date, list[MarketDay]] = {}
    for key in partition_keys:
        market_day = parse_market_day(key)
        grouped.setdefault(market_day.day, []).append(market_day)

    return dict(sorted(grouped.items()))
