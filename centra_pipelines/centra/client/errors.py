"""Exceptions raised by the Centra client, each with a message that tells the operator what to do.

Every exception derives from `CentraError`, so a caller that only wants to stop cleanly catches
that one type; the subclasses exist so that sensors and retry policies can tell a bad token from a
missing permission from an overloaded API.
"""

from collections.abc import Mapping, Sequence
from typing import Any

_TOKEN_PAGE = "AMS → System → API tokens"

# Never more than this many GraphQL errors are spelled out in one message; the rest are counted.
_ERRORS_IN_MESSAGE = 3


class CentraError(Exception):
    """Base class of everything the Centra client raises."""


class CentraAuthenticationError(CentraError):
    """Centra refused the token itself (HTTP 401 or 403)."""

    def __init__(self, *, status_code: int, operation: str) -> None:
        self.status_code = status_code
        self.operation = operation
        super().__init__(
            f"Centra answered HTTP {status_code} to {operation}: the API token was not accepted. "
            "Check that CENTRA_API_TOKEN holds a valid Integration API token (tokens expire after "
            f"30 days unless set otherwise; renew it in {_TOKEN_PAGE}) and that CENTRA_API_URL "
            "points at the /graphql endpoint of the environment the token belongs to."
        )


class CentraPermissionError(CentraError):
    """The token is valid but lacks a permission the query needs."""

    def __init__(
        self, *, permissions: Sequence[str], paths: Sequence[str], operation: str, detail: str
    ) -> None:
        self.permissions = list(permissions)
        self.paths = list(paths)
        self.operation = operation
        needed = ", ".join(self.permissions) or "an unnamed permission"
        where = ", ".join(self.paths) or operation
        super().__init__(
            f"The Centra token lacks permission {needed} (needed for {where} in {operation}). "
            f"Add {needed} to the token in {_TOKEN_PAGE}, then rerun. Centra said: {detail}"
        )


class CentraQueryError(CentraError):
    """Centra answered with GraphQL errors that are not about permissions."""

    def __init__(
        self, *, errors: Sequence[Mapping[str, Any]], operation: str, partial_data: bool
    ) -> None:
        self.errors = [dict(error) for error in errors]
        self.operation = operation
        self.partial_data = partial_data
        described = "; ".join(
            describe_graphql_error(error) for error in errors[:_ERRORS_IN_MESSAGE]
        ).rstrip(".")
        more = len(errors) - _ERRORS_IN_MESSAGE
        suffix = f" (and {more} more)" if more > 0 else ""
        partial = " The partial data in the response was discarded." if partial_data else ""
        super().__init__(
            f"Centra rejected {operation}: {described}{suffix}.{partial} Fix the query or its "
            "variables; retrying the same request gives the same answer."
        )


class CentraUserErrors(CentraError):
    """A mutation ran but Centra reported `userErrors`: the change (or part of it) failed."""

    def __init__(
        self,
        *,
        payload_field: str,
        user_errors: Sequence[Mapping[str, Any]],
        user_warnings: Sequence[Mapping[str, Any]],
    ) -> None:
        self.payload_field = payload_field
        self.user_errors = [dict(error) for error in user_errors]
        self.user_warnings = [dict(warning) for warning in user_warnings]
        described = "; ".join(describe_user_error(error) for error in user_errors)
        super().__init__(
            f"Centra refused {payload_field} with {len(user_errors)} user error(s): {described}. "
            "Correct the input named by each path (an unknown ID usually means the object was "
            "deleted or never synced) before sending the mutation again."
        )


class CentraRateLimited(CentraError):
    """Centra kept answering 429, or asked for a wait longer than the client accepts."""

    def __init__(
        self, *, operation: str, attempts: int, reason: str, retry_after: float | None = None
    ) -> None:
        self.operation = operation
        self.attempts = attempts
        # The wait Centra asked for last, in seconds, when it named one.
        self.retry_after = retry_after
        super().__init__(
            f"Centra rate-limited {operation} after {attempts} attempt(s): {reason}. The quotas "
            "are shared by every integration in the environment: lower `rate_share` on this "
            "deployment, run fewer Centra steps at once, or check that `plan` matches the "
            "environment's plan, then rerun."
        )


class CentraUnavailable(CentraError):
    """Centra kept failing with 5xx answers, broken bodies or lost connections."""

    def __init__(
        self,
        *,
        operation: str,
        attempts: int,
        last_failure: str,
        url: str,
        retry_after: float | None = None,
    ) -> None:
        self.operation = operation
        self.attempts = attempts
        self.last_failure = last_failure
        self.url = url
        # The wait Centra asked for last, in seconds, when it named one.
        self.retry_after = retry_after
        super().__init__(
            f"Centra at {url} did not answer {operation} usefully in {attempts} attempt(s); last "
            f"failure: {last_failure}. Check that CENTRA_API_URL is right and reachable and "
            "whether Centra reports an incident; the run is safe to retry later."
        )


class CentraMutationOutcomeUnknown(CentraError):
    """A mutation may or may not have been applied, so the client did not resend it."""

    def __init__(self, *, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(
            f"The mutation {operation} may or may not have been applied by Centra: {reason}. "
            "It was not resent because a second attempt could apply it twice. Check the "
            "affected objects in Centra (in AMS or with a read query) before retrying it."
        )


class CentraResponseError(CentraError):
    """Centra's answer did not have the shape the client or the caller expected."""


def describe_graphql_error(error: Mapping[str, Any]) -> str:
    """Return one GraphQL error as `message (at path; line L col C)` for an exception message."""
    message = str(error.get("message", "no message"))
    details = []
    path = error.get("path")
    if path:
        details.append("at " + ".".join(str(segment) for segment in path))
    for location in error.get("locations") or []:
        details.append(f"line {location.get('line')} col {location.get('column')}")
    return f"{message} ({'; '.join(details)})" if details else message


def describe_user_error(error: Mapping[str, Any]) -> str:
    """Return one `userErrors`/`userWarnings` item as `message (at a.b.c)`."""
    message = str(error.get("message", "no message"))
    path = error.get("path")
    if not path:
        return message
    return f"{message} (at {'.'.join(str(segment) for segment in path)})"
