"""Which step failures a Dagster retry may cure, and how every other failure stops at once.

Every job that talks to Centra or a system beside it runs with `RETRY_POLICY`. Dagster's policy
retries any exception a step raises, so the asset decorators wrap each compute function in
`retry_only_transient`: a failure that a later attempt may not meet (Centra or a neighbour
unavailable or rate-limited for longer than its client kept trying) goes to the policy unchanged;
any other becomes a `dg.Failure` that Dagster does not retry, whose message says what to fix.
docs/centra-client.md ("Faults and retries") lists which error is which.
"""

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import dagster as dg

from centra_pipelines.centra.client.errors import CentraRateLimited, CentraUnavailable
from centra_pipelines.centra.client.retry import MAX_RETRY_AFTER_SECONDS
from centra_pipelines.centra.client.shared_budget import RateBudgetUnavailable
from centra_pipelines.connectors.rest import RestConnectionError, RestHttpError
from centra_pipelines.connectors.sql import SqlUnavailable
from centra_pipelines.warehouse.engines import WarehouseUnreachableError

# The Centra client has already retried for about a minute (eight attempts with backoff, or
# Retry-After) before a step fails, so a step retry is for outages longer than that: it waits
# about 30 s, 90 s, then 210 s (exponential, each ±30 s so parallel runs do not return together).
RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

# Failures that say only that the other side could not serve us yet. The shared rate budget's
# database and a PostgreSQL warehouse are among them: a restart or failover of either passes.
TRANSIENT_ERRORS = (
    CentraRateLimited,
    CentraUnavailable,
    RateBudgetUnavailable,
    WarehouseUnreachableError,
    RestConnectionError,
    SqlUnavailable,
)

NOT_RETRIED = (
    "Dagster does not retry this step: only Centra or a system beside it being unavailable or "
    "rate-limited is retried automatically. Fix the cause, then rerun the failed run (or its "
    "failed partitions)."
)

ComputeFn = TypeVar("ComputeFn", bound=Callable[..., Any])


class TransientFailure(dg.Failure):
    """A step failure another attempt may not meet; the job's retry policy retries it.

    Raised by a step that handled transient errors itself (a send step records each change's
    outcome, then fails naming what did not go through).
    """

    def __init__(self, description: str, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(description=description, metadata=metadata, allow_retries=True)


def is_transient(error: BaseException) -> bool:
    """True when the error only says the other side could not serve us yet."""
    if isinstance(error, (CentraRateLimited, CentraUnavailable)):
        # Centra asking for more than an hour's wait is not cured by retries minutes apart.
        return (error.retry_after or 0) <= MAX_RETRY_AFTER_SECONDS
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    return isinstance(error, RestHttpError) and (error.status == 429 or error.status >= 500)


def final_failure(error: Exception) -> dg.Failure:
    """The `dg.Failure` Dagster does not retry, with the error's own advice and what follows."""
    metadata: dict[str, Any] = {"error": type(error).__name__, "retried": False}
    if isinstance(error, dg.Failure):
        description = error.description or "the step failed"
        metadata = {**(error.metadata or {}), **metadata}
    else:
        description = f"{type(error).__name__}: {error}"
    return dg.Failure(
        description=f"{_sentence(description)} {NOT_RETRIED}",
        metadata=metadata,
        allow_retries=False,
    )


@contextmanager
def transient_failures_only() -> Iterator[None]:
    """Let transient failures reach the retry policy; turn every other one into a final one.

    A `dg.Failure` is final unless it is a `TransientFailure`: a step that fails on purpose has
    decided, and retrying a missing upstream table or a refused change changes nothing.
    """
    try:
        yield
    except (TransientFailure, dg.RetryRequested, dg.DagsterError):
        raise
    except dg.Failure as failure:
        if not failure.allow_retries:
            raise
        raise final_failure(failure) from failure
    except Exception as error:
        if is_transient(error):
            raise
        raise final_failure(error) from error


def retry_only_transient(compute: ComputeFn) -> ComputeFn:
    """Decorate an asset's compute function so that only transient failures are retried.

    The wrapper keeps the function's signature (Dagster reads the context and resources from it)
    and whether it is a generator (Dagster then iterates the events it yields).
    """
    if inspect.isgeneratorfunction(compute):

        @functools.wraps(compute)
        def generate(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with transient_failures_only():
                yield from compute(*args, **kwargs)

        return cast(ComputeFn, generate)

    @functools.wraps(compute)
    def call(*args: Any, **kwargs: Any) -> Any:
        with transient_failures_only():
            return compute(*args, **kwargs)

    return cast(ComputeFn, call)


def _sentence(text: str) -> str:
    """The text ending as a sentence, so that what follows it does not run on."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", ")")) else f"{text}."
