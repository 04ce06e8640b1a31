"""Counters of what the sandbox served, for tests and benchmarks."""

import threading
from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.operations: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counts[name] += amount

    def operation(self, name: str | None) -> None:
        with self.lock:
            self.operations[name or "<anonymous>"] += 1

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1

    def snapshot(self) -> dict:
        with self.lock:
            result = {
                name: self.counts[name]
                for name in (
                    "requests",
                    "throttled",
                    "mutations",
                    "complexity",
                    "faults",
                    "unauthorized",
                    "webhook_batches_delivered",
                    "webhook_events_delivered",
                    "webhook_batches_dropped",
                    "webhook_events_dropped",
                )
            }
            result["operations"] = dict(self.operations)
            result["statuses"] = dict(self.statuses)
            return result
