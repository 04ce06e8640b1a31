"""Planning from files: claim, plan each file's changes, archive only once they are stored."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.outbound.outbox import Change, Outbox, Planned


@dataclass
class FilePlan:
    """What planning the waiting files of one kind produced."""

    files: list[str] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def plan_waiting_files(
    files: FileExchange,
    outbox: Outbox,
    *,
    pattern: str,
    run_id: str,
    changes_of: Callable[[ClaimedFile], Iterable[Change]],
) -> FilePlan:
    """Plan every waiting file that matches `pattern`; a file with a bad row is held whole.

    One run at a time reads a folder (the warehouse takes one writer), so files a crashed run left
    in processing/ are taken back first. Files are archived only after their changes are
    committed, so a failure while planning leaves them to the next run.
    """
    files.recover()
    result = FilePlan()
    claimed_files = list(files.claim(pattern=pattern, unreadable=result.unreadable))
    for claimed in claimed_files:
        changes = list(changes_of(claimed))
        held = any(change.reason for change in changes)
        stored, unchanged = outbox.plan(changes, f"{run_id}:{claimed.claim_id}", hold=held)
        result.planned += stored
        result.unchanged += unchanged
        result.rows += len(changes)

    for claimed in claimed_files:
        files.done(claimed)
        result.files.append(claimed.name)
    return result
