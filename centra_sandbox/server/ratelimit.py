"""Six token buckets (3 types × 2 windows) with linear refill (digest §2.1, §11.2).

Choices: refill is linear at quota/interval tokens per second; a rejected request consumes
nothing; complexity is charged after execution and may drain a bucket below what the request
cost, in which case the bucket sits at zero and later requests wait for the refill.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from centra_sandbox.config import BUCKET_TYPES, INTERVALS


@dataclass
class Bucket:
    kind: str
    interval: str
    quota: int
    tokens: float
    updated: float

    @property
    def rate(self) -> float:
        return self.quota / INTERVALS[self.interval]

    def refill(self, now: float) -> None:
        self.tokens = min(self.quota, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


@dataclass(frozen=True)
class Rejection:
    """Why a request was throttled and how long until every needed bucket has enough."""

    kind: str
    interval: str
    retry_after_seconds: float


class RateLimiter:
    """Thread-safe buckets shared by every token of the instance, as in Centra."""

    def __init__(
        self, quotas: dict[str, dict[str, int]], clock: Callable[[], float] = time.monotonic
    ):
        self.clock = clock
        now = clock()
        self.lock = threading.Lock()
        self.buckets = [
            Bucket(kind, interval, quotas[kind][interval], float(quotas[kind][interval]), now)
            for kind in BUCKET_TYPES
            for interval in INTERVALS
        ]

    def admit(self, mutations: int) -> Rejection | None:
        """Take the request and mutation tokens, or reject without taking anything."""
        needs = {"REQUEST_COUNT": 1, "MUTATION_COUNT": mutations, "QUERY_COMPLEXITY": 1}
        with self.lock:
            now = self.clock()
            worst = None
            for bucket in self.buckets:
                bucket.refill(now)
                need = needs[bucket.kind]
                if need and bucket.tokens < need:
                    wait = (need - bucket.tokens) / bucket.rate
                    if worst is None or wait > worst.retry_after_seconds:
                        worst = Rejection(bucket.kind, bucket.interval, wait)
            if worst is not None:
                return worst
            for bucket in self.buckets:
                if bucket.kind != "QUERY_COMPLEXITY":
                    bucket.tokens -= needs[bucket.kind]
            return None

    def charge_complexity(self, complexity: int) -> None:
        with self.lock:
            now = self.clock()
            for bucket in self.buckets:
                if bucket.kind == "QUERY_COMPLEXITY":
                    bucket.refill(now)
                    bucket.tokens = max(0.0, bucket.tokens - complexity)

    def snapshot(self) -> list[dict]:
        """Rows of the `rateLimits` query; quota = usedQuota + remainingQuota always holds."""
        with self.lock:
            now = self.clock()
            rows = []
            for bucket in self.buckets:
                bucket.refill(now)
                remaining = math.floor(bucket.tokens)
                rows.append(
                    {
                        "type": bucket.kind,
                        "intervalSeconds": bucket.interval,
                        "quota": bucket.quota,
                        "usedQuota": bucket.quota - remaining,
                        "remainingQuota": remaining,
                    }
                )
            return rows
