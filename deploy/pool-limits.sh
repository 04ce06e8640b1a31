#!/bin/sh
# Concurrency-pool limits above the default of one step at a time (dagster-postgres.yaml,
# concurrency.pools.default_limit). Dagster keeps explicit pool limits in the instance's
# database, not in dagster.yaml, so they are set here: run once per instance, with DAGSTER_HOME
# and the DAGSTER_PG_* variables set, after `dagster instance migrate`. Rerunning it is harmless.
set -eu

# Two steps may read or write Centra at once: a long backfill does not hold back a sensor's small
# run. More would not be faster, since every step paces itself under the same shared rate budget
# (CENTRA_RATE_BUDGET_URL), which is what keeps the sum under Centra's quotas.
dagster instance concurrency set centra 2
