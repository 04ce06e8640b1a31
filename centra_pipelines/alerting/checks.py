"""Failed asset checks: an alert when a check's latest evaluation fails, once until it passes.

Reads the latest execution of every check of this code location from the instance's check
records, which both SQLite and PostgreSQL instances keep in one indexed table. The evaluation
events are not read "after the last storage id seen": on the default SQLite instance those ids
are counted per run, so such a cursor would skip the evaluations of later runs. A check that
fails, passes and fails again between two ticks therefore counts as one episode.
"""

import json
from datetime import datetime

import dagster as dg

from centra_pipelines.alerting.alerts import Alert, Links, moment
from centra_pipelines.alerting.sensor import Detection, Detector
from centra_pipelines.config.alerting import CheckSettings

ACTION = (
    "open the check on the asset's page and read its metadata (what was rejected and why). Fix "
    "the data at its source, or the rule if the rule is wrong, then materialize the asset again. "
    "A blocking check that failed stopped the assets after it in that run; they run again with "
    "the asset."
)

# Metadata shown in an alert: the first few short values; longer ones stay on the asset's page.
_MAX_FACTS = 5
_MAX_VALUE_CHARS = 150


def failed_checks_detector(settings: CheckSettings) -> Detector:
    def detect(
        context: dg.SensorEvaluationContext, seen: dict, now: datetime, links: Links
    ) -> Detection:
        check_keys = list(context.repository_def.asset_graph.asset_check_keys)
        latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(
            check_keys
        )
        known = {key.to_user_string() for key in check_keys}
        failing = {name: run for name, run in seen.get("failing", {}).items() if name in known}

        alerts = []
        for key, record in latest.items():
            evaluation = _evaluation(record)
            # Still running, or the check itself raised (that run's failure alert covers it).
            if evaluation is None:
                continue
            name = key.to_user_string()
            if evaluation.passed:
                if failing.pop(name, None) is not None:
                    context.log.info("check %s passes again; its next failure alerts", name)
            elif name not in failing and _alerts_on(evaluation.severity, settings):
                failing[name] = record.run_id
                alerts.append(check_alert(key, evaluation, record, links))

        summary = f"checks failing: {len(failing)} of {len(check_keys)}"
        return Detection(alerts, {"failing": failing}, summary)

    return detect


def _evaluation(record) -> dg.AssetCheckEvaluation | None:
    event = record.event
    if event is None or event.dagster_event_type != dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        return None
    return event.dagster_event.asset_check_evaluation_data


def _alerts_on(severity: dg.AssetCheckSeverity, settings: CheckSettings) -> bool:
    if severity == dg.AssetCheckSeverity.ERROR:
        return True
    return settings.include_warnings


def check_alert(
    key: dg.AssetCheckKey, evaluation: dg.AssetCheckEvaluation, record, links: Links
) -> Alert:
    asset = key.asset_key.to_user_string()
    facts = [
        ("Asset", asset),
        ("Check", key.name),
        ("Severity", evaluation.severity.value),
        ("Blocking", "yes: the assets after it did not run" if evaluation.blocking else "no"),
    ]
    if evaluation.partition:
        facts.append(("Partition", evaluation.partition))
    if evaluation.description:
        facts.append(("Says", evaluation.description))
    facts += _metadata_facts(evaluation.metadata)
    facts += [("Run", record.run_id), ("Failed at", moment(record.event.timestamp))]

    return Alert(
        key=f"check:{key.to_user_string()}:{record.run_id}",
        title=f"Check failed: {key.name} on {asset}",
        facts=tuple(facts),
        action=ACTION,
        link=links.asset(key.asset_key, checks=True),
    )


def _metadata_facts(metadata) -> list[tuple[str, str]]:
    facts = []
    for label, entry in metadata.items():
        value = entry.value
        if not isinstance(value, bool | int | float | str | dict | list):
            continue  # tables, markdown and the like read better on the asset's page
        shown = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
        if len(shown) <= _MAX_VALUE_CHARS:
            facts.append((label, shown))
        if len(facts) == _MAX_FACTS:
            break
    return facts
