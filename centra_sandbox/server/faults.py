"""Fault injection: scripted faults for the next requests and seeded random fault rates."""

import random
import threading
from collections import deque
from dataclasses import dataclass

from centra_sandbox.errors import SandboxConfigError

FAULT_KINDS = ("status", "slow", "drop", "truncate")


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    kind: `status` answers `status` (429 carries Retry-After), `slow` delays a normal answer by
    `delay` seconds, `drop` closes the connection without an answer, `truncate` sends half of a
    normal body. For 429, `retry_after` is the raw header value if given, else
    `retry_after_seconds` rendered in `retry_after_format` (default: the sandbox's format).
    """

    kind: str
    status: int = 0
    delay: float = 0.0
    retry_after: str | None = None
    retry_after_seconds: float = 1.0
    retry_after_format: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise SandboxConfigError(f"Fault kind must be one of {FAULT_KINDS}; got {self.kind!r}.")
        if self.kind == "status" and self.status not in (429, 500, 502, 503, 504):
            raise SandboxConfigError(
                f"Status faults are 429, 500, 502, 503 or 504; got {self.status}."
            )


class FaultInjector:
    """Queue of scripted faults, consumed first, then seeded probabilistic faults."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: deque[Fault] = deque()
        self.rates: dict[str, float] = {}
        self.slow_seconds = 1.0
        self.rng = random.Random(0)
        self.injected = 0

    def script(self, *faults: Fault) -> None:
        with self.lock:
            self.queue.extend(faults)

    def throttle_next(
        self,
        count: int = 1,
        retry_after_seconds: float = 1.0,
        retry_after_format: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        fault = Fault(
            "status",
            429,
            retry_after=retry_after,
            retry_after_seconds=retry_after_seconds,
            retry_after_format=retry_after_format,
        )
        self.script(*[fault] * count)

    def fail_next(self, status: int = 500, count: int = 1) -> None:
        self.script(*[Fault("status", status)] * count)

    def slow_next(self, seconds: float, count: int = 1) -> None:
        self.script(*[Fault("slow", delay=seconds)] * count)

    def drop_next(self, count: int = 1) -> None:
        self.script(*[Fault("drop")] * count)

    def truncate_next(self, count: int = 1) -> None:
        self.script(*[Fault("truncate")] * count)

    def set_rates(
        self,
        seed: int = 0,
        throttle: float = 0.0,
        error: float = 0.0,
        drop: float = 0.0,
        slow: float = 0.0,
        truncate: float = 0.0,
        slow_seconds: float = 1.0,
    ) -> None:
        """Random faults per request with these probabilities, reproducible through `seed`."""
        rates = {
            "throttle": throttle,
            "error": error,
            "drop": drop,
            "slow": slow,
            "truncate": truncate,
        }
        if sum(rates.values()) > 1 or min(rates.values()) < 0:
            raise SandboxConfigError(f"Fault rates must be >= 0 and sum to at most 1; got {rates}.")
        with self.lock:
            self.rates = rates
            self.rng = random.Random(seed)
            self.slow_seconds = slow_seconds

    def clear(self) -> None:
        with self.lock:
            self.queue.clear()
            self.rates = {}

    def next_fault(self) -> Fault | None:
        with self.lock:
            fault = self.queue.popleft() if self.queue else self._random_fault()
            if fault is not None:
                self.injected += 1
            return fault

    def _random_fault(self) -> Fault | None:
        if not self.rates:
            return None
        draw = self.rng.random()
        for name, rate in self.rates.items():
            if draw < rate:
                return _RANDOM_FAULTS[name](self)
            draw -= rate
        return None


_RANDOM_FAULTS = {
    "throttle": lambda injector: Fault("status", 429),
    "error": lambda injector: Fault("status", injector.rng.choice((500, 502, 503))),
    "drop": lambda injector: Fault("drop"),
    "slow": lambda injector: Fault("slow", delay=injector.slow_seconds),
    "truncate": lambda injector: Fault("truncate"),
}
