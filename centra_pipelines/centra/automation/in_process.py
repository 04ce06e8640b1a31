"""Evaluate sensors and carry out their run requests in this process, as the daemon would.

The demo and the tests use it to drive ticks on demand instead of waiting for the daemon's
intervals, and to run the requested jobs in-process instead of paying a process start per run. It
keeps each sensor's cursor, applies dynamic partition requests, and launches a run key once.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from centra_pipelines.centra.full_sync import RUN_CONFIG

logger = logging.getLogger(__name__)


@dataclass
class Tick:
    """What one evaluation asked for and what became of it."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    skip_reason: str | None = None
    run_ids: list[str] = field(default_factory=list)
    failed_run_ids: list[str] = field(default_factory=list)


class SensorDriver:
    """Ticks sensors of a Definitions object against one instance and runs what they request."""

    def __init__(
        self, defs: dg.Definitions, instance: dg.DagsterInstance, resources: dict[str, Any]
    ) -> None:
        self.defs = defs
        self.instance = instance
        self.resources = resources
        self.cursors: dict[str, str | None] = {}
        self.launched_run_keys: set[tuple[str, str]] = set()

    def tick(self, sensor_name: str, *, execute: bool = True) -> Tick:
        """Evaluate the sensor once; with `execute`, run each newly requested run to the end."""
        sensor = self.defs.resolve_sensor_def(sensor_name)
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(sensor_name),
            resources=self.resources,
        ) as context:
            tick = self._read(sensor(context))
        if tick.cursor_set:
            self.cursors[sensor_name] = tick.cursor

        fresh = [r for r in tick.result.run_requests if self._first_launch(sensor_name, r)]
        outcome = Tick(run_requests=fresh, skip_reason=tick.skip_reason)
        if execute:
            for request in fresh:
                self.execute(request, outcome)
        return outcome

    def execute(self, request: dg.RunRequest, outcome: Tick) -> None:
        job = self.defs.resolve_job_def(request.job_name)
        result = job.execute_in_process(
            run_config=RUN_CONFIG,
            instance=self.instance,
            tags=dict(request.tags),
            partition_key=request.partition_key,
            raise_on_error=False,
        )
        outcome.run_ids.append(result.run_id)
        if not result.success:
            outcome.failed_run_ids.append(result.run_id)
            logger.warning("run %s of %s failed", result.run_id, request.job_name)

    def _first_launch(self, sensor_name: str, request: dg.RunRequest) -> bool:
        # The daemon launches a run key once per sensor; a repeated key is skipped.
        if request.run_key is None:
            return True
        key = (sensor_name, request.run_key)
        if key in self.launched_run_keys:
            return False
        self.launched_run_keys.add(key)
        return True

    def _read(self, value: Any) -> "_Evaluation":
        evaluation = _Evaluation()
        if isinstance(value, dg.SkipReason):
            evaluation.skip_reason = value.skip_message
            return evaluation

        result = value if isinstance(value, dg.SensorResult) else dg.SensorResult(value or [])
        evaluation.result = result
        skip = result.skip_reason
        evaluation.skip_reason = skip.skip_message if skip else None
        if result.cursor is not None:
            evaluation.cursor, evaluation.cursor_set = result.cursor, True
        for request in result.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, request.partition_keys
            )
        return evaluation


@dataclass
class _Evaluation:
    result: dg.SensorResult = field(default_factory=dg.SensorResult)
    skip_reason: str | None = None
    cursor: str | None = None
    cursor_set: bool = False
