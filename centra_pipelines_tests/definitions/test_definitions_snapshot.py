"""A rename of an asset, group, partitioning, schedule or sensor orphans its history (and a sensor's
cursor); this test makes it deliberate.

When a change to the snapshot is intended, regenerate it with
`.venv/bin/python -m centra_pipelines_tests.definitions.test_definitions_snapshot` and commit it.
"""

import json
from pathlib import Path

import dagster as dg

from centra_pipelines.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def describe(definitions: dg.Definitions) -> dict:
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _describe_partitions(partitions),
            "kinds": sorted(node.kinds),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "table": node.metadata.get("dagster/table_name"),
        }

    jobs = sorted(
        job.name for job in definitions.resolve_all_job_defs() if not job.name.startswith("__")
    )
    checks = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys
    )
    repository = definitions.get_repository_def()
    # Frequencies are left out: they come from sync.yaml, which operators change without code.
    schedules = {schedule.name: schedule.job_name for schedule in repository.schedule_defs}
    sensors = {
        sensor.name: sorted(target.job_name for target in sensor.targets)
        for sensor in repository.sensor_defs
    }
    return {
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
    }


def _describe_partitions(partitions: dg.PartitionsDefinition | None) -> str | None:
    if partitions is None:
        return None
    if isinstance(partitions, dg.MultiPartitionsDefinition):
        inner = ", ".join(
            f"{dimension.name}={_describe_partitions(dimension.partitions_def)}"
            for dimension in partitions.partitions_defs
        )
        return f"multi({inner})"
    if isinstance(partitions, dg.DynamicPartitionsDefinition):
        return f"dynamic({partitions.name})"
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        start = partitions.start.date().isoformat()
        return (
            f"time({partitions.cron_schedule}, start={start}, end_offset={partitions.end_offset})"
        )
    return type(partitions).__name__


def test_definitions_match_the_snapshot():
    current = describe(defs)
    expected = json.loads(SNAPSHOT.read_text())

    assert current == expected, (
        "asset keys, groups, partitions, deps or jobs changed; if intended, regenerate "
        f"{SNAPSHOT.name} (see this module's docstring)"
    )


def test_every_asset_has_a_description_and_owner():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.owners, f"{key.to_user_string()} has no owner"


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(describe(defs), indent=2, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
