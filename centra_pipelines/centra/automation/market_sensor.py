"""New Centra markets become partitions of the market dimension without waiting for a sync."""

import dagster as dg

from centra_pipelines.centra import jobs
from centra_pipelines.centra.automation import lookups
from centra_pipelines.centra.automation.common import sensor_client, sensor_status
from centra_pipelines.centra.automation.refresh import registered_markets
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.config.sync import SensorSettings
from centra_pipelines.models.partitions import market_partitions

SENSOR_NAME = "centra_markets"


def market_sensor(settings: SensorSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=sensor_status(settings.enabled),
        jobs=[jobs.reference_sync_job],
        description="Adds markets created in Centra as partitions and syncs the reference data "
        "that describes them.",
    )
    def _sensor(context: dg.SensorEvaluationContext, centra: CentraClient) -> dg.SensorResult:
        return evaluate_markets(context, sensor_client(centra))

    return _sensor


def evaluate_markets(
    context: dg.SensorEvaluationContext, centra: CentraClient
) -> dg.SensorResult | dg.SkipReason:
    known = set(registered_markets(context.instance))
    new = [market for market in lookups.market_ids(centra) if market not in known]
    if not new:
        return dg.SkipReason(f"no new markets ({len(known)} known)")

    context.log.info("Centra has %d new markets: %s", len(new), ", ".join(new))
    # The run key names the markets, so a market is announced by one run however often we look.
    run_key = "markets:" + ",".join(new)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, job_name=jobs.reference_sync_job.name)],
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(market_partitions.name, new)],
    )
