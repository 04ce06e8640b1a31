"""A local mirror of Centra's six rate-limit token buckets, so the client paces itself.

Centra keeps three bucket types (requests, mutations, complexity points) over two windows (ten
seconds, one hour) per environment and answers 429 when any of them is empty. The client keeps
the same buckets locally, sized to its share of the quotas, and waits before sending instead of
being refused. Tokens are taken before a request leaves; the complexity, which is only known
afterwards, is estimated and then reconciled, so a bucket may go briefly negative ("debt") and
the next request waits until the debt is repaid.

Centra's buckets are shared by every process of the deployment, so the client normally keeps its
mirror in a database every process sees (`shared_budget.SharedRateBudget`); `RateBudget` keeps it
in memory for one process. Both apply the arithmetic of `BudgetState`.
"""

import dataclasses
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

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


class Budget(Protocol):
    """What the client needs of a pacing budget, kept in memory or in a shared database."""

    def reserve(self, costs: Mapping[str, float]) -> float: ...

    def settle(self, bucket_type: str, extra: float) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def adopt(self, key: str, *, quota: int, remaining: int) -> None: ...

    def capacities(self) -> dict[str, float]: ...


@dataclasses.dataclass
class Bucket:
    capacity: float
    refill_per_second: float
    level: float


def usable(quota: float, share: float) -> float:
    """The part of a Centra quota a budget may spend: `quota × share × (1 − SAFETY_MARGIN)`."""
    return quota * share * (1.0 - SAFETY_MARGIN)


def full_buckets(quotas: Mapping[str, int], share: float) -> dict[str, Bucket]:
    """One full bucket per `TYPE/INTERVAL` key, sized to the usable part of its quota."""
    buckets = {}
    for key, quota in quotas.items():
        capacity = usable(quota, share)
        buckets[key] = Bucket(capacity, capacity / window_seconds(key), capacity)
    return buckets


@dataclasses.dataclass
class BudgetState:
    """The buckets and the pause at one moment, and the arithmetic of the budget's operations.

    `RateBudget` keeps one in memory; `shared_budget.SharedRateBudget` loads one from its table
    inside a locked transaction and writes it back, so both pace by exactly the same rules. Each
    operation first refills the buckets up to `now`; a clock that went backwards (another process
    a little behind) refills nothing rather than draining.
    """

    buckets: dict[str, Bucket]
    updated_at: float
    paused_until: float

    def reserve(self, costs: Mapping[str, float], *, now: float) -> float:
        """Take `costs` (per bucket type) from every window; return the seconds to wait first.

        A cost larger than a bucket's capacity is clamped to it: Centra could never grant such a
        request from a full bucket either, and waiting longer than a window would not help.
        """
        now = self._refill(now)
        wait = max(0.0, self.paused_until - now)
        for key, bucket in self.buckets.items():
            cost = min(costs.get(_type(key), 0.0), bucket.capacity)
            bucket.level -= cost
            if bucket.level < 0:
                wait = max(wait, -bucket.level / bucket.refill_per_second)
        return wait

    def settle(self, bucket_type: str, extra: float, *, now: float) -> None:
        """Charge (or refund, if negative) the difference between an estimate and the real cost."""
        self._refill(now)
        for key, bucket in self.buckets.items():
            if _type(key) == bucket_type:
                bucket.level = min(bucket.capacity, bucket.level - extra)

    def pause(self, seconds: float, *, now: float) -> None:
        """Hold every request for `seconds` and empty the short windows, as after a 429.

        Only the ten-second buckets are emptied: they refill while the pause lasts, so traffic
        resumes gently when Centra accepts it again; emptying the hourly buckets would throttle
        the rest of the hour for what is usually a short burst.
        """
        now = self._refill(now)
        self.paused_until = max(self.paused_until, now + seconds)
        for key, bucket in self.buckets.items():
            if key.endswith(SHORT_INTERVALS):
                bucket.level = min(bucket.level, 0.0)

    def adopt(self, key: str, *, capacity: float, remaining: int, now: float) -> None:
        """Resize one bucket to `capacity`, its level capped by what Centra says is left."""
        self._refill(now)
        bucket = self.buckets.get(key) or Bucket(capacity, 0.0, capacity)
        bucket.capacity = capacity
        bucket.refill_per_second = capacity / window_seconds(key)
        # What other integrations have used is gone for us too.
        bucket.level = min(bucket.level, capacity, float(remaining))
        self.buckets[key] = bucket

    def capacities(self) -> dict[str, float]:
        return {key: bucket.capacity for key, bucket in self.buckets.items()}

    def _refill(self, now: float) -> float:
        elapsed = max(0.0, now - self.updated_at)
        self.updated_at = max(now, self.updated_at)
        for bucket in self.buckets.values():
            bucket.level = min(bucket.capacity, bucket.level + elapsed * bucket.refill_per_second)
        return self.updated_at


class RateBudget:
    """Six token buckets sized to `quota × share × (1 − SAFETY_MARGIN)`, in this process only.

    `clock` is a monotonic clock in seconds; the budget never sleeps itself, it tells the caller
    how long to wait, so tests drive it with a fake clock. Processes that must share Centra's
    quotas use `shared_budget.SharedRateBudget` instead.
    """

    def __init__(self, *, quotas: Mapping[str, int], share: float, clock: Callable[[], float]):
        self._share = share
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self._state = BudgetState(full_buckets(quotas, share), updated_at=now, paused_until=now)

    def reserve(self, costs: Mapping[str, float]) -> float:
        """Take `costs` (per bucket type) from every window; return the seconds to wait first."""
        with self._lock:
            return self._state.reserve(costs, now=self._clock())

    def settle(self, bucket_type: str, extra: float) -> None:
        """Charge (or refund, if negative) the difference between an estimate and the real cost."""
        with self._lock:
            self._state.settle(bucket_type, extra, now=self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` and empty the short windows, as after a 429."""
        with self._lock:
            self._state.pause(seconds, now=self._clock())

    def adopt(self, key: str, *, quota: int, remaining: int) -> None:
        """Resize one bucket to an environment quota reported by Centra's `rateLimits` query."""
        with self._lock:
            capacity = usable(quota, self._share)
            self._state.adopt(key, capacity=capacity, remaining=remaining, now=self._clock())

    def capacities(self) -> dict[str, float]:
        """Return each bucket's usable capacity, for logs and tests."""
        with self._lock:
            return self._state.capacities()


def _type(key: str) -> str:
    return key.split("/", 1)[0]


def window_seconds(key: str) -> float:
    """The length in seconds of the window a `TYPE/INTERVAL` key names."""
    return INTERVAL_SECONDS[key.split("/", 1)[1]]
