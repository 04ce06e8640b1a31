"""SQLite store of the sandbox: schema, seeded generator, ground-truth statistics, test controls."""

from centra_sandbox.store.database import Database

__all__ = ["Database"]
