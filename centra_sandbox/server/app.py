"""One GraphQL request from JSON body to envelope: auth, limits, execution, extensions."""

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from graphql import (
    GraphQLError,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from centra_sandbox.config import SandboxConfig
from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.graphql.complexity import mutation_count, query_complexity
from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.middleware import FieldMiddleware
from centra_sandbox.graphql.schema import build_schema
from centra_sandbox.server.faults import FaultInjector
from centra_sandbox.server.metrics import Metrics
from centra_sandbox.server.ratelimit import RateLimiter
from centra_sandbox.store.database import Database

log = logging.getLogger(__name__)
RequestHook = Callable[[str | None, dict], None]


@dataclass
class Response:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def retry_after_value(
    seconds: float, form: str, now: float | None = None, *, minimum: int = 1
) -> str:
    """Retry-After in one of the forms the digest leaves open (§11.1), in whole seconds.

    The rate limiter asks for at least 1 s; injected faults may ask for 0 (retry at once).
    """
    seconds = max(minimum, math.ceil(seconds))
    moment = (now if now is not None else time.time()) + seconds
    if form == "http-date":
        return formatdate(math.ceil(moment), usegmt=True)
    if form == "epoch":
        return str(math.ceil(moment))
    return str(seconds)


def throttled_response(kind: str, interval: str, seconds: float, form: str) -> Response:
    value = retry_after_value(seconds, form)
    message = (
        f"Too many requests: the {kind} {interval} bucket is empty. "
        f"Retry after {math.ceil(seconds)} s (Retry-After: {value})."
    )
    body = {"errors": [{"message": message, "extensions": {"category": "rate_limit"}}]}
    return Response(429, body, {"Retry-After": value})


class SandboxApp:
    """Executes GraphQL requests against the store; shared by all HTTP threads."""

    def __init__(self, config: SandboxConfig, db: Database, changes: ChangeFeed) -> None:
        self.config = config
        self.db = db
        self.changes = changes
        self.schema = build_schema()
        self.tokens = config.token_permissions()
        self.zone = config.zone()
        self.limiter = RateLimiter(config.quotas())
        self.faults = FaultInjector(config.faults)
        self.metrics = Metrics()
        self.hooks: list[RequestHook] = []
        self.currencies = {row["id"]: row for row in db.all("SELECT * FROM currencies")}

    def handle(self, payload: Any, token: str | None) -> Response:
        permissions = self.tokens.get(token or "")
        if permissions is None:
            self.metrics.add("unauthorized")
            message = "Missing or unknown access token; send `Authorization: Bearer <token>`."
            return Response(
                401,
                {"errors": [{"message": message, "extensions": {"category": "authentication"}}]},
            )
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            message = 'Send a JSON object body like {"query": "...", "variables": {...}}.'
            return Response(400, {"errors": [{"message": message}]})
        if not isinstance(payload.get("variables") or {}, dict):
            message = "`variables` must be a JSON object mapping variable names to values."
            return Response(400, {"errors": [{"message": message}]})
        return self._graphql(payload, permissions, self.config.token_integration(token or ""))

    def _graphql(
        self, payload: dict, permissions: frozenset[str], integration_name: str
    ) -> Response:
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        try:
            document = parse(payload["query"])
        except GraphQLError as error:
            return self._envelope_errors([error])
        errors = validate(self.schema, document)
        operation = get_operation_ast(document, operation_name)
        if errors or operation is None:
            missing = GraphQLError(
                f"Unknown operation {operation_name!r}; name one in the document."
            )
            return self._envelope_errors(errors or [missing])
        complexity = query_complexity(self.schema, document, operation, variables)
        mutations = mutation_count(operation)
        rejection = self.limiter.admit(mutations)
        name = operation_name or (operation.name.value if operation.name else None)
        self.metrics.operation(name)
        if rejection is not None:
            self.metrics.add("throttled")
            return throttled_response(
                rejection.kind,
                rejection.interval,
                rejection.retry_after_seconds,
                self.config.retry_after_format,
            )
        for hook in list(self.hooks):
            hook(name, variables)
        context = self._context(permissions, integration_name)
        with self.db.lock:
            result = execute(
                self.schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                middleware=[FieldMiddleware()],
            )
        self.limiter.charge_complexity(complexity)
        self.metrics.add("complexity", complexity)
        self.metrics.add("mutations", mutations)
        return Response(200, self._envelope(result, complexity, context.permissions_used))

    def _context(self, permissions: frozenset[str], integration_name: str) -> RequestContext:
        return RequestContext(
            db=self.db,
            permissions=permissions,
            zone=self.zone,
            currencies=self.currencies,
            rate_limits=self.limiter,
            token_count=len(self.tokens),
            now=int(time.time()),
            changes=self.changes,
            integration_name=integration_name,
        )

    def _envelope(self, result: Any, complexity: int, permissions_used: list[str]) -> dict:
        body: dict[str, Any] = {}
        errors = result.errors or []
        if result.data is not None and not _wholly_denied(result.data, errors):
            body["data"] = result.data
        if errors:
            body["errors"] = [error.formatted for error in errors]
        body["extensions"] = {
            "complexity": complexity,
            "permissionsUsed": permissions_used,
            "appVersion": self.config.app_version,
        }
        return body

    def _envelope_errors(self, errors: list[GraphQLError]) -> Response:
        extensions = {"complexity": 0, "permissionsUsed": [], "appVersion": self.config.app_version}
        return Response(200, {"errors": [e.formatted for e in errors], "extensions": extensions})


def _wholly_denied(data: dict, errors: list[GraphQLError]) -> bool:
    """True when every root field failed on a permission: Centra then omits `data` (§1.4)."""
    denied = {
        error.path[0]
        for error in errors
        if error.path
        and len(error.path) == 1
        and (error.extensions or {}).get("category") == "authorization"
    }
    return bool(denied) and all(key in denied and data[key] is None for key in data)
