"""The sending step every flow shares: send what is due, group by group, recording each group.

A sending asset takes the due changes of one target and entity, records at once those whose
content the target already got from us, then sends the rest in groups and records each group's
outcome before the next, so that a crash never sends again what the target took. A change that
failed keeps its reason, stays planned and is sent again by the next run; the step fails naming
it. What differs between flows is only how changes are grouped and how one group is sent.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import nullcontext
from typing import Any

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError, CentraUserErrors
from centra_pipelines.failures import TransientFailure, is_transient
from centra_pipelines.outbound.outbox import Outbox, Outcome, Planned, batches, describe_reasons

# Rows shown in a send's preview table.
PREVIEW_ROWS = 20
# Longest reason stored with a failed change.
REASON_LENGTH = 500

SendBatch = Callable[[list[Planned]], Outcome]
AfterBatch = Callable[[Outcome], None]
Fail = Callable[[list[Planned], str], Outcome]


def send_due(
    context: dg.AssetExecutionContext,
    outbox: Outbox,
    target: str,
    entity: str,
    send_batch: SendBatch,
    *,
    batch_size: int | None,
    group_by: Callable[[Planned], Hashable] | None = None,
    centra: CentraClient | None = None,
    after_batch: AfterBatch | None = None,
    preview: Callable[[list[Planned]], str] | None = None,
    target_name: str | None = None,
) -> tuple[Outcome, dict[str, Any]]:
    """Send the due changes of `entity` to `target` batch by batch; returns outcome and metadata.

    Args:
        send_batch: sends one batch and says which of its changes were sent and which failed.
        batch_size: changes per batch; None sends each group (or everything) as one batch.
        group_by: keeps changes with different keys out of one batch (a warehouse, a product).
        centra: when the target is Centra, the mutations spent are reported as `api/mutations`.
        after_batch: runs after each batch is recorded (a two-way flow's agreement ledger).
        preview: a markdown table of changes, shown for the first sent ones.
        target_name: the target as the closing log line names it (default `target`).
    """
    needed, outcome = due_to_send(context, outbox, target, entity)
    measuring = centra.measure() if centra is not None else nullcontext()
    with measuring as cost:
        for batch in _batches(needed, batch_size, group_by):
            done = send_batch(batch)
            # Recorded batch by batch, so a crash later never resends what the target took.
            record_batch(context, outbox, outcome, done)
            if after_batch is not None:
                after_batch(done)
            if done.stopped:
                _stop(context, entity, outcome, done.stopped, len(needed))
                break
    spent = f"{cost.mutations} mutations" if cost is not None else ""
    log_sent(context, entity, target_name or target, outcome, detail=spent)
    return outcome, _metadata(outcome, cost, preview)


def due_to_send(
    context: dg.AssetExecutionContext, outbox: Outbox, target: str, entity: str
) -> tuple[list[Planned], Outcome]:
    """The due changes the target needs, and the outcome so far: those it holds, recorded now."""
    needed, unchanged = outbox.split_unchanged(outbox.due(target, entity))
    outbox.record(Outcome(unchanged=unchanged), context.run.run_id)
    context.log.info(
        "%s for %s: %d to send, %d unchanged", entity, target, len(needed), len(unchanged)
    )
    return needed, Outcome(unchanged=unchanged)


def record_batch(
    context: dg.AssetExecutionContext, outbox: Outbox, outcome: Outcome, done: Outcome
) -> None:
    """Store what one batch did and add it to the step's outcome."""
    outbox.record(done, context.run.run_id)
    outcome.sent += done.sent
    outcome.failed += done.failed


def log_sent(
    context: dg.AssetExecutionContext, entity: str, target: str, outcome: Outcome, detail: str = ""
) -> None:
    """The line every send asset ends with, the same in every flow for whoever is on call."""
    context.log.info(
        "%s to %s: %d sent, %d unchanged, %d failed%s",
        entity,
        target,
        len(outcome.sent),
        len(outcome.unchanged),
        len(outcome.failed),
        f" ({detail})" if detail else "",
    )


def failed(items: list[Planned], reason: str, *, error: Exception | None = None) -> Outcome:
    """An outcome in which every one of `items` failed for `reason`, kept with each change.

    `error`, when given, decides whether a retry of the step may send them again: only when it
    is transient (the target was unavailable or rate-limited and took nothing).
    """
    for item in items:
        item.reason = reason[:REASON_LENGTH]
        item.retryable = error is not None and is_transient(error)
    return Outcome(failed=list(items))


def raise_if_failed(
    outcome: Outcome,
    what: str,
    *,
    target: str = "Centra",
    then: str = "fix the cause first",
) -> None:
    """Fail the step naming what `target` did not take; the failed changes stay planned.

    When every failure was transient the job's retry policy retries the step, which sends only
    what is still due: what was sent is recorded batch by batch and never sent twice.

    Args:
        what: plural noun of the changes, e.g. "stock levels".
        then: what the reader should know or do before the next run.
    """
    if not outcome.failed:
        return
    stopped = f" Sending stopped early ({outcome.stopped})." if outcome.stopped else ""
    message = (
        f"{target} did not take {len(outcome.failed)} {what} "
        f"({describe_reasons(outcome.failed, limit=5)}); {len(outcome.sent)} were sent.{stopped} "
    )
    if all(item.retryable for item in outcome.failed):
        raise TransientFailure(
            f"{message}{target} was unavailable or rate-limited for each of them, so the step is "
            "retried and sends only what failed; should every retry fail, the next run sends "
            "them (outbound.planned has each reason)."
        )
    raise dg.Failure(
        f"{message}What failed stays planned and is sent again by the next run; {then} "
        "(outbound.planned has each reason).",
        allow_retries=False,
    )


def _stop(context, entity: str, outcome: Outcome, why: str, needed: int) -> None:
    untried = needed - len(outcome.sent) - len(outcome.failed)
    outcome.stopped = f"{why}; {untried} changes were not tried"
    context.log.error("%s: sending stopped: %s", entity, outcome.stopped)


def _metadata(outcome: Outcome, cost, preview) -> dict[str, Any]:
    """The keys every send asset reports; the main job reads `sent` (outbound/exchange.py)."""
    metadata: dict[str, Any] = {"sent": len(outcome.sent), "unchanged": len(outcome.unchanged)}
    if cost is not None:
        metadata["api/mutations"] = cost.mutations
    if preview is not None:
        metadata["preview"] = dg.MetadataValue.md(preview(outcome.sent[:PREVIEW_ROWS]))
    return metadata


def _batches(
    needed: list[Planned], size: int | None, group_by: Callable[[Planned], Hashable] | None
) -> Iterator[list[Planned]]:
    groups: dict[Hashable, list[Planned]] = {}
    for item in needed:
        groups.setdefault(group_by(item) if group_by else None, []).append(item)
    for group in groups.values():
        if size is None:
            yield group
        else:
            yield from batches(group, size)


# --- Centra mutations that take a list and apply all of it or nothing -------------------------


def send_all_or_none(
    batch: list[Planned], mutate: Callable[[list[Planned]], Any], list_field: str, fail: Fail
) -> Outcome:
    """Send a batch with a mutation that applies its list whole or not at all.

    Entries Centra names in its user errors (path `...<list_field>.<index>`) fail and the rest are
    sent again without them; a batch whose answer never came fails whole. Only for mutations that
    set absolute values, which are safe to send again whatever Centra kept of a refused call.
    """
    try:
        mutate(batch)
    except CentraUserErrors as error:
        refused = refused_indexes(error.user_errors, list_field, len(batch))
        if not refused or len(refused) == len(batch):
            return fail(batch, str(error))
        rest = [item for index, item in enumerate(batch) if index not in refused]
        outcome = send_all_or_none(rest, mutate, list_field, fail)
        outcome.failed += fail([batch[index] for index in sorted(refused)], str(error)).failed
        return outcome
    except CentraError as error:
        outcome = fail(batch, f"no answer from Centra: {error}")
        for item in outcome.failed:
            item.retryable = is_transient(error)
        return outcome
    return Outcome(sent=list(batch))


def refused_indexes(remarks: list[dict], list_field: str, count: int) -> set[int]:
    """Indexes of `input.<list_field>` that Centra's user errors or warnings point at."""
    refused = set()
    for remark in remarks:
        path = [str(part) for part in remark.get("path") or []]
        if list_field in path:
            position = path.index(list_field) + 1
            if position < len(path) and path[position].isdigit() and int(path[position]) < count:
                refused.add(int(path[position]))
    return refused
