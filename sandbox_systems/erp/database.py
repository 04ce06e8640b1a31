"""What the example ERP's modules share: the schema, a transaction on a URL, the touch trigger."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine

SCHEMA = "erp"


@contextmanager
def transaction(url: str) -> Iterator[Connection]:
    """A connection to the database at `url` in one transaction, committed when the block ends.

    Args:
        url: a `postgresql+psycopg2://` SQLAlchemy URL.
    """
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def touched_on_update(table: str) -> str:
    """DDL that moves `table`'s updated_at whenever a row changes, as the ERP's screens would."""
    return f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER {table}_touched
    BEFORE UPDATE ON {SCHEMA}.{table}
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.touch_updated_at();
"""
