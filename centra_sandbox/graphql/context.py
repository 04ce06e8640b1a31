"""Per-request state handed to resolvers as `info.context`."""

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.store.database import Database


@dataclass
class RequestContext:
    """What a resolver may use: the store, the change feed, the caller and the instance's zone.

    `integration_name` is the caller's integration: the event queue it reads and confirms.
    """

    db: Database
    permissions: frozenset[str]
    zone: ZoneInfo
    currencies: dict[int, dict[str, Any]]
    rate_limits: Any
    token_count: int
    now: int
    changes: ChangeFeed
    integration_name: str
    permissions_used: list[str] = field(default_factory=list)

    def use_permission(self, permission: str) -> bool:
        if permission not in self.permissions_used:
            self.permissions_used.append(permission)
        return permission in self.permissions

    @cached_property
    def overrides(self) -> dict[tuple[str, int, str], Any]:
        # Read once per request: the table is empty unless a test planted bad records.
        rows = self.db.all("SELECT * FROM rawOverrides")
        return {
            (row["typeName"], row["objectId"], row["field"]): json.loads(row["valueJSON"])
            for row in rows
        }

    def override(self, type_name: str, object_id: int, field_name: str, default: Any) -> Any:
        """The planted value of one field, or `default` when none is planted."""
        return self.overrides.get((type_name, object_id, field_name), default)
