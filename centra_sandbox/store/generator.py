"""Entry point of the seeded generator: fills an empty Database from a seed and a scale."""

import logging
import random
from datetime import UTC, date, datetime, timedelta

from centra_sandbox.store.catalog_generator import Catalog, CatalogGenerator
from centra_sandbox.store.database import Database
from centra_sandbox.store.order_generator import (
    ADDRESS_COLUMNS,
    CHUNK_ORDERS,
    CUSTOMER_COLUMNS,
    FIRST_ORDER_NUMBER,
    TABLE_COLUMNS,
    OrderFactory,
    customer_count,
    customer_rows,
)

log = logging.getLogger(__name__)
CUSTOMER_CHUNK = 20000


def window_bounds(window_start: date, window_days: int) -> tuple[int, int]:
    """Unix seconds of the window's first instant and of the instant after its last day (UTC)."""
    start = datetime(window_start.year, window_start.month, window_start.day, tzinfo=UTC)
    end = start + timedelta(days=window_days)
    return int(start.timestamp()), int(end.timestamp())


def generate(db: Database, seed: int, orders: int, window_start: date, window_days: int) -> Catalog:
    """Create the schema and write the whole seeded data set; returns the catalogue summary."""
    window = window_bounds(window_start, window_days)
    db.create_schema()
    catalog = CatalogGenerator(db, random.Random(f"{seed}:catalog"), window[0]).run()
    customers = customer_count(orders)
    _write_customers(db, seed, customers, window[0])
    factory = OrderFactory(seed, catalog, customers, window)
    _write_orders(db, factory, random.Random(f"{seed}:orders"), orders, window)
    db.create_indexes()
    db.commit()
    log.info("generated %d orders and %d customers (seed %d)", orders, customers, seed)
    return catalog


def _write_customers(db: Database, seed: int, count: int, epoch: int) -> None:
    customers, addresses = [], []
    for customer, address in customer_rows(seed, count, epoch):
        customers.append(customer)
        if address is not None:
            addresses.append(address)
        if len(customers) >= CUSTOMER_CHUNK:
            _flush_customers(db, customers, addresses)
    _flush_customers(db, customers, addresses)


def _flush_customers(db: Database, customers: list, addresses: list) -> None:
    db.insert_many("customers", CUSTOMER_COLUMNS, customers)
    db.insert_many("addresses", ADDRESS_COLUMNS, addresses)
    attributes = [
        ("Customer", row[0], "cus_extra", None, '{"text": "Stamkund", "vip": "1"}')
        for row in customers
        if row[0] % 10 == 0
    ]
    db.insert_many("objectAttributes", TABLE_COLUMNS["objectAttributes"], attributes)
    customers.clear()
    addresses.clear()


def _write_orders(db, factory: OrderFactory, rng: random.Random, count: int, window) -> None:
    start, end = window
    span = end - start
    buffers: dict[str, list] = {table: [] for table in TABLE_COLUMNS}
    for index in range(count):
        # Evenly spread, strictly increasing order dates keep number order equal to date order.
        order_date = start + int((index + rng.random()) * span / count)
        number = FIRST_ORDER_NUMBER + index
        for table, rows in factory.build(rng, number, order_date).items():
            buffers[table].extend(rows)
        if (index + 1) % CHUNK_ORDERS == 0:
            _flush(db, buffers)
    _flush(db, buffers)


def _flush(db: Database, buffers: dict[str, list]) -> None:
    for table, rows in buffers.items():
        if rows:
            db.insert_many(table, TABLE_COLUMNS[table], rows)
            rows.clear()
