"""The decorators of a flow's two assets, so that every plan and send asset is declared alike.

A flow's assets live in the group named by their key's first part (the system), carry the
project's owners, and the plan asset carries the blocking check that stops the send in the same
run when anything was rejected (docs/outbound.md).
"""

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

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
    return dg.asset(
        key=key,
        group_name=key[0],
        owners=OWNERS,
        deps=list(deps),
        check_specs=[spec, *more_checks],
        description=description,
    )


def send_asset(key: list[str], *, plan: Any, description: str) -> Callable:
    """Declare the send asset of the flow whose plan asset is `plan`."""
    return dg.asset(key=key, group_name=key[0], owners=OWNERS, deps=[plan], description=description)
