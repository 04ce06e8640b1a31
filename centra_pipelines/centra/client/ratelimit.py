"""A local mirror of Centra's six rate-limit token buckets, so the client paces itself.

Centra keeps three bucket types (requests, mutations, complexity points) over two windows (ten
seconds, one hour) per environment and answers 429 when any of them is empty. The client keeps
the same buckets locally, sized to its share of the quotas, and waits before sending instead of
being refused. Tokens are taken before a request leaves; the complexity, which is only known
afterwards, is estimated and then reconciled, so a bucket may go briefly negative ("debt") and
the next request waits until the debt is repaid.
"""

import dataclasses
import threading
from collections.abc import Callable, Mapping

REQUEST_COUNT = "REQUEST_COUNT"
MUTATION_COUNT = "MUTATION_COUNT"
QUERY_COMPLEXITY = "QUERY_COMPLEXITY"
BUCKET_TYPES = (REQUEST_COUNT, MUTATION_COUNT, QUERY_COMPLEXITY)

# Centra's `RateLimitInterval` enum and the window it names.
INTERVAL_SECONDS = {"TEN_SECONDS": 10.0, "ONE_HOUR": 3600.0}
SHORT_INTERVALS = ("TEN_SECONDS",)

# Quotas per plan, from Centra's published rate-limit page. "standard" is the older centra.dev
# table that some environments still run on.
PLANS: dict[str, dict[str, int]] = {
    "growth": {
        "REQUEST_COUNT/TEN_SECONDS": 60,
        "REQUEST_COUNT/ONE_HOUR": 5_000,
        "MUTATION_COUNT/TEN_SECONDS": 20,
        "MUTATION_COUNT/ONE_HOUR": 1_800,
        "QUERY_COMPLEXITY/TEN_SECONDS": 250_000,
        "QUERY_COMPLEXITY/ONE_HOUR": 30_000_000,
    },
    "enhanced": {
        "REQUEST_COUNT/TEN_SECONDS": 150,
        "REQUEST_COUNT/ONE_HOUR": 20_000,
        "MUTATION_COUNT/TEN_SECONDS": 50,
        "MUTATION_COUNT/ONE_HOUR": 4_500,
        "QUERY_COMPLEXITY/TEN_SECONDS": 900_000,
        "QUERY_COMPLEXITY/ONE_HOUR": 90_000_000,
    },
    "high_volume": {
        "REQUEST_COUNT/TEN_SECONDS": 450,
        "REQUEST_COUNT/ONE_HOUR": 40_000,
        "MUTATION_COUNT/TEN_SECONDS": 150,
        "MUTATION_COUNT/ONE_HOUR": 7_000,
        "QUERY_COMPLEXITY/TEN_SECONDS": 1_800_000,
        "QUERY_COMPLEXITY/ONE_HOUR": 180_000_000,
    },
    "enterprise": {
        "REQUEST_COUNT/TEN_SECONDS": 1_500,
        "REQUEST_COUNT/ONE_HOUR": 85_000,
        "MUTATION_COUNT/TEN_SECONDS": 500,
        "MUTATION_COUNT/ONE_HOUR": 25_000,
        "QUERY_COMPLEXITY/TEN_SECONDS": 4_000_000,
        "QUERY_COMPLEXITY/ONE_HOUR": 400_000_000,
    },
    "standard": {
        "REQUEST_COUNT/TEN_SECONDS": 40,
        "REQUEST_COUNT/ONE_HOUR": 3_600,
        "MUTATION_COUNT/TEN_SECONDS": 20,
        "MUTATION_COUNT/ONE_HOUR": 1_800,
        "QUERY_COMPLEXITY/TEN_SECONDS": 150_000,
        "QUERY_COMPLEXITY/ONE_HOUR": 20_000_000,
    },
}

# Share of each quota left unused: Centra's refill granularity is unpublished and our clock is not
# Centra's, so running exactly at the quota would meet the occasional 429.
SAFETY_MARGIN = 0.1


def bucket_key(bucket_type: str, interval: str) -> str:
    """Return the `TYPE/INTERVAL` key used in `PLANS` and in `quota_overrides`."""
    return f"{bucket_type}/{interval}"


def resolve_quotas(*, plan: str, overrides: Mapping[str, int] | None) -> dict[str, int]:
    """Return the plan's quotas with `overrides` applied, rejecting unknown plans and keys."""
    if plan not in PLANS:
        raise ValueError(
            f"Unknown Centra plan {plan!r}; set `plan` to one of {', '.join(sorted(PLANS))}."
        )
    quotas = dict(PLANS[plan])
    unknown = sorted(set(overrides or {}) - set(quotas))
    if unknown:
        raise ValueError(
            f"Unknown rate-limit keys {unknown} in `quota_overrides`; valid keys are "
            f"{', '.join(sorted(quotas))}."
        )
    quotas.update(overrides or {})
    return quotas


@dataclasses.dataclass
class _Bucket:
    capacity: float
    refill_per_second: float
    level: float


class RateBudget:
    """Six token buckets sized to `quota × share × (1 − SAFETY_MARGIN)`, thread-safe.

    `clock` is a monotonic clock in seconds; the budget never sleeps itself, it tells the caller
    how long to wait, so tests drive it with a fake clock.
    """

    def __init__(self, *, quotas: Mapping[str, int], share: float, clock: Callable[[], float]):
        self._share = share
        self._clock = clock
        self._lock = threading.Lock()
        self._updated_at = clock()
        self._paused_until = self._updated_at
        self._buckets: dict[str, _Bucket] = {}
        for key, quota in quotas.items():
            capacity = self._usable(quota)
            self._buckets[key] = _Bucket(capacity, capacity / _window(key), capacity)

    def reserve(self, costs: Mapping[str, float]) -> float:
        """Take `costs` (per bucket type) from every window now; return the seconds to wait first.

        A cost larger than a bucket's capacity is clamped to it: Centra could never grant such a
        request from a full bucket either, and waiting longer than a window would not help.
        """
        with self._lock:
            now = self._refill()
            wait = max(0.0, self._paused_until - now)
            for key, bucket in self._buckets.items():
                cost = min(costs.get(_type(key), 0.0), bucket.capacity)
                bucket.level -= cost
                if bucket.level < 0:
                    wait = max(wait, -bucket.level / bucket.refill_per_second)
            return wait

    def settle(self, bucket_type: str, extra: float) -> None:
        """Charge (or refund, if negative) the difference between an estimate and the real cost."""
        with self._lock:
            self._refill()
            for key, bucket in self._buckets.items():
                if _type(key) == bucket_type:
                    bucket.level = min(bucket.capacity, bucket.level - extra)

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` and empty the short windows, as after a 429.

        Only the ten-second buckets are emptied: they refill while the pause lasts, so traffic
        resumes gently when Centra accepts it again; emptying the hourly buckets would throttle
        the rest of the hour for what is usually a short burst.
        """
        with self._lock:
            now = self._refill()
            self._paused_until = max(self._paused_until, now + seconds)
            for key, bucket in self._buckets.items():
                if key.endswith(SHORT_INTERVALS):
                    bucket.level = min(bucket.level, 0.0)

    def adopt(self, key: str, *, quota: int, remaining: int) -> None:
        """Resize one bucket to an environment quota reported by Centra's `rateLimits` query."""
        with self._lock:
            self._refill()
            capacity = self._usable(quota)
            bucket = self._buckets.get(key) or _Bucket(capacity, 0.0, capacity)
            bucket.capacity = capacity
            bucket.refill_per_second = capacity / _window(key)
            # What other integrations have used is gone for us too.
            bucket.level = min(bucket.level, capacity, float(remaining))
            self._buckets[key] = bucket

    def capacities(self) -> dict[str, float]:
        """Return each bucket's usable capacity, for logs and tests."""
        with self._lock:
            return {key: bucket.capacity for key, bucket in self._buckets.items()}

    def _usable(self, quota: int) -> float:
        return quota * self._share * (1.0 - SAFETY_MARGIN)

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated_at)
        self._updated_at = max(now, self._updated_at)
        for bucket in self._buckets.values():
            bucket.level = min(bucket.capacity, bucket.level + elapsed * bucket.refill_per_second)
        return self._updated_at


def _type(key: str) -> str:
    return key.split("/", 1)[0]


def _window(key: str) -> float:
    return INTERVAL_SECONDS[key.split("/", 1)[1]]
