"""Constants that shape the asset graph.

They are read when definitions load, so they must not depend on the environment: an asset key or a
partition set that changed with an environment variable would orphan materialization history.
Deployment-specific values (URLs, tokens, file paths) live on resources as `EnvVar`s instead.
"""

# First day of order history that the market x day partitions cover. Orders placed earlier are
# outside every partition; move this date back (never forward) to backfill older history.
ORDER_HISTORY_START = "2026-11-01"

# Centra market ids become partition keys of this dynamic dimension when the markets asset runs.
MARKET_PARTITIONS_NAME = "centra_markets"

# Schema in the warehouse that holds Centra's data as Centra returns it, one table per entity.
CENTRA_RAW_SCHEMA = "centra_raw"

# Asset key prefix for everything read from Centra.
CENTRA_KEY_PREFIX = "centra"

# Who answers for these assets in the Dagster UI.
OWNERS = ["team:integrations"]
