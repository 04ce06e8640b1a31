"""Planning from files: claim, plan each file's changes, archive only once they are stored."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.outbound.outbox import (
    HELD,
    PENDING,
    REJECTED,
    Change,
    Outbox,
    Planned,
    describe_reasons,
)

# The blocking check every file-planning asset carries; a failure stops the send in the run.
PLAN_CHECK = "every_row_planned"
# Pending and rejected changes each shown in a plan's preview table.
PREVIEW_ROWS = 20


@dataclass
class FilePlan:
    """What planning the waiting files of one kind produced."""

    files: list[str] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    def with_status(self, status: str) -> list[Planned]:
        return [planned for planned in self.planned if planned.status == status]

    def metadata(self, preview: str) -> dict:
        """What the planning asset's materialization shows: counts and a preview table."""
        return {
            "files": ", ".join(self.files) or "none",
            "rows": self.rows,
            "would_send": len(self.with_status(PENDING)),
            "unchanged": self.unchanged,
            "held": len(self.with_status(HELD)),
            "rejected": len(self.with_status(REJECTED)),
            "preview": dg.MetadataValue.md(preview),
        }

    def results(
        self, table: Callable[[list[Planned]], str], **more: Any
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        """The planning asset's materialization, with `more` metadata, and its check.

        The preview table shows the first pending and the first rejected changes.
        """
        pending = self.with_status(PENDING)[:PREVIEW_ROWS]
        rejected = self.with_status(REJECTED)[:PREVIEW_ROWS]
        yield dg.MaterializeResult(metadata={**self.metadata(table(pending + rejected)), **more})
        yield self.check()

    def check(self) -> dg.AssetCheckResult:
        """Passes when every file was readable and every row planned."""
        rejected = self.with_status(REJECTED)
        reasons = [f"{name}: {reason}" for name, reason in self.unreadable]
        reasons.append(describe_reasons(rejected))
        return dg.AssetCheckResult(
            check_name=PLAN_CHECK,
            passed=not rejected and not self.unreadable,
            metadata={
                "rejected": len(rejected),
                "unreadable_files": len(self.unreadable),
                "reasons": "; ".join(reason for reason in reasons if reason) or "none",
            },
        )


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
