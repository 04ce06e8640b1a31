"""centra-pipelines: Dagster assets that keep Centra and the systems beside it in sync."""
