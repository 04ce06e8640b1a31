"""Runs a sensor asked for and has not yet seen finish, kept in the sensor's cursor.

A sensor that may only acknowledge work once it has landed (confirm Centra events, move a delta
high-water mark) remembers each run it requested and looks at the run's status on later ticks. A
failed run is asked for again under a new run key (Dagster launches a run key once per sensor), so
its work is retried rather than dropped or acknowledged.
"""

import json
import time
from dataclasses import asdict, dataclass, field
from enum import Enum

import dagster as dg

from centra_pipelines.centra.automation.refresh import REQUEST_TAG, PlannedRun, to_run_request

# A requested run that has not appeared in the instance after this long was lost (the daemon
# stopped between the tick and the launch, say) and is requested again.
LOST_AFTER_SECONDS = 15 * 60

_FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class RequestState(Enum):
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# A failed run is requested again at once, then after growing pauses, so that a partition that
# keeps failing does not launch a failing run every tick.
FIRST_RETRY_PAUSE_SECONDS = 120
LONGEST_RETRY_PAUSE_SECONDS = 3600

RESET_ADVICE = "reset the sensor's cursor in the Dagster UI (the sensor's page, Reset cursor)"


class CursorError(ValueError):
    """A sensor cursor this code cannot read; the message says how to recover."""


@dataclass
class PendingRun:
    """A requested run and what it stands for (event ids, or the delta window it covers)."""

    request_id: str
    job_name: str
    tags: dict[str, str]
    requested_at: float
    attempt: int = 1
    event_ids: list[int] = field(default_factory=list)
    retry_at: float = 0.0

    @property
    def run_key(self) -> str:
        return self.request_id if self.attempt == 1 else f"{self.request_id}#{self.attempt}"

    def run_request(self, trigger: str) -> dg.RunRequest:
        return to_run_request(self.run_key, PlannedRun(self.job_name, self.tags), trigger=trigger)

    def retried(self) -> "PendingRun":
        return PendingRun(
            self.request_id,
            self.job_name,
            self.tags,
            time.time(),
            self.attempt + 1,
            self.event_ids,
        )

    def retry_pause(self) -> float:
        if self.attempt == 1:
            return 0.0
        pause = FIRST_RETRY_PAUSE_SECONDS * 2 ** (self.attempt - 2)
        return float(min(pause, LONGEST_RETRY_PAUSE_SECONDS))


def state_of(instance: dg.DagsterInstance, pending: PendingRun) -> RequestState:
    """Whether the latest attempt's run succeeded, failed, or is still to come."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={REQUEST_TAG: pending.run_key}))
    if any(run.status == dg.DagsterRunStatus.SUCCESS for run in runs):
        return RequestState.SUCCEEDED
    if runs and all(run.status in _FAILED for run in runs):
        return RequestState.FAILED
    if not runs and time.time() - pending.requested_at > LOST_AFTER_SECONDS:
        return RequestState.FAILED
    return RequestState.WAITING


def dump_pending(pending: list[PendingRun]) -> list[dict]:
    return [asdict(run) for run in pending]


def load_pending(items: object) -> list[PendingRun]:
    try:
        return [PendingRun(**item) for item in items]
    except TypeError as error:
        message = f"the cursor's pending runs are unreadable ({error}); {RESET_ADVICE}"
        raise CursorError(message) from error


def load_cursor(cursor: str | None) -> dict:
    """The cursor as a dict; anything else is refused rather than read as a fresh start."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError as error:
        raise CursorError(f"the sensor cursor is not JSON ({error}); {RESET_ADVICE}") from error
    if not isinstance(value, dict):
        raise CursorError(f"the sensor cursor {cursor[:80]!r} is not a JSON object; {RESET_ADVICE}")
    return value


def cursor_value(state: dict, key: str, convert, default):
    """One value of the cursor, converted; a value that does not convert names the key."""
    if key not in state:
        return default
    try:
        return convert(state[key])
    except (TypeError, ValueError) as error:
        raise CursorError(
            f"the cursor's {key!r} is unreadable ({error}); {RESET_ADVICE}"
        ) from error


def dump_cursor(value: dict) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
