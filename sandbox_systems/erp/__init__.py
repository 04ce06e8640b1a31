"""The example ERP: a PostgreSQL schema `erp` that centra-pipelines writes to (docs/erp.md).

`create_erp(url)` creates every table of the example ERP, module by module, and can run again on
a database that already has them. `summary(url)` says what the ERP holds, for the demo.
"""

from typing import Any

from sandbox_systems.erp import customers, prices, products, sales
from sandbox_systems.erp.database import transaction


def create_erp(url: str) -> None:
    """Create the example ERP's schema in the PostgreSQL database at `url` (idempotent).

    Args:
        url: a `postgresql+psycopg2://` SQLAlchemy URL.
    """
    with transaction(url) as connection:
        # One call per module of the ERP; each creates only what is missing.
        sales.create(connection)
        prices.create(connection)
        products.create(connection)
        customers.create(connection)


def summary(url: str) -> dict[str, Any]:
    """Counts and totals of what the example ERP holds, for the demo to print.

    Args:
        url: a `postgresql+psycopg2://` SQLAlchemy URL of a database `create_erp` prepared.

    Returns:
        One entry per ERP module, e.g. `{"sales": {"sales_orders": {...}, ...}}`.
    """
    with transaction(url) as connection:
        return {
            "sales": sales.summary(connection),
            "prices": prices.summary(connection),
            "products": products.summary(connection),
            "customers": customers.summary(connection),
        }
