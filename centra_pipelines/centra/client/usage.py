"""What the client has spent of Centra's API: the numbers an asset reports as its API cost."""

import dataclasses
from collections import Counter


@dataclasses.dataclass
class ApiUsage:
    """Counters of one client's traffic, or of one `measure()` block when used as a delta.

    Attributes:
        requests: HTTP requests sent, retries included (each one costs a REQUEST_COUNT token).
        complexity: Sum of `extensions.complexity` reported by Centra.
        mutations: Mutation fields sent, aliased ones counted one by one (MUTATION_COUNT tokens).
        throttled: HTTP 429 answers received.
        retries: Requests that were sent again after a failure or a 429.
        waited_seconds: Time spent sleeping, for pacing and for backoff together.
        permissions_used: For each permission in `extensions.permissionsUsed`, the number of
            responses that named it.
    """

    requests: int = 0
    complexity: int = 0
    mutations: int = 0
    throttled: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    permissions_used: dict[str, int] = dataclasses.field(default_factory=dict)

    def copy(self) -> "ApiUsage":
        """Return an independent snapshot of these counters."""
        return dataclasses.replace(self, permissions_used=dict(self.permissions_used))

    def minus(self, earlier: "ApiUsage") -> "ApiUsage":
        """Return the usage accrued since `earlier`, a snapshot of the same counters."""
        permissions = Counter(self.permissions_used)
        permissions.subtract(earlier.permissions_used)
        return ApiUsage(
            requests=self.requests - earlier.requests,
            complexity=self.complexity - earlier.complexity,
            mutations=self.mutations - earlier.mutations,
            throttled=self.throttled - earlier.throttled,
            retries=self.retries - earlier.retries,
            waited_seconds=self.waited_seconds - earlier.waited_seconds,
            permissions_used={name: count for name, count in permissions.items() if count > 0},
        )

    def overwrite_with(self, other: "ApiUsage") -> None:
        """Copy every counter of `other` into this object (used to fill a `measure()` result)."""
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(other.copy(), field.name))
