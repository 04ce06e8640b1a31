"""Stale data: an alert when an asset of a watched group has not been materialized for too long.

Evaluated here from the last materialization in the instance, against the windows of
alerting.yaml, rather than with Dagster's FreshnessPolicy: a policy's state changes would still
need a sensor to turn them into alerts, its evaluation needs the freshness daemon, and attaching
it means editing every system's asset definitions. The cost is that the asset pages show no
freshness badge; the stale assets are listed on this sensor's ticks instead.
"""

from datetime import datetime

import dagster as dg

from centra_pipelines.alerting.alerts import Alert, Links, age, moment
from centra_pipelines.alerting.sensor import Detection, Detector
from centra_pipelines.config.alerting import FreshnessSettings, GroupFreshness

ACTION = (
    "check that the schedule or sensor that refreshes this data is running and that its last runs "
    "succeeded (a failed run has its own alert). Once the cause is fixed, run the group's job "
    "from the UI. This alert is not repeated until the assets are materialized again."
)


def stale_data_detector(settings: FreshnessSettings) -> Detector:
    def detect(
        context: dg.SensorEvaluationContext, seen: dict, now: datetime, links: Links
    ) -> Detection:
        groups = assets_by_group(context.repository_def.asset_graph, settings.groups)
        keys = [key for group_keys in groups.values() for key in group_keys]
        latest = context.instance.get_latest_materialization_events(keys)
        known = {key.to_user_string() for key in keys}
        stale = {name: last for name, last in seen.get("stale", {}).items() if name in known}

        alerts = []
        for group, group_keys in groups.items():
            freshness = settings.groups[group]
            newly = _newly_stale(context, group_keys, latest, stale, freshness, now)
            if newly:
                alerts.append(stale_alert(group, newly, freshness, now, links))

        missing = sorted(set(settings.groups) - set(groups))
        summary = f"stale assets: {len(stale)} of {len(keys)} watched"
        if missing:
            summary += f"; groups in alerting.yaml without assets: {', '.join(missing)}"
        return Detection(alerts, {"stale": stale}, summary)

    return detect


def assets_by_group(graph, groups: dict[str, GroupFreshness]) -> dict[str, list[dg.AssetKey]]:
    found: dict[str, list[dg.AssetKey]] = {}
    for key in sorted(graph.materializable_asset_keys, key=lambda key: key.to_user_string()):
        group = graph.get(key).group_name
        if group in groups:
            found.setdefault(group, []).append(key)
    return found


def _newly_stale(
    context: dg.SensorEvaluationContext,
    keys: list[dg.AssetKey],
    latest: dict,
    stale: dict,
    freshness: GroupFreshness,
    now: datetime,
) -> list[tuple[dg.AssetKey, float | None]]:
    """Assets of one group that went stale since the last tick; `stale` is updated in place."""
    newly = []
    for key in keys:
        name = key.to_user_string()
        entry = latest.get(key)
        last = entry.timestamp if entry else None
        if last is not None and now.timestamp() - last <= 60 * freshness.max_lag_minutes:
            if name in stale:
                del stale[name]
                context.log.info("%s is fresh again", name)
        elif name not in stale:
            stale[name] = last
            newly.append((key, last))
    return newly


def stale_alert(
    group: str,
    assets: list[tuple[dg.AssetKey, float | None]],
    freshness: GroupFreshness,
    now: datetime,
    links: Links,
) -> Alert:
    allowed = age(60 * freshness.max_lag_minutes)
    facts = [("Group", group), ("Allowed lag", allowed)]
    if freshness.refreshed_by:
        facts.append(("Refreshed by", f"schedules.{freshness.refreshed_by} in sync.yaml"))
    facts += [(key.to_user_string(), _last_update(last, now)) for key, last in assets]

    return Alert(
        key=f"stale:{group}:{now.isoformat(timespec='seconds')}",
        title=f"Data stale: {len(assets)} asset(s) of {group} not updated for over {allowed}",
        facts=tuple(facts),
        action=ACTION,
        link=links.asset(assets[0][0]),
    )


def _last_update(last: float | None, now: datetime) -> str:
    if last is None:
        return "never materialized"
    return f"last materialized {moment(last)} ({age(now.timestamp() - last)} ago)"
