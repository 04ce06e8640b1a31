"""A run killed mid-sync confirms nothing; the rerun lands everything once, with no gap."""

import os
import signal
import threading

import dagster as dg

from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME
from centra_pipelines_tests.automation.conftest import run_in_another_process
from centra_pipelines_tests.automation.test_event_queue_sensor import queued
from demo.verify import compare_counts, compare_order_totals

KILL_AT = "Returns"  # the orders of the run are written by then; its returns are not


def test_killed_run_confirms_nothing_and_the_rerun_leaves_no_gap(synced):
    synced.driver.tick(SENSOR_NAME)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="survives a kill")
    requested = synced.driver.tick(SENSOR_NAME, execute=False).run_requests[0]

    reached, release = threading.Event(), threading.Event()

    def hold(operation, variables):
        if operation == KILL_AT:
            reached.set()
            release.wait(60)

    synced.sandbox.add_request_hook(hold)
    synced.warehouse.close()  # DuckDB takes one writing process; the worker is that process
    worker = run_in_another_process(requested, synced.dagster_home)
    try:
        assert reached.wait(120), "the run never reached its returns query"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        release.set()
        synced.sandbox.remove_request_hook(hold)

    # The dead run is still STARTED: its events stay unconfirmed and nothing is asked twice.
    waiting = synced.driver.tick(SENSOR_NAME)
    assert waiting.run_requests == []
    assert len(queued(synced)) == 1

    # Run monitoring fails a run that outlives its dagster/max_runtime tag; do what it does.
    dead = synced.instance.get_runs(
        filters=dg.RunsFilter(tags={"centra/sync_request": requested.run_key})
    )
    assert [run.status for run in dead] == [dg.DagsterRunStatus.STARTED]
    synced.instance.report_run_failed(dead[0])

    rerun = synced.driver.tick(SENSOR_NAME)
    assert len(rerun.run_ids) == 1 and rerun.failed_run_ids == []
    synced.driver.tick(SENSOR_NAME)
    assert queued(synced) == []

    stats = synced.sandbox.stats()
    assert [c for c in compare_counts(synced.warehouse, stats["counts"]) if not c.matches] == []
    totals = compare_order_totals(synced.warehouse, stats["order_totals"])
    assert [c for c in totals if not c.matches] == []
    assert synced.order(number)["comment"] == "survives a kill"
