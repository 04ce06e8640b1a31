"""Per-request state handed to resolvers as `info.context`."""

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from centra_sandbox.store.database import Database


@dataclass
class RequestContext:
    """What a resolver may read: the store, the caller's permissions and the instance's zone."""

    db: Database
    permissions: frozenset[str]
    zone: ZoneInfo
    currencies: dict[int, dict[str, Any]]
    rate_limits: Any
    token_count: int
    now: int
    permissions_used: list[str] = field(default_factory=list)

    def use_permission(self, permission: str) -> bool:
        if permission not in self.permissions_used:
            self.permissions_used.append(permission)
        return permission in self.permissions
