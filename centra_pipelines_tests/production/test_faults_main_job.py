"""Under each injected fault kind, the main job leaves the warehouse exactly as a clean run does.

One clean run of `run_full_sync` over a small seeded sandbox is the reference. Each fault kind then
gets a fresh sandbox with the same data and seeded random faults of that kind only, a fresh Dagster
instance and a fresh warehouse. After the main job every table (raw, rejects, analytics, finance,
the audit ledger) must hold the clean run's rows, row for row, leaving out only the columns that
record the sync itself (fault_support.SYNC_COLUMNS: `_run_id`, `_synced_at`, the ledger's
`write_id`, `run_id` and `written_at`, and `finance.price_comparison.synced_at`).
"""

from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.centra.full_sync import FullSyncResult, run_full_sync
from centra_pipelines_tests.production.fault_support import (
    WINDOW_DAYS,
    WINDOW_START,
    quick_definitions,
    sandbox_config,
    use_sandbox,
    warehouse_rows,
)
from centra_sandbox import FaultRates, start_sandbox

# Three times the slowest answer of a clean sync, and short enough that a slow fault costs little.
READ_TIMEOUT_SECONDS = 1.0

# Each kind strikes several times in the sync's sixty-odd requests, and never so often in a row
# that a request outlives the client's eight attempts: the client absorbs every fault here
# (test_retries.py covers the faults it cannot absorb).
FAULTS = {
    # Three 429s in a row per storm; Retry-After 0 keeps the test quick.
    "storm": FaultRates(seed=3, storm=0.05, storm_length=3, retry_after_seconds=0),
    "error": FaultRates(seed=3, error=0.1),
    # Longer than the client's read timeout, so each one is a timeout and a retry.
    "slow": FaultRates(seed=3, slow=0.08, slow_seconds=1.5),
    "drop": FaultRates(seed=3, drop=0.1),
    "truncate": FaultRates(seed=3, truncate=0.1),
}


def sync(folder: Path, faults: FaultRates | None = None):
    """The main job over the window into a new warehouse in `folder`; rows, faults, result."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        start_sandbox(sandbox_config(faults=faults)) as sandbox,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        use_sandbox(monkeypatch, sandbox, folder)
        definitions = quick_definitions({"timeout_seconds": READ_TIMEOUT_SECONDS})
        result = run_full_sync(definitions, instance, start=WINDOW_START, days=WINDOW_DAYS)
        injected = sandbox.faults.injected_by_name()
    return warehouse_rows(folder / "warehouse.duckdb"), injected, result


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory) -> dict[str, list[tuple]]:
    rows, injected, _ = sync(tmp_path_factory.mktemp("clean"))
    assert injected == {}
    assert rows["centra_raw.orders"] and rows["finance.sales_daily"], "the window synced nothing"
    return rows


@pytest.mark.parametrize("kind", FAULTS)
def test_the_main_job_under_faults_equals_a_clean_run_row_for_row(kind, clean_rows, tmp_path):
    rows, injected, result = sync(tmp_path, FAULTS[kind])

    assert set(injected) == {kind}
    assert injected[kind] >= (FAULTS[kind].storm_length if kind == "storm" else 2), injected
    assert_client_met_the_faults(kind, result)
    differing = {
        table: (len(clean_rows.get(table, [])), len(rows.get(table, [])))
        for table in clean_rows.keys() | rows.keys()
        if clean_rows.get(table) != rows.get(table)
    }
    assert differing == {}, (
        f"tables that differ from the clean run (rows clean, faulty): {differing}"
    )


def assert_client_met_the_faults(kind: str, result: FullSyncResult) -> None:
    """The faults reached the client and were retried there, not lost on the way."""
    assert result.api_retries > 0
    if kind == "storm":
        assert result.api_throttled >= FAULTS[kind].storm_length
