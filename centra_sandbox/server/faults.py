"""Fault injection: scripted faults for the next requests and seeded random fault rates.

What each fault means for a mutation (docs/sandbox.md, "Fault injection"): a status answer and a
dropped connection come before the request is executed, so nothing is applied; a truncated answer
comes after it, so the mutation is applied and only its answer is lost; a slow answer is applied
once the delay has passed, whether or not the client is still waiting.
"""

import random
import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass

from centra_sandbox.errors import SandboxConfigError

FAULT_KINDS = ("status", "slow", "drop", "truncate")
# Names of the random fault rates, and the names faults are counted under.
FAULT_RATES = ("throttle", "storm", "error", "drop", "slow", "truncate")
SERVER_ERRORS = (500, 502, 503, 504)


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
        if self.kind == "status" and self.status not in (429, *SERVER_ERRORS):
            raise SandboxConfigError(
                f"Status faults are 429, 500, 502, 503 or 504; got {self.status}."
            )
        if self.retry_after_seconds < 0:
            raise SandboxConfigError(
                f"retry_after_seconds must be 0 or more; got {self.retry_after_seconds}."
            )

    @property
    def name(self) -> str:
        """The name the fault is counted under: throttle, error, drop, slow or truncate."""
        if self.kind != "status":
            return self.kind
        return "throttle" if self.status == 429 else "error"


@dataclass(frozen=True)
class FaultRates:
    """Seeded random faults: each rate is the probability that a request gets that fault.

    `storm` starts a 429 storm: that request and the `storm_length - 1` requests after it all get
    429, as when a shared quota is exhausted by another integration. Injected 429s carry a
    Retry-After of `retry_after_seconds` (whole seconds, 0 allowed). `slow` answers wait
    `slow_seconds`; `error` answers 500, 502 or 503. The same `seed` gives the same faults for
    the same sequence of requests.
    """

    seed: int = 0
    throttle: float = 0.0
    storm: float = 0.0
    error: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    truncate: float = 0.0
    storm_length: int = 5
    slow_seconds: float = 1.0
    retry_after_seconds: float = 1.0

    def __post_init__(self) -> None:
        rates = self.rates()
        wrong = {name: rate for name, rate in rates.items() if not 0 <= rate <= 1}
        if wrong:
            raise SandboxConfigError(f"Fault rates are probabilities from 0 to 1; got {wrong}.")
        if sum(rates.values()) > 1:
            raise SandboxConfigError(
                f"Fault rates must sum to at most 1, since a request gets one fault at most; "
                f"got {rates} (sum {sum(rates.values()):.3f})."
            )
        if self.storm_length < 2:
            raise SandboxConfigError(
                f"storm_length must be at least 2 (a single 429 is the throttle rate); "
                f"got {self.storm_length}."
            )
        if not self.slow_seconds > 0:
            raise SandboxConfigError(f"slow_seconds must be above 0; got {self.slow_seconds}.")
        if not 0 <= self.retry_after_seconds <= 3600:
            raise SandboxConfigError(
                f"retry_after_seconds must be from 0 to 3600; got {self.retry_after_seconds}."
            )

    def rates(self) -> dict[str, float]:
        """The probability of each fault, by its name in FAULT_RATES."""
        values = asdict(self)
        return {name: values[name] for name in FAULT_RATES}

    def any(self) -> bool:
        return any(self.rates().values())


class FaultInjector:
    """Scripted faults first, then the rest of a running storm, then seeded random faults."""

    def __init__(self, rates: FaultRates | None = None) -> None:
        self.lock = threading.Lock()
        self.queue: deque[Fault] = deque()
        self.rates = FaultRates()
        self.rng = random.Random(0)
        self.storm_left = 0
        self.injected = 0
        self.counts: Counter[str] = Counter()
        if rates is not None:
            self.apply(rates)

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

    def set_rates(self, seed: int = 0, **settings: float) -> None:
        """Random faults per request, reproducible through `seed`; keywords as in FaultRates."""
        self.apply(FaultRates(seed=seed, **settings))

    def apply(self, rates: FaultRates) -> None:
        """Use these random fault rates from now on, with a fresh generator from their seed."""
        with self.lock:
            self.rates = rates
            self.rng = random.Random(rates.seed)
            self.storm_left = 0

    def clear(self) -> None:
        """No more faults: scripted ones, a running storm and random rates are dropped."""
        with self.lock:
            self.queue.clear()
            self.rates = FaultRates()
            self.storm_left = 0

    def injected_by_name(self) -> dict[str, int]:
        """Faults injected so far, by name; each 429 of a storm counts under `storm`."""
        with self.lock:
            return dict(self.counts)

    def next_fault(self) -> Fault | None:
        with self.lock:
            if self.queue:
                fault, name = self.queue.popleft(), None
            else:
                fault, name = self._storm_fault() or self._random_fault() or (None, None)
            if fault is not None:
                self.injected += 1
                self.counts[name or fault.name] += 1
            return fault

    def _storm_fault(self) -> tuple[Fault, str] | None:
        if self.storm_left <= 0:
            return None
        self.storm_left -= 1
        return self._throttle(), "storm"

    def _random_fault(self) -> tuple[Fault, str] | None:
        if not self.rates.any():
            return None
        draw = self.rng.random()
        for name, rate in self.rates.rates().items():
            if draw < rate:
                return self._make(name), name
            draw -= rate
        return None

    def _make(self, name: str) -> Fault:
        if name == "storm":
            self.storm_left = self.rates.storm_length - 1
            return self._throttle()
        if name == "throttle":
            return self._throttle()
        if name == "error":
            return Fault("status", self.rng.choice((500, 502, 503)))
        if name == "slow":
            return Fault("slow", delay=self.rates.slow_seconds)
        return Fault(name)

    def _throttle(self) -> Fault:
        return Fault("status", 429, retry_after_seconds=self.rates.retry_after_seconds)
