"""The decorators of a flow's two assets, so that every plan and send asset is declared alike.

A flow's assets live in the group named by their key's first part (the system), carry the
project's owners, and the plan asset carries the blocking check that stops the send in the same
run when anything was rejected (docs/outbound.md). Only transient failures of either are retried
by the job's retry policy (centra_pipelines/failures.py). A plan asset runs in the concurrency pool
of its system, a send asset in the pool of the system it writes to, so that the instance limits
how many steps reach each system at once (docs/deployment.md).
"""

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from centra_pipelines.failures import retry_only_transient
from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines.settings import OWNERS


def plan_asset(
    key: list[str],
    *,
    deps: Sequence[Any],
    check: str,
    description: str,
    check_name: str = PLAN_CHECK,
    more_checks: Sequence[dg.AssetCheckSpec] = (),
) -> Callable:
    """Declare a plan asset (the dry run); `check` says what its blocking check requires."""
    spec = dg.AssetCheckSpec(check_name, asset=dg.AssetKey(key), blocking=True, description=check)
    asset = dg.asset(
        key=key,
        group_name=key[0],
        pool=key[0],
        owners=OWNERS,
        deps=list(deps),
        check_specs=[spec, *more_checks],
        description=description,
    )
    return lambda compute: asset(retry_only_transient(compute))


def send_asset(key: list[str], *, plan: Any, description: str) -> Callable:
    """Declare the send asset of the flow whose plan asset is `plan`."""
    asset = dg.asset(
        key=key,
        group_name=key[0],
        pool=target_system(key),
        owners=OWNERS,
        deps=[plan],
        description=description,
    )
    return lambda compute: asset(retry_only_transient(compute))


def target_system(key: list[str]) -> str:
    """The system a send asset writes to, read from its name: `<what>_sent_to_<system>`."""
    _, separator, system = key[-1].rpartition("_sent_to_")
    if not separator or not system:
        raise ValueError(
            f"send asset {'/'.join(key)} must be named <what>_sent_to_<system>: the system names "
            "the concurrency pool that limits how many sends reach it at once"
        )
    return system
