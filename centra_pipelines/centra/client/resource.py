"""`CentraClient`: the Dagster resource through which every asset talks to Centra's GraphQL API."""

import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

import requests
import urllib3
from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from centra_pipelines.centra.client import ratelimit, shared_budget
from centra_pipelines.centra.client.errors import (
    CentraAuthenticationError,
    CentraError,
    CentraMutationOutcomeUnknown,
    CentraPermissionError,
    CentraQueryError,
    CentraRateLimited,
    CentraResponseError,
    CentraUnavailable,
    CentraUserErrors,
    describe_user_error,
)
from centra_pipelines.centra.client.operations import (
    Operation,
    describe_operation,
    key_function,
    resolve_path,
)
from centra_pipelines.centra.client.retry import (
    MAX_RETRY_AFTER_SECONDS,
    backoff_seconds,
    parse_retry_after,
)
from centra_pipelines.centra.client.usage import ApiUsage

logger = logging.getLogger(__name__)

# Establishing a connection takes milliseconds when Centra is healthy; waiting the whole read
# timeout for a SYN that will never be answered only delays the retry.
CONNECT_TIMEOUT_SECONDS = 10.0

# Gateway and server failures that are usually over by the next attempt.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

# Centra documents "Limit must be in range 1 - 200" for list fields.
MAX_PAGE_SIZE = 200

# Complexity assumed for an operation the client has not sent before; the real figure replaces
# it after the first response. Centra's documented examples range from 10 to about 230.
DEFAULT_COMPLEXITY_ESTIMATE = 250

RATE_LIMITS_QUERY = (
    "query CentraRateLimits { rateLimits { type intervalSeconds quota usedQuota remainingQuota } }"
)

# Permission strings as Centra writes them: `Order:read`, `Order.shippingAddress:read`.
_PERMISSION = re.compile(r"\b[A-Z][A-Za-z]*(?:\.[A-Za-z]+)*:(?:read|write)\b")

_INTERVAL_NAMES = {10: "TEN_SECONDS", 3600: "ONE_HOUR"}

_STATE_LOCK = threading.Lock()


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(self, reason: str, *, retry_after: float | None, throttled: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.throttled = throttled


@dataclasses.dataclass
class _State:
    """Everything the client keeps between calls; built on first use, after EnvVars resolve."""

    session: requests.Session
    budget: ratelimit.Budget
    usage: ApiUsage = dataclasses.field(default_factory=ApiUsage)
    complexity_by_query: dict[str, int] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    rate_limits_read: bool = False


class _Prefetcher:
    """Runs at most one page request ahead of the caller, on one background thread.

    Only one request is ever in flight for an iterator, and the pacing budget and usage counters
    are guarded by the client's lock, so prefetching changes when a request is sent, never how
    many are sent. Leaving the block waits for a request still in flight, so no request outlives
    the iteration that asked for it.
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None

    def __enter__(self) -> "_Prefetcher":
        if self.enabled:
            self.executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="centra-prefetch"
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def start(self, fetch: Callable[[Any], Any], argument: Any) -> Any:
        """A handle whose `result()` is the page: fetched now in the background, or on demand."""
        if self.executor is not None:
            return self.executor.submit(fetch, argument)
        return _OnDemand(fetch, argument)


class _OnDemand:
    """A page fetched only when asked for, for clients that do not prefetch."""

    def __init__(self, fetch: Callable[[Any], Any], argument: Any) -> None:
        self.fetch = fetch
        self.argument = argument

    def result(self) -> Any:
        return self.fetch(self.argument)


class CentraClient(ConfigurableResource):
    """Client of Centra's GraphQL Integration API: paced, retried, typed errors, usage counted.

    It works against any Centra environment (or the offline sandbox): only `api_url` and
    `api_token` differ. See docs/centra-client.md for the pacing model and the retry rules.
    """

    api_url: str = Field(description="Full GraphQL endpoint, ending in /graphql.")
    api_token: str = Field(description="Integration API token, sent as a Bearer token.", repr=False)
    plan: str = Field(
        default="growth",
        description="Centra rate-limit plan: growth, enhanced, high_volume, enterprise, standard.",
    )
    rate_share: float = Field(
        default=1.0,
        description="Share (0-1] of the environment's quotas this deployment may use.",
    )
    timeout_seconds: float = Field(default=30.0, description="Read timeout of one request.")
    max_attempts: int = Field(default=8, description="Attempts per request, the first included.")
    page_size: int = Field(default=100, description="Items per page when paging (1-200).")
    max_backoff_seconds: float = Field(
        default=60.0, description="Ceiling of the backoff used when Centra gives no Retry-After."
    )
    prefetch_pages: bool = Field(
        default=True,
        description="Request the next page while the caller processes the current one, so "
        "validation and writes overlap with Centra's response time instead of adding to it.",
    )
    read_rate_limits: bool = Field(
        default=True,
        description="Before the first request, read the environment's quotas with the rateLimits "
        "query and pace by them instead of by the plan's published numbers.",
    )
    quota_overrides: dict[str, int] | None = Field(
        default=None,
        description="Quotas that replace the plan's, keyed TYPE/INTERVAL "
        "(e.g. REQUEST_COUNT/TEN_SECONDS), for contracts that differ from the published plans.",
    )
    rate_budget_url: str | None = Field(
        default=None,
        description="Database holding the rate budget every run and sensor shares: "
        "sqlite:////absolute/path.sqlite or postgresql+psycopg2://user:password@host/db, or "
        "'process' to pace this process alone. Unset: CENTRA_RATE_BUDGET_URL, else "
        "$DAGSTER_HOME/centra-rate-budget.sqlite, else 'process'.",
        # A PostgreSQL URL may carry a password.
        repr=False,
    )

    # Injectable for tests, so that pacing and backoff run without real waiting.
    _sleep: Callable[[float], None] = PrivateAttr(default=time.sleep)
    _monotonic: Callable[[], float] = PrivateAttr(default=time.monotonic)
    _wall_time: Callable[[], float] = PrivateAttr(default=time.time)
    _random: Callable[[], float] = PrivateAttr(default=random.random)
    _state: _State | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Validate the configuration when a run starts rather than at the first request."""
        self._ready()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Close the keep-alive connections of the run."""
        if self._state is not None:
            self._state.session.close()

    @property
    def usage(self) -> ApiUsage:
        """A snapshot of everything this client has spent so far."""
        state = self._ready()
        with state.lock:
            return state.usage.copy()

    @contextlib.contextmanager
    def measure(self) -> Iterator[ApiUsage]:
        """Yield an `ApiUsage` that holds, once the block exits, what the block spent.

        All traffic of this client during the block is counted, including other threads'.
        """
        before = self.usage
        delta = ApiUsage()
        try:
            yield delta
        finally:
            delta.overwrite_with(self.usage.minus(before))

    def execute(
        self,
        query: str,
        *,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a query (or mutation) and return the response's `data`.

        Args:
            query: The GraphQL document.
            variables: Its variables.
            operation_name: Which operation to run when the document holds several.

        Returns:
            The `data` object of the response.

        Raises:
            CentraError: A subclass that says what went wrong and what to do about it; partial
                responses (data together with errors) raise too.
        """
        operation = describe_operation(query, operation_name)
        body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name is not None:
            body["operationName"] = operation_name

        envelope = self._send(query=query, body=body, operation=operation)
        return _data_of(envelope, operation)

    def mutate(
        self,
        mutation: str,
        *,
        payload_field: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a mutation and return its payload, raising if Centra reports `userErrors`.

        `userWarnings` (the mutation succeeded, with remarks) are logged at WARNING.

        Args:
            mutation: The GraphQL mutation document.
            payload_field: The top-level field (or alias) whose payload is returned.
            variables: Its variables.
            operation_name: Which operation to run when the document holds several.

        Raises:
            CentraUserErrors: The payload's `userErrors` is not empty.
            CentraMutationOutcomeUnknown: The request may have reached Centra but no answer came.
        """
        if not describe_operation(mutation, operation_name).is_mutation:
            raise ValueError("mutate() sends mutations only; run queries with execute().")

        data = self.execute(mutation, variables=variables, operation_name=operation_name)
        payload = data.get(payload_field)
        if not isinstance(payload, dict):
            raise CentraResponseError(
                f"The mutation response has no object under {payload_field!r}; pass the "
                "mutation's top-level field name (or its alias) as payload_field."
            )

        user_errors = payload.get("userErrors") or []
        user_warnings = payload.get("userWarnings") or []
        for warning in user_warnings:
            logger.warning("Centra warned on %s: %s", payload_field, describe_user_error(warning))
        if user_errors:
            raise CentraUserErrors(
                payload_field=payload_field, user_errors=user_errors, user_warnings=user_warnings
            )
        return payload

    def iter_pages(
        self,
        query: str,
        *,
        items_path: str,
        variables: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        key: str | Callable[[Mapping[str, Any]], Hashable] = "id",
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of a `limit`/`page` list, each item once.

        The query declares `$limit: Int!` and `$page: Int!` and must sort by an immutable key
        (`sort: [id_ASC]`). Paging stops at the first page shorter than the page size.

        Why this is safe while Centra's data changes: an update never moves an item under an
        immutable sort key, so updates cannot cause skips. An insert lands at its key's place;
        if that is before the current page, every later item shifts one place forward, so the
        last item of the page just read comes again on the next page. Shifting forward can only
        repeat items, never skip them, and repeats are dropped here by `key`. A deletion before
        the current page shifts items backward: the first item of the next page slides into the
        page already read and is skipped for this run (one item per deletion). The next run
        reads it; a caller that must be complete in one run should compare with a count.

        Args:
            query: The GraphQL document.
            items_path: Dotted path from `data` to the list; integer segments index lists
                (`warehouses.0.stock`).
            variables: Other variables of the query.
            page_size: Items per page; the client's `page_size` when None.
            key: Field name, or callable, that identifies an item for deduplication.

        Yields:
            The new items of each page, in order; a page of repeats only is not yielded.
        """
        size = self._checked_page_size(page_size)
        _require_variables(query, ("limit", "page"))
        identify = key_function(key)
        seen: set[Hashable] = set()
        pages = items_count = repeats = 0

        def fetch(page: int) -> list[Any]:
            page_variables = {**(variables or {}), "limit": size, "page": page}
            return _list_at(self.execute(query, variables=page_variables), items_path)

        with _Prefetcher(enabled=self.prefetch_pages) as prefetcher:
            try:
                upcoming = prefetcher.start(fetch, 1)
                while True:
                    items = upcoming.result()
                    pages += 1
                    # A full page may have a successor: ask for it while this one is processed.
                    if len(items) >= size:
                        upcoming = prefetcher.start(fetch, pages + 1)
                    fresh = _drop_seen(items, identify, seen)
                    repeats += len(items) - len(fresh)
                    if items and not fresh and len(items) >= size:
                        raise _stuck_paging_error(items_path, pages)
                    if fresh:
                        items_count += len(fresh)
                        yield fresh
                    if len(items) < size:
                        return
            finally:
                logger.info(
                    "fetched %d pages, %d items from %s (%d repeats dropped)",
                    pages,
                    items_count,
                    items_path,
                    repeats,
                )

    def iter_connection(
        self,
        query: str,
        *,
        connection_path: str,
        variables: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        key: str | Callable[[Mapping[str, Any]], Hashable] | None = "id",
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the nodes of a Relay connection page by page, following `pageInfo.endCursor`.

        The query declares `$first: Int!` and `$after: String` and selects `edges { node }` and
        `pageInfo { hasNextPage endCursor }`. Centra's cursors are keyset cursors (`number:166`),
        so changes during paging neither skip nor repeat items; a repeated `key` therefore means
        a broken server and raises instead of being dropped quietly.

        Args:
            query: The GraphQL document.
            connection_path: Dotted path from `data` to the connection object.
            variables: Other variables of the query.
            page_size: Nodes per page; the client's `page_size` when None.
            key: Field name, or callable, checked for repeats; None skips the check.

        Yields:
            The list of nodes of each page.
        """
        size = self._checked_page_size(page_size)
        _require_variables(query, ("first", "after"))
        identify = key_function(key) if key is not None else None
        seen: set[Hashable] = set()
        pages = nodes_count = 0

        def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
            page_variables = {**(variables or {}), "first": size, "after": cursor}
            data = self.execute(query, variables=page_variables)
            return _connection_page(data, connection_path, previous=cursor)

        with _Prefetcher(enabled=self.prefetch_pages) as prefetcher:
            try:
                upcoming = prefetcher.start(fetch, None)
                while True:
                    nodes, next_cursor = upcoming.result()
                    pages += 1
                    # The next cursor is known: ask for that page while this one is processed.
                    if next_cursor is not None:
                        upcoming = prefetcher.start(fetch, next_cursor)
                    if identify is not None:
                        _assert_unseen(nodes, identify, seen, connection_path)
                    nodes_count += len(nodes)
                    if nodes:
                        yield nodes
                    if next_cursor is None:
                        return
            finally:
                logger.info(
                    "fetched %d pages, %d items from %s", pages, nodes_count, connection_path
                )

    def refresh_rate_limits(self) -> dict[str, int]:
        """Read the environment's quotas with Centra's `rateLimits` query and pace by them.

        Each bucket becomes `quota × rate_share` (less the safety margin), and its level drops to
        what Centra says is left, since other integrations draw from the same buckets.
        `quota_overrides` still win over what Centra reports.

        Returns:
            The quotas adopted, keyed `TYPE/INTERVAL`.
        """
        state = self._ready()
        limits = self.execute(RATE_LIMITS_QUERY).get("rateLimits")
        if not isinstance(limits, list):
            raise CentraResponseError("Centra's rateLimits answer is not a list of limits.")

        adopted: dict[str, int] = {}
        overrides = self.quota_overrides or {}
        for limit in limits:
            key = _limit_key(limit)
            if key is None:
                logger.debug("ignoring a rate limit the client does not model: %s", limit)
                continue
            quota = int(overrides.get(key, limit["quota"]))
            remaining = int(limit.get("remainingQuota", quota))
            state.budget.adopt(key, quota=quota, remaining=remaining)
            adopted[key] = quota

        logger.info(
            "adopted %d Centra rate limits (%s requests per 10 s, share %.2f)",
            len(adopted),
            adopted.get("REQUEST_COUNT/TEN_SECONDS", "unchanged"),
            self.rate_share,
        )
        return adopted

    def _read_rate_limits_once(self, state: _State) -> None:
        """Pace by the environment's real quotas: plans change, and Centra may lower them."""
        with state.lock:
            if not self.read_rate_limits or state.rate_limits_read:
                return
            state.rate_limits_read = True

        self.refresh_rate_limits()

    def _ready(self) -> _State:
        if self._state is not None:
            return self._state
        with _STATE_LOCK:
            if self._state is None:
                self._state = self._build_state()
        return self._state

    def _build_state(self) -> _State:
        self._validate()
        quotas = ratelimit.resolve_quotas(plan=self.plan, overrides=self.quota_overrides)
        budget = self._build_budget(quotas)

        session = requests.Session()
        session.headers.update(
            {
                "Authorization": f"Bearer {self.api_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "centra-pipelines",
            }
        )
        return _State(session=session, budget=budget)

    def _build_budget(self, quotas: dict[str, int]) -> ratelimit.Budget:
        # Read when the run starts, not at import: the code location and the run worker may
        # see different environments.
        url = shared_budget.resolve_budget_url(self.rate_budget_url, os.environ)
        if url == shared_budget.PROCESS:
            return ratelimit.RateBudget(quotas=quotas, share=self.rate_share, clock=self._monotonic)

        # Wall-clock time: the processes sharing the budget share no monotonic clock.
        return shared_budget.SharedRateBudget(
            url=url,
            environment=shared_budget.environment_key(self.api_url),
            quotas=quotas,
            share=self.rate_share,
            clock=self._wall_time,
            resize_to_quotas=not self.read_rate_limits,
        )

    def _validate(self) -> None:
        problems = []
        if not str(self.api_url).startswith(("http://", "https://")):
            problems.append("api_url must be an http(s) URL ending in /graphql (CENTRA_API_URL)")
        if not self.api_token:
            problems.append("api_token is empty (CENTRA_API_TOKEN)")
        if not 0 < self.rate_share <= 1:
            problems.append(f"rate_share must be in (0, 1], not {self.rate_share}")
        if self.timeout_seconds <= 0 or self.max_backoff_seconds < 0:
            problems.append("timeout_seconds must be positive and max_backoff_seconds not negative")
        if self.max_attempts < 1:
            problems.append(f"max_attempts must be at least 1, not {self.max_attempts}")
        if problems:
            raise ValueError("Invalid CentraClient configuration: " + "; ".join(problems) + ".")
        self._checked_page_size(None)

    def _checked_page_size(self, page_size: int | None) -> int:
        size = self.page_size if page_size is None else page_size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"Page size {size} is outside Centra's range 1-{MAX_PAGE_SIZE}.")
        return size

    def _send(self, *, query: str, body: dict[str, Any], operation: Operation) -> dict[str, Any]:
        state = self._ready()
        self._read_rate_limits_once(state)
        attempt = 1
        while True:
            estimate = self._wait_for_budget(state, query=query, operation=operation)
            try:
                envelope = self._send_once(state, body=body, operation=operation)
            except _Retryable as failure:
                self._prepare_retry(state, failure, operation=operation, attempt=attempt)
                attempt += 1
                continue

            self._record(state, envelope, query=query, estimate=estimate)
            return envelope

    def _wait_for_budget(self, state: _State, *, query: str, operation: Operation) -> int:
        with state.lock:
            estimate = state.complexity_by_query.get(query, DEFAULT_COMPLEXITY_ESTIMATE)
        costs = {
            ratelimit.REQUEST_COUNT: 1,
            ratelimit.MUTATION_COUNT: operation.mutation_count,
            ratelimit.QUERY_COMPLEXITY: estimate,
        }

        wait = state.budget.reserve(costs)
        if wait > 0:
            logger.debug("pacing %s: waiting %.2f s for rate-limit budget", operation.name, wait)
            self._pause(state, wait)
        return estimate

    def _pause(self, state: _State, seconds: float) -> None:
        self._sleep(seconds)
        with state.lock:
            state.usage.waited_seconds += seconds

    def _send_once(
        self, state: _State, *, body: dict[str, Any], operation: Operation
    ) -> dict[str, Any]:
        with state.lock:
            state.usage.requests += 1
            state.usage.mutations += operation.mutation_count

        started = self._monotonic()
        response = self._post(state, body=body, operation=operation)
        logger.debug(
            "POST %s: HTTP %d in %.2f s",
            operation.name,
            response.status_code,
            self._monotonic() - started,
        )
        self._check_status(state, response, operation=operation)
        return self._decode(response, operation=operation)

    def _post(
        self, state: _State, *, body: dict[str, Any], operation: Operation
    ) -> requests.Response:
        timeout = (min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds), self.timeout_seconds)
        try:
            return state.session.post(self.api_url, json=body, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            # A failure to connect happens before any byte of the request is sent, so even a
            # mutation is safe to send again.
            if _never_sent(error):
                raise _Retryable(
                    f"could not connect ({type(error).__name__})", retry_after=None
                ) from error
            reason = f"the connection failed after sending ({type(error).__name__})"
            raise self._unsure(operation, reason) from error
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise self._unsure(operation, "the response body was cut off") from None

    def _unsure(self, operation: Operation, reason: str) -> Exception:
        # Once a mutation may have reached Centra, sending it again could apply it twice (stock
        # moved twice, a shipment created twice); only the operator can tell what happened.
        if operation.is_mutation:
            return CentraMutationOutcomeUnknown(operation=operation.name, reason=reason)
        return _Retryable(reason, retry_after=None)

    def _check_status(
        self, state: _State, response: requests.Response, *, operation: Operation
    ) -> None:
        status = response.status_code
        if status in (401, 403):
            raise CentraAuthenticationError(status_code=status, operation=operation.name)
        if status in (404, 405):
            raise CentraResponseError(
                f"{self.api_url} answered {operation.name} with HTTP {status}: there is no "
                "GraphQL endpoint at that URL. Set CENTRA_API_URL to the full endpoint, ending "
                "in /graphql."
            )

        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._wall_time())
        if status == 429:
            # Centra's rate limiter rejects a request before running it, so a 429 is safe to
            # retry for mutations too.
            with state.lock:
                state.usage.throttled += 1
            raise _Retryable("HTTP 429", retry_after=retry_after, throttled=True)
        if status in RETRYABLE_STATUSES:
            if operation.is_mutation:
                # The request reached Centra; whether the mutation committed is unknown.
                reason = f"Centra answered HTTP {status}"
                raise CentraMutationOutcomeUnknown(operation=operation.name, reason=reason)
            raise _Retryable(f"HTTP {status}", retry_after=retry_after)

    def _decode(self, response: requests.Response, *, operation: Operation) -> dict[str, Any]:
        try:
            envelope = response.json()
        except ValueError:
            if response.status_code != 200:
                raise CentraResponseError(
                    f"Centra answered {operation.name} with HTTP {response.status_code} and a "
                    "body that is not JSON; check that CENTRA_API_URL is the /graphql endpoint."
                ) from None
            raise self._unsure(operation, "the response body was not valid JSON") from None

        if not isinstance(envelope, dict):
            raise CentraResponseError(
                f"Centra answered {operation.name} with JSON that is not a GraphQL response "
                "object; check that CENTRA_API_URL is the /graphql endpoint."
            )
        return envelope

    def _prepare_retry(
        self, state: _State, failure: _Retryable, *, operation: Operation, attempt: int
    ) -> None:
        if attempt >= self.max_attempts:
            raise _exhausted(failure, operation=operation, attempts=attempt, url=self.api_url)

        wait = failure.retry_after
        if wait is None:
            wait = backoff_seconds(
                attempt=attempt, cap=self.max_backoff_seconds, random=self._random
            )
        if wait > MAX_RETRY_AFTER_SECONDS:
            reason = f"{failure.reason} asked for a wait of {wait:.0f} s, beyond the 1 h cap"
            refused = _Retryable(reason, retry_after=wait, throttled=failure.throttled)
            raise _exhausted(refused, operation=operation, attempts=attempt, url=self.api_url)

        logger.warning(
            "Centra request %s failed: %s; retrying in %.1f s (attempt %d of %d)",
            operation.name,
            failure.reason,
            wait,
            attempt + 1,
            self.max_attempts,
        )
        with state.lock:
            state.usage.retries += 1
        if failure.throttled:
            # The wait happens in the budget, which holds every request of this client, not
            # just this one, until Centra accepts requests again.
            state.budget.pause(wait)
        elif wait > 0:
            self._pause(state, wait)

    def _record(
        self, state: _State, envelope: Mapping[str, Any], *, query: str, estimate: int
    ) -> None:
        extensions = envelope.get("extensions") or {}
        complexity = extensions.get("complexity")
        permissions = extensions.get("permissionsUsed") or []
        with state.lock:
            for permission in permissions:
                state.usage.permissions_used[permission] = (
                    state.usage.permissions_used.get(permission, 0) + 1
                )
            if isinstance(complexity, int):
                state.usage.complexity += complexity
                state.complexity_by_query[query] = complexity
        if isinstance(complexity, int):
            state.budget.settle(ratelimit.QUERY_COMPLEXITY, complexity - estimate)


def _never_sent(error: Exception) -> bool:
    """Tell whether the request failed while connecting, before any of it was sent.

    Refused connections, DNS failures, connect timeouts and TLS handshake failures all happen
    before the request line is written. A pooled keep-alive connection that the server closed
    while idle is detected by urllib3 before reuse, so it does not end up here.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    connect_failures = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.SSLError)
    return isinstance(reason, connect_failures)


def _exhausted(
    failure: _Retryable, *, operation: Operation, attempts: int, url: str
) -> CentraError:
    if failure.throttled:
        return CentraRateLimited(
            operation=operation.name,
            attempts=attempts,
            reason=failure.reason,
            retry_after=failure.retry_after,
        )
    return CentraUnavailable(
        operation=operation.name,
        attempts=attempts,
        last_failure=failure.reason,
        url=url,
        retry_after=failure.retry_after,
    )


def _data_of(envelope: Mapping[str, Any], operation: Operation) -> dict[str, Any]:
    errors = envelope.get("errors")
    data = envelope.get("data")
    if errors:
        raise _graphql_error(errors, operation=operation, partial_data=data is not None)
    if not isinstance(data, dict):
        raise CentraResponseError(
            f"Centra's answer to {operation.name} has neither data nor errors; the endpoint may "
            "not be Centra's GraphQL API (check CENTRA_API_URL)."
        )
    return data


def _graphql_error(errors: Any, *, operation: Operation, partial_data: bool) -> CentraError:
    if not isinstance(errors, list) or not all(isinstance(error, dict) for error in errors):
        return CentraResponseError(f"Centra's answer to {operation.name} has malformed errors.")

    denied = [
        error
        for error in errors
        if (error.get("extensions") or {}).get("category") == "authorization"
    ]
    if not denied:
        return CentraQueryError(errors=errors, operation=operation.name, partial_data=partial_data)

    messages = [str(error.get("message", "")) for error in denied]
    permissions = list(dict.fromkeys(p for m in messages for p in _PERMISSION.findall(m)))
    paths = [".".join(str(s) for s in error["path"]) for error in denied if error.get("path")]
    return CentraPermissionError(
        permissions=permissions, paths=paths, operation=operation.name, detail=" ".join(messages)
    )


def _require_variables(query: str, names: tuple[str, ...]) -> None:
    declared = describe_operation(query).variable_names
    missing = [f"${name}" for name in names if name not in declared]
    if missing:
        raise ValueError(f"The paged query must declare {', '.join(missing)}; it pages by them.")


def _list_at(data: Mapping[str, Any], path: str) -> list[Any]:
    items = resolve_path(data, path)
    if not isinstance(items, list):
        raise CentraResponseError(f"{path!r} in the response is not a list; point it at one.")
    return items


def _drop_seen(
    items: list[Any], identify: Callable[[Any], Hashable], seen: set[Hashable]
) -> list[Any]:
    fresh = []
    for item in items:
        identity = identify(item)
        if identity not in seen:
            seen.add(identity)
            fresh.append(item)
    return fresh


def _stuck_paging_error(path: str, page: int) -> CentraResponseError:
    return CentraResponseError(
        f"Page {page} of {path!r} was full but held only items already read, so paging would "
        "never end; check that the query passes $page to the list field."
    )


def _connection_page(
    data: Mapping[str, Any], path: str, *, previous: str | None
) -> tuple[list[Any], str | None]:
    connection = resolve_path(data, path)
    edges = resolve_path(connection, "edges") if isinstance(connection, Mapping) else None
    info = connection.get("pageInfo") if isinstance(connection, Mapping) else None
    if not isinstance(edges, list) or not isinstance(info, Mapping):
        raise CentraResponseError(
            f"{path!r} is not a connection; select edges {{ node }} and pageInfo "
            "{ hasNextPage endCursor } in the query."
        )

    nodes = [edge["node"] for edge in edges if isinstance(edge, Mapping) and "node" in edge]
    if not info.get("hasNextPage"):
        return nodes, None
    cursor = info.get("endCursor")
    if not cursor or cursor == previous:
        raise CentraResponseError(
            f"{path!r} reports a next page but endCursor is {cursor!r}, which does not advance; "
            "select pageInfo { endCursor } and check the connection's sort."
        )
    return nodes, cursor


def _assert_unseen(
    nodes: list[Any], identify: Callable[[Any], Hashable], seen: set[Hashable], path: str
) -> None:
    for node in nodes:
        identity = identify(node)
        if identity in seen:
            raise CentraResponseError(
                f"{path!r} returned {identity!r} twice while following cursors; keyset paging "
                "should never repeat an item, so the cursor or the sort is broken."
            )
        seen.add(identity)


def _limit_key(limit: Any) -> str | None:
    if not isinstance(limit, Mapping) or "quota" not in limit:
        return None
    interval = limit.get("intervalSeconds")
    if isinstance(interval, int | float):
        interval = _INTERVAL_NAMES.get(int(interval))
    bucket_type = limit.get("type")
    if bucket_type not in ratelimit.BUCKET_TYPES or interval not in ratelimit.INTERVAL_SECONDS:
        return None
    return ratelimit.bucket_key(bucket_type, interval)
